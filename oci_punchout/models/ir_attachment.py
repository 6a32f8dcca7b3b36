import logging

from odoo import models

from ..protocol import pdf
from ..protocol.errors import HostileDocument, MalformedDocument, PayloadTooLarge
from ..protocol.xml import check_text, decode_xml

_logger = logging.getLogger(__name__)


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def _decode_edi_xml(self, filename, content):
        """Odoo reads uploaded XML with lxml's defaults, which expand internal entities (in
        attribute values too): a file declaring entities is not read at all, in any encoding."""
        try:
            check_text(decode_xml(content))
        except HostileDocument as exc:
            _logger.info("XML file %s is not read: %s", filename, exc.message)
            return []
        except MalformedDocument:
            pass  # Odoo's own reading says what it makes of it
        return super()._decode_edi_xml(filename, content)

    def _decode_edi_pdf(self, filename, content):
        """Odoo reads PDFs whole in this worker: a purchase order uploaded on sale orders is
        first read within bounds (``protocol.pdf``), and not read at all when that fails."""
        if self.res_model == "sale.order":
            try:
                pdf.read_pdf(content)
            except (HostileDocument, PayloadTooLarge) as exc:
                _logger.info("PDF file %s is not read: %s", filename, exc.message)
                return []
            except MalformedDocument:
                pass  # Odoo's own reading says what it makes of it
        return super()._decode_edi_pdf(filename, content)
