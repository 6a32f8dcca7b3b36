from odoo import api, fields, models

from ..const import (
    AUTHSERV_ID_PARAM,
    DEFAULT_KEEP_DAYS,
    KEEP_DAYS_PARAM,
    RULES_DIR_PARAM,
    XSD_DIR_PARAM,
)
from ..protocol import einvoice_rules


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    punchout_einvoice_rules_dir = fields.Char(
        string="Official E-invoicing Rules",
        config_parameter=RULES_DIR_PARAM,
        help="Folder on the server holding the official rule files side by side "
        "(cen-en16931-<version>, peppol-bis-billing-<version>, si-ubl-<version>). When set, "
        "and the Python package saxonche is installed, every Peppol BIS 3 and NLCIUS invoice "
        "is checked before it is sent.",
    )
    punchout_ubl_xsd_dir = fields.Char(
        string="UBL 2.1 Schemas",
        config_parameter=XSD_DIR_PARAM,
        help="The UBL 2.1 xsd folder itself (holding maindoc/ and common/): the check "
        "validates against the schema too.",
    )

    punchout_mail_authserv_id = fields.Char(
        string="Our Mail Server (authserv-id)",
        config_parameter=AUTHSERV_ID_PARAM,
        help="Only Authentication-Results headers carrying this name count when a purchase "
        "order e-mail's sender is verified.",
    )

    # Not a config_parameter field: those delete the parameter for 0, which means "forever".
    punchout_message_keep_days = fields.Integer(
        string="Keep the Punchout Exchange Log",
        default=DEFAULT_KEEP_DAYS,
        help="Days to keep logged punchout documents; 0 keeps them forever. Documents of a "
        "sale order or invoice, and documents still to send, are always kept.",
    )

    @api.model
    def get_values(self):
        values = super().get_values()
        days = self.env["ir.config_parameter"].sudo().get_param(KEEP_DAYS_PARAM)
        values["punchout_message_keep_days"] = int(days) if days else DEFAULT_KEEP_DAYS
        return values

    def set_values(self):
        result = super().set_values()
        self.env["ir.config_parameter"].sudo().set_param(
            KEEP_DAYS_PARAM, str(max(self.punchout_message_keep_days, 0))
        )
        return result

    @api.model
    def _punchout_check_einvoices(self, documents):
        """Fatal findings of the official rules for each ``(rule_set_name, xml_bytes)``, or
        None when the check is off. The rules run in a child process: Saxon cannot run inside
        an Odoo worker whose address space is limited.

        :raises einvoice_rules.RulesUnavailable: the check is on but cannot run
        """
        params = self.env["ir.config_parameter"].sudo()
        rules_dir = params.get_param(RULES_DIR_PARAM)
        if not rules_dir:
            return None
        results = einvoice_rules.validate_in_subprocess(
            documents, rules_dir, params.get_param(XSD_DIR_PARAM) or None
        )
        return [einvoice_rules.fatal(findings) for findings in results]
