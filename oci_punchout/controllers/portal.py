from odoo.exceptions import ValidationError
from odoo.http import request, route

from odoo.addons.sale.controllers.portal import PaymentPortal


class PunchoutPaymentPortal(PaymentPortal):
    @route()
    def portal_order_transaction(self, order_id, access_token, **kwargs):
        """Punchout quotations are ordered by the buyer's purchase order, not paid online."""
        order_sudo = request.env["sale.order"].sudo().browse(order_id).exists()
        if order_sudo.punchout_connection_id:
            raise ValidationError(
                request.env._("This quotation is ordered from your purchasing system.")
            )
        return super().portal_order_transaction(order_id, access_token, **kwargs)
