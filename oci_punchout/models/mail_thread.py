from odoo import models

# Raw headers the order inbox needs: Odoo's parsed From is not the sender's real address when
# the header is malformed, and Authentication-Results is not parsed at all.
PUNCHOUT_MAIL_HEADERS = ("from", "authentication-results")


def punchout_raw_headers(message):
    """[(lower-case name, raw value)] of the headers above, as the mail arrived."""
    return [
        (name.lower(), str(value))
        for name, value in message.raw_items()
        if name.lower() in PUNCHOUT_MAIL_HEADERS
    ]


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _message_route_process(self, message, message_dict, routes):
        # Through the context, not message_dict: Odoo posts message_dict's keys as message
        # values and notification parameters, and refuses unknown ones.
        return super(
            MailThread, self.with_context(punchout_mail_headers=punchout_raw_headers(message))
        )._message_route_process(message, message_dict, routes)
