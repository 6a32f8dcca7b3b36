"""Exceptions raised by the protocol package.

Each carries the status a punchout endpoint should answer with, so controllers can turn any
protocol error into a clear HTTP error page or a cXML ``Status`` without guessing.
"""


class PunchoutProtocolError(Exception):
    """Base class: a document or request that does not follow the protocol."""

    status = 400
    status_text = "Bad Request"

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class MalformedDocument(PunchoutProtocolError):
    """The payload is not well-formed, or misses something the protocol requires."""


class HostileDocument(PunchoutProtocolError):
    """The payload uses XML features we never resolve (entities, external DTDs, XInclude)."""


class PayloadTooLarge(PunchoutProtocolError):
    status = 413
    status_text = "Payload Too Large"


class UnsupportedRequest(PunchoutProtocolError):
    """A well-formed request of a kind we do not handle (cXML 450)."""

    status = 450
    status_text = "Not Implemented"


class InvalidReturnUrl(PunchoutProtocolError):
    """A return URL (OCI HOOK_URL, cXML BrowserFormPost) that is not allowed."""

    status = 403
    status_text = "Forbidden"


class AuthenticationFailed(PunchoutProtocolError):
    """Unknown credentials or a wrong password / shared secret."""

    status = 401
    status_text = "Unauthorized"


class Forbidden(PunchoutProtocolError):
    """Known sender, but not allowed to do this (cXML 403)."""

    status = 403
    status_text = "Forbidden"


class NotAcceptable(PunchoutProtocolError):
    """An unsupported version or operation (cXML 406)."""

    status = 406
    status_text = "Not Acceptable"


class Conflict(PunchoutProtocolError):
    """A duplicate or a request that conflicts with the current state (cXML 409)."""

    status = 409
    status_text = "Conflict"


class TooManyRequests(PunchoutProtocolError):
    """Too many failed attempts lately: try again later."""

    status = 429
    status_text = "Too Many Requests"
