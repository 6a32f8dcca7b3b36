{
    "name": "OCI & cXML Punchout: Deliveries",
    "summary": "Ship notices to the buyer's procurement system when a punchout order's delivery "
    "is validated, stock-aware order confirmations and lead times",
    "version": "18.0.1.0.0",
    "category": "Website/eCommerce",
    "license": "LGPL-3",
    "author": "oci_punchout contributors",
    "depends": ["oci_punchout", "stock_delivery", "website_sale_stock"],
    "auto_install": True,
    "data": [
        "views/punchout_connection_views.xml",
        "views/punchout_message_views.xml",
        "views/stock_picking_views.xml",
        "views/website_templates.xml",
    ],
    "demo": [
        "demo/punchout_demo.xml",
    ],
}
