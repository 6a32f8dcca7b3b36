import hashlib

from odoo import api, models
from odoo.tools.misc import hmac as odoo_hmac


class PunchoutSimulator(models.AbstractModel):
    """The signed URLs and values of the built-in buyer simulator: its pages are public (a
    buyer's system posts to them), so what they trust is signed with the database secret."""

    _name = "punchout.simulator"
    _description = "Punchout: buyer simulator signatures"

    @api.model
    def _signature(self, connection_id):
        """The signature in the simulator's URLs of a connection."""
        return odoo_hmac(self.env(su=True), "punchout-simulator", connection_id)

    @api.model
    def _buyer_cookie(self, connection_id, nonce):
        """The BuyerCookie of a simulated cXML punch-in: derived from the nonce of its return
        URL, so the return page can tell whether the cart message echoes the cookie it was
        sent."""
        return odoo_hmac(self.env(su=True), "punchout-simulator-cookie", (connection_id, nonce))[
            :40
        ]

    @api.model
    def _cxml_return_url(self, connection, nonce, base_url=None):
        """The signed BrowserFormPost URL of a simulated cXML punch-in. It lies under
        ``/punchout/simulator/return/``, which every connection accepts as a return URL."""
        base_url = (base_url or connection.website_id.get_base_url()).rstrip("/")
        signature = self._signature(connection.id)
        return f"{base_url}/punchout/simulator/return/{connection.id}/{signature}/cxml/{nonce}"

    @api.model
    def _cart_signature(self, connection_id, nonce, document):
        """The signature of a received cart, so that the order made from it is that cart."""
        digest = hashlib.sha256(document).hexdigest()
        return odoo_hmac(
            self.env(su=True), "punchout-simulator-cart", (connection_id, nonce, digest)
        )
