from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    punchout_message_ids = fields.One2many(
        "punchout.message", "move_id", string="Punchout Documents", readonly=True
    )

    def _get_punchout_orders(self):
        """The buyer's purchase orders this invoice (or credit note) bills: sale orders with a
        PO number, through the invoice lines (credit notes keep the lines' sale order links)."""
        self.ensure_one()
        orders = self.invoice_line_ids.sale_line_ids.order_id
        if not orders and self.reversed_entry_id:
            orders = self.reversed_entry_id.invoice_line_ids.sale_line_ids.order_id
        return orders.filtered("punchout_po_number")

    def _get_punchout_connection(self):
        self.ensure_one()
        return self._get_punchout_orders().punchout_connection_id[:1]

    def _get_punchout_po_number(self):
        """The PO number (BT-13) when the invoice bills exactly one purchase order."""
        self.ensure_one()
        numbers = set(self._get_punchout_orders().mapped("punchout_po_number"))
        return numbers.pop() if len(numbers) == 1 else False

    def _get_punchout_buyer_reference(self):
        """BuyerReference (BT-10): the connection's fixed value, else the requester or cost
        centre the purchase order named."""
        self.ensure_one()
        connection = self._get_punchout_connection()
        if connection.invoice_buyer_reference:
            return connection.invoice_buyer_reference
        references = self._get_punchout_orders().filtered("punchout_buyer_reference")
        return references[:1].punchout_buyer_reference or False
