from odoo import models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def _get_punchout_sale_line(self):
        """The purchase order line this invoice line bills (PO line number, buyer's item)."""
        self.ensure_one()
        return self.sale_line_ids.filtered(lambda line: line.order_id._get_punchout_po_number())[
            :1
        ]
