{
    "name": "OCI & cXML Punchout Catalogue",
    "summary": "Let buyers' SAP (OCI), Ariba and Coupa (cXML) systems shop in your Odoo webshop "
    "with their own prices and return the cart to their procurement system",
    "version": "18.0.1.0.0",
    "category": "Website/eCommerce",
    "license": "LGPL-3",
    "author": "oci_punchout contributors",
    "depends": ["website_sale", "account_edi_ubl_cii"],
    "external_dependencies": {"python": ["lxml", "passlib", "requests"]},
    "data": [
        "security/punchout_security.xml",
        "security/ir.model.access.csv",
        "data/ir_sequence_data.xml",
        "data/ir_cron_data.xml",
        "data/mail_alias_data.xml",
        "data/ubl_templates.xml",
        "views/punchout_connection_views.xml",
        "views/punchout_session_views.xml",
        "views/punchout_message_views.xml",
        "views/product_category_views.xml",
        "views/product_template_views.xml",
        "views/sale_order_views.xml",
        "wizard/sale_order_cancel_views.xml",
        "views/account_move_views.xml",
        "views/res_config_settings_views.xml",
        "views/punchout_menus.xml",
        "views/website_templates.xml",
        "views/simulator_templates.xml",
    ],
    "demo": [
        "demo/punchout_demo.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "oci_punchout/static/src/scss/punchout.scss",
        ],
        "web.assets_tests": [
            "oci_punchout/static/tests/tours/*.js",
        ],
    },
}
