import logging

from odoo import api, models

from ..protocol import cxml, einvoice_rules

_logger = logging.getLogger(__name__)

CXML_METHOD = "punchout_cxml"
S4_METHOD = "punchout_s4"
MAX_FINDINGS_SHOWN = 10


class AccountMoveSend(models.AbstractModel):
    """The Send wizard: cXML invoices posted to the buyer's system, the buyer's invoice
    address for e-mails, and checks before anything leaves."""

    _inherit = "account.move.send"

    # ------------------------------------------------------------------
    # Sending method
    # ------------------------------------------------------------------

    @api.model
    def _is_applicable_to_move(self, method, move):
        if method == CXML_METHOD:
            connection = move._get_punchout_connection()
            return bool(
                move.is_sale_document()
                and connection.protocol == "cxml"
                and move._get_punchout_orders()
            )
        if method == S4_METHOD:
            connection = move._get_punchout_connection()
            return bool(
                move.is_sale_document()
                and connection.protocol == "s4"
                and connection.sudo().s4_invoice_url
                and move._get_punchout_orders()
            )
        return super()._is_applicable_to_move(method, move)

    @api.model
    def _get_default_sending_method(self, move):
        # The connection of the invoiced orders knows best (a buyer may have an OCI and a
        # cXML connection); it also made its choice the buyer's default when saved.
        connection = move._get_punchout_orders().sudo().punchout_connection_id[:1]
        return connection.invoice_sending_method or super()._get_default_sending_method(move)

    @api.model
    def _get_default_invoice_edi_format(self, move):
        connection = move._get_punchout_orders().sudo().punchout_connection_id[:1]
        return connection.invoice_edi_format or super()._get_default_invoice_edi_format(move)

    @api.model
    def _get_default_mail_partner_ids(self, move, mail_template, mail_lang):
        invoice_contact = move._get_punchout_connection()._get_invoice_mail_partner()
        return invoice_contact or super()._get_default_mail_partner_ids(
            move, mail_template, mail_lang
        )

    # ------------------------------------------------------------------
    # Alerts: missing data, and the official rules when they are available
    # ------------------------------------------------------------------

    @api.model
    def _get_alerts(self, moves, moves_data):
        alerts = super()._get_alerts(moves, moves_data)
        ubl_formats = set(self.env["res.partner"]._get_peppol_formats())
        problems = []
        to_check = []
        for move in moves.filtered(lambda m: m.is_sale_document()):
            if not move._get_punchout_connection():
                continue
            move_data = moves_data[move]
            edi_format = move_data.get("invoice_edi_format")
            if S4_METHOD in (move_data.get("sending_methods") or ()):
                problems += self.env["punchout.s4"]._invoice_problems(move)
            elif CXML_METHOD in (move_data.get("sending_methods") or ()):
                builder = move.partner_id.commercial_partner_id._get_edi_builder("cxml")
                constraints = builder._export_invoice_constraints(
                    move, builder._export_invoice_vals(move)
                )
                problems += [problem for problem in constraints.values() if problem]
            elif edi_format in ubl_formats:
                builder = move.partner_id.commercial_partner_id._get_edi_builder(edi_format)
                constraints = builder._punchout_export_constraints(move)
                move_problems = [problem for problem in constraints.values() if problem]
                problems += move_problems
                if not move_problems and edi_format in einvoice_rules.RULE_SET_BY_EDI_FORMAT:
                    to_check.append((move, edi_format))
        if without_po := [
            move for move, _format in to_check if not move._get_punchout_po_number()
        ]:
            alerts["oci_punchout_no_po_number"] = {
                "level": "warning",
                "message": self.env._(
                    "%(invoices)s name no purchase order of the buyer: the buyer's system can "
                    "only match them by the buyer reference.",
                    invoices=", ".join(move.display_name for move in without_po),
                ),
            }
        if problems:
            alerts["oci_punchout_missing_data"] = {
                "level": "danger",
                "message": "\n".join(dict.fromkeys(problems)),
            }
        alerts.update(self._punchout_rules_alerts(to_check))
        return alerts

    @api.model
    def _punchout_rules_alerts(self, moves_formats):
        """Alerts for the official rules' fatal findings on the UBL the ``(move, edi_format)``
        pairs would be sent as, when the check is on."""
        if not moves_formats:
            return {}
        documents = []
        for move, edi_format in moves_formats:
            builder = move.partner_id.commercial_partner_id._get_edi_builder(edi_format)
            xml_content, _errors = builder._export_invoice(move)
            documents.append((einvoice_rules.RULE_SET_BY_EDI_FORMAT[edi_format], xml_content))
        try:
            results = self.env["res.config.settings"]._punchout_check_einvoices(documents)
        except (einvoice_rules.RulesUnavailable, einvoice_rules.RuleExecutionError) as exc:
            _logger.warning("E-invoices not checked against the official rules: %s", exc)
            return {
                "oci_punchout_rules_unavailable": {
                    "level": "warning",
                    "message": self.env._(
                        "The e-invoice could not be checked against the official rules: "
                        "%(reason)s",
                        reason=exc,
                    ),
                }
            }
        findings = [
            f"{move.name}: {finding}"
            for (move, _edi_format), fatal_findings in zip(
                moves_formats, results or [], strict=False
            )
            for finding in fatal_findings
        ]
        if not findings:
            return {}
        return {
            "oci_punchout_rules": {
                "level": "danger",
                "message": self.env._(
                    "The e-invoice breaks the official rules; the buyer's system would "
                    "refuse it:\n%(findings)s",
                    findings="\n".join(findings[:MAX_FINDINGS_SHOWN]),
                ),
            }
        }

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    @api.model
    def _hook_invoice_document_before_pdf_report_render(self, invoice, invoice_data):  # pylint: disable=missing-return
        super()._hook_invoice_document_before_pdf_report_render(invoice, invoice_data)
        if S4_METHOD in invoice_data["sending_methods"]:
            problems = self.env["punchout.s4"]._invoice_problems(invoice)
            if problems:
                invoice_data["error"] = {
                    "error_title": self.env._("The S/4HANA invoice cannot be sent:"),
                    "errors": problems,
                }
        if CXML_METHOD not in invoice_data["sending_methods"]:
            return
        if invoice._punchout_live_cxml_message():
            return  # posted again as it is
        builder = invoice.partner_id.commercial_partner_id._get_edi_builder("cxml")
        document, errors = builder._export_invoice(invoice)
        if errors:
            invoice_data["error"] = {
                "error_title": self.env._("The cXML invoice cannot be sent:"),
                "errors": sorted(errors),
            }
            return
        invoice_data["punchout_cxml_document"] = document
        # Attached to the invoice as Odoo attaches UBL files, once it is sent; without our
        # shared secret, which whoever reads the invoice must not learn.
        invoice_data["punchout_cxml_attachment_values"] = {
            "name": builder._export_invoice_filename(invoice),
            "raw": cxml.redact_secrets(document),
            "mimetype": "application/xml",
            "res_model": invoice._name,
            "res_id": invoice.id,
            "res_field": "punchout_cxml_xml_file",
        }

    @api.model
    def _call_web_service_after_invoice_pdf_render(self, invoices_data):  # pylint: disable=missing-return
        super()._call_web_service_after_invoice_pdf_render(invoices_data)
        for invoice, invoice_data in invoices_data.items():
            if S4_METHOD in invoice_data["sending_methods"] and not invoice_data.get("error"):
                invoice._punchout_send_s4_invoice()
            if CXML_METHOD in invoice_data["sending_methods"] and not invoice_data.get("error"):
                # Delivery failures do not fail the Send: the document is kept and sent again
                # by the cron; the invoice shows the buyer's answer.
                invoice._punchout_send_cxml_invoice(invoice_data.get("punchout_cxml_document"))

    @api.model
    def _link_invoice_documents(self, invoices_data):  # pylint: disable=missing-return
        # EXTENDS account: the cXML document, as account_edi_ubl_cii links the UBL one
        super()._link_invoice_documents(invoices_data)
        attachments_values = [
            invoice_data["punchout_cxml_attachment_values"]
            for invoice_data in invoices_data.values()
            if invoice_data.get("punchout_cxml_attachment_values")
        ]
        if attachments_values:
            attachments = self.env["ir.attachment"].sudo().create(attachments_values)
            self.env["account.move"].browse(attachments.mapped("res_id")).invalidate_recordset(
                ["punchout_cxml_xml_id", "punchout_cxml_xml_file"]
            )
