from odoo import models
from odoo.http import request
from odoo.osv import expression


class Website(models.Model):
    _inherit = "website"

    def _punchout_current_session(self):
        """The open punchout session of this browser's logged-in user, or an empty recordset.

        Called for every cart line by the shop: the session's existence is checked once per
        request, its state and user each time (from the record cache).
        """
        Session = self.env["punchout.session"].sudo()
        session_id = request and request.session.get("punchout_session_id")
        if not session_id:
            return Session
        checked = getattr(request, "_punchout_existing_session_ids", None)
        if checked is None:
            checked = request._punchout_existing_session_ids = {}
        if session_id not in checked:
            checked[session_id] = bool(Session.browse(session_id).exists())
        session = Session.browse(session_id) if checked[session_id] else Session
        if not session or not session._is_usable_by(self.env.user):
            return Session
        return session

    def _get_current_pricelist(self):
        session = self._punchout_current_session()
        if session:
            return session.connection_id.pricelist_id
        return super()._get_current_pricelist()

    def get_pricelist_available(self, show_visible=False):
        session = self._punchout_current_session()
        if session:
            return session.connection_id.pricelist_id
        return super().get_pricelist_available(show_visible=show_visible)

    def sale_product_domain(self):
        domain = super().sale_product_domain()
        session = self._punchout_current_session()
        if session:
            domain = expression.AND([domain, session.connection_id._get_product_domain()])
        return domain

    def sale_get_order(self, force_create=False):
        """A punchout session shops in its own cart only, never in an older one."""
        session = self._punchout_current_session()
        if not session:
            return super().sale_get_order(force_create=force_create)
        order_sudo = session.order_id.sudo()
        if order_sudo.state != "draft":
            return self.env["sale.order"]
        request.session["sale_order_id"] = order_sudo.id
        return order_sudo
