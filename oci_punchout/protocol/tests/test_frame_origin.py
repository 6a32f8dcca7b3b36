"""Frame origins of embedded catalogues: what may go into a frame-ancestors header. pytest."""

import pytest
from protocol import browser


@pytest.mark.parametrize(
    ("url", "local", "origin"),
    [
        ("https://srm.buyer.example", False, "https://srm.buyer.example"),
        ("https://SRM.Buyer.Example:443/sap/bc/ui5?x", False, None),  # a query: not an origin
        ("https://SRM.Buyer.Example:443/sap/bc/", False, "https://srm.buyer.example"),
        ("https://srm.buyer.example:8443", False, "https://srm.buyer.example:8443"),
        ("http://127.0.0.1:8069", True, "http://127.0.0.1:8069"),
        ("http://localhost", True, "http://localhost"),
        ("http://127.0.0.2:8069/test-page", True, "http://127.0.0.2:8069"),
    ],
)
def test_origins(url, local, origin):
    if origin is None:
        with pytest.raises(ValueError, match="not an origin"):
            browser.frame_origin(url, allow_local_http=local)
    else:
        assert browser.frame_origin(url, allow_local_http=local) == origin


@pytest.mark.parametrize(
    "url",
    [
        "https://*.buyer.example",
        "https://srm.buyer.example; script-src *",
        "https://srm.buyer.example 'unsafe-inline'",
        "https://user@srm.buyer.example",
        "https://srm.buyer.example#x",
        "javascript:alert(1)",
        "'self'",
        "*",
        "",
        "https://",
        "https://srm.buyer.example:99999",
        "http://srm.buyer.example",  # plain http only for local test connections
        "http://10.0.0.2:8069",
    ],
)
def test_anything_else_is_refused(url):
    with pytest.raises(ValueError):
        browser.frame_origin(url, allow_local_http=True)


def test_local_http_needs_a_test_connection():
    with pytest.raises(ValueError, match="must be https"):
        browser.frame_origin("http://127.0.0.1:8069")
