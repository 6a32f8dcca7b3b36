from werkzeug.exceptions import NotFound

from odoo.http import request, route

from odoo.addons.website_sale.controllers.main import WebsiteSale


class PunchoutWebsiteSale(WebsiteSale):
    """Close checkout, address and payment steps to punchout sessions."""

    def _check_cart(self, order_sudo):
        if request.website._punchout_current_session():
            return request.redirect("/shop/cart")
        return super()._check_cart(order_sudo)

    @route()
    def product(self, product, category="", search="", **kwargs):
        session = request.website._punchout_current_session()
        if session and not product.sudo().filtered_domain(
            session.connection_id._get_product_domain()
        ):
            raise NotFound()
        return super().product(product, category=category, search=search, **kwargs)

    @route()
    def shop_payment(self, **post):
        if request.website._punchout_current_session():
            return request.redirect("/shop/cart")
        return super().shop_payment(**post)
