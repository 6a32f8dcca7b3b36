from odoo import fields, models

from ..protocol import cxml


class ResPartner(models.Model):
    _inherit = "res.partner"

    invoice_edi_format = fields.Selection(
        selection_add=[("cxml", "cXML Invoice (InvoiceDetailRequest)")]
    )
    invoice_sending_method = fields.Selection(
        selection_add=[
            ("punchout_cxml", "to the buyer's procurement system (cXML)"),
            ("punchout_s4", "to the buyer's SAP S/4HANA (SOAP)"),
        ]
    )

    def _get_edi_builder(self, invoice_edi_format):
        # EXTENDS account_edi_ubl_cii
        if invoice_edi_format == "cxml":
            return self.env["account.edi.xml.cxml"]
        return super()._get_edi_builder(invoice_edi_format)

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

    def _get_punchout_cxml_address(self):
        """This address as a cXML PostalAddress (BillTo, invoice partners)."""
        self.ensure_one()
        return cxml.Address(
            name=self.commercial_company_name or self.name or "",
            street=[street for street in (self.street, self.street2) if street],
            city=self.city or "",
            state=self.state_id.code or "",
            postal_code=self.zip or "",
            country_code=self.country_id.code or "",
            country=self.country_id.name or "",
            email=self.email or "",
        )
