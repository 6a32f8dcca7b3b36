from odoo import models

# Raw headers the order inbox needs: Odoo's parsed From is not the sender's real address when
# the header is malformed, and Authentication-Results is not parsed at all.
PUNCHOUT_MAIL_HEADERS = ("from", "authentication-results")


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def message_parse(self, message, save_original=False):
        msg_dict = super().message_parse(message, save_original=save_original)
        # Popped by punchout.message's message_new; other models never read it.
        msg_dict["punchout_mail_headers"] = [
            (name.lower(), str(value))
            for name, value in message.raw_items()
            if name.lower() in PUNCHOUT_MAIL_HEADERS
        ]
        return msg_dict
