from odoo import models


class AccountEdiXmlUblBis3(models.AbstractModel):
    """Peppol BIS 3 (and NLCIUS, XRechnung, which inherit it): the buyer's references on
    invoices of punchout orders."""

    _inherit = "account.edi.xml.ubl_bis3"
