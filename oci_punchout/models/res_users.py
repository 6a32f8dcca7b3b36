from odoo import models
from odoo.exceptions import AccessDenied


class ResUsers(models.Model):
    _inherit = "res.users"

    def _check_credentials(self, credential, env):
        """Accept a punchout start token as the single-use credential of a portal user.

        Only portal users can log in this way: a token never opens an internal session.
        """
        if credential.get("type") != "punchout":
            return super()._check_credentials(credential, env)
        user = self.env.user
        if not user.share or not user.active:
            raise AccessDenied()
        session = (
            self.env["punchout.session"].sudo()._consume_start_token(credential.get("token"), user)
        )
        if not session:
            raise AccessDenied()
        return {"uid": user.id, "auth_method": "punchout", "mfa": "skip"}
