from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    invoice_edi_format = fields.Selection(
        selection_add=[("cxml", "cXML Invoice (InvoiceDetailRequest)")]
    )
    invoice_sending_method = fields.Selection(
        selection_add=[("punchout_cxml", "to the buyer's procurement system (cXML)")]
    )

    def _compute_last_website_so_id(self):  # pylint: disable=missing-return
        """A punchout cart belongs to its punch-in: a normal login never reopens it."""
        super()._compute_last_website_so_id()
        for partner in self.filtered(lambda p: p.last_website_so_id.punchout_session_id):
            last = partner.last_website_so_id
            partner.last_website_so_id = self.env["sale.order"].search(
                [
                    ("partner_id", "=", partner.id),
                    ("pricelist_id", "=", last.pricelist_id.id),
                    ("website_id", "=", last.website_id.id),
                    ("state", "=", "draft"),
                    ("punchout_session_id", "=", False),
                ],
                order="write_date desc",
                limit=1,
            )
