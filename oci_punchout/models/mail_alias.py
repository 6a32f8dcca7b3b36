from odoo import fields, models


class MailAlias(models.Model):
    _inherit = "mail.alias"

    alias_contact = fields.Selection(
        selection_add=[("punchout_buyer", "The buyer's purchasing system and contacts")],
        ondelete={"punchout_buyer": "set default"},
    )

    def _get_alias_contact_description(self):
        if self.alias_contact == "punchout_buyer":
            return self.env._(
                "the addresses of the buyer's purchasing system and the buyer's contacts"
            )
        return super()._get_alias_contact_description()
