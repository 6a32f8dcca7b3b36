"""The browser return page and return-URL checks shared by OCI and cXML.

Both protocols send the buyer back to their purchasing system through an auto-submitted HTML
form (OCI's ``HOOK_URL``, cXML's ``BrowserFormPost``); the URL is checked against the
connection's allowed prefixes first.
"""

import html
import re
import unicodedata
from collections.abc import Mapping
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from .charsets import TRANSLITERATE, python_codec, whatwg_encoding
from .errors import InvalidReturnUrl

DEFAULT_TARGET = "_top"
DEFAULT_CHARSET = "utf-8"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_charset(name):
    """Return ``(python_codec_name, fallback)`` for a buyer's ``http_content_charset``.

    Only WHATWG labels of encodings that keep ASCII as ASCII are accepted (see ``charsets``);
    anything else (ISO-2022-JP, UTF-16, unknown names) gives ``('utf-8', True)``. An absent or
    empty name gives ``('utf-8', False)``.
    """
    if not (name or "").strip():
        return DEFAULT_CHARSET, False
    if not whatwg_encoding(name):
        return DEFAULT_CHARSET, True
    return python_codec(name), False


def html_charset_label(codec):
    """The WHATWG name, lower case, to declare in ``<meta charset>`` for a charset (iso8859-1 ->
    windows-1252, euc_jp -> euc-jp); utf-8 for anything else."""
    return (whatwg_encoding(codec) or DEFAULT_CHARSET).lower()


# Return URLs


def check_return_url(url, allowed_prefixes, allow_http=False):
    """Raise ``InvalidReturnUrl`` unless ``url`` is an allowed return URL.

    ``SAPEVENT:`` URLs need an allowed prefix that starts with ``SAPEVENT:`` and that the URL
    starts with (case-insensitive). Other URLs must be https (or http with ``allow_http``),
    without user-info, and match an allowed prefix by scheme, host, port and path (the prefix's
    path on a segment boundary).
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidReturnUrl("The return URL is empty.")
    url = url.strip()
    for char in url:
        if unicodedata.category(char) in ("Cc", "Cf") or char == "\\":
            raise InvalidReturnUrl(
                f"The return URL contains a forbidden character ({char!r}): {url[:200]!r}."
            )
    prefixes = [p.strip() for p in (allowed_prefixes or []) if p and p.strip()]
    if not prefixes:
        raise InvalidReturnUrl(
            f"The return URL {url[:200]!r} is refused: no return URL prefixes are allowed "
            "for this connection."
        )
    if url.upper().startswith("SAPEVENT:"):
        for prefix in prefixes:
            if prefix.upper().startswith("SAPEVENT:") and url.upper().startswith(prefix.upper()):
                return
        raise InvalidReturnUrl(
            f"The return URL {url[:200]!r} is a SAPEVENT URL, but SAPEVENT is not among the "
            "allowed return URL prefixes of this connection."
        )
    parts = _split_url(url)
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and allow_http):
        allowed = "https or http" if allow_http else "https"
        raise InvalidReturnUrl(
            f"The return URL {url[:200]!r} uses the scheme {scheme or '(none)'!r}; "
            f"only {allowed} return URLs are allowed."
        )
    if "@" in parts.netloc:
        raise InvalidReturnUrl(f"The return URL {url[:200]!r} contains user information (@).")
    host, port = _host_port(parts)
    if not host:
        raise InvalidReturnUrl(f"The return URL {url[:200]!r} has no host.")
    segments = unquote(parts.path).split("/")
    if "." in segments or ".." in segments:
        raise InvalidReturnUrl(f"The return URL {url[:200]!r} contains '.' or '..' segments.")
    for prefix in prefixes:
        if _matches_prefix(scheme, host, port, parts.path, prefix):
            return
    raise InvalidReturnUrl(
        f"The return URL {url[:200]!r} does not match any allowed return URL prefix of this "
        f"connection ({', '.join(prefixes)})."
    )


# A frame origin as it goes into a Content-Security-Policy header: scheme, host, optional port.
_ORIGIN_HOST = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
)
_LOOPBACK = re.compile(r"^(?:localhost|127(?:\.\d{1,3}){3})$")


def frame_origin(url, allow_local_http=False):
    """The origin (``https://host[:port]``) of ``url``, the page allowed to show the catalogue
    in a frame: https, a plain host name or IPv4 address (no wildcard, user information, query
    or fragment; a path is ignored); http only on this machine (localhost, 127.x.x.x) with
    ``allow_local_http``, for test connections and their test pages.

    :raises ValueError: anything else (it goes into a response header)
    """
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{text[:100]!r} is not a URL: {exc}.") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if "@" in parts.netloc or parts.query or parts.fragment or not _ORIGIN_HOST.match(host):
        raise ValueError(f"{text[:100]!r} is not an origin (https://host or https://host:port).")
    if scheme != "https" and not (scheme == "http" and allow_local_http and _LOOPBACK.match(host)):
        raise ValueError(
            f"{text[:100]!r}: a frame origin must be https (http only for a test connection, "
            "on this machine)."
        )
    default = port is None or port == _DEFAULT_PORTS[scheme]
    return f"{scheme}://{host}" if default else f"{scheme}://{host}:{port}"


def _split_url(url):
    try:
        return urlsplit(url)
    except ValueError as exc:
        raise InvalidReturnUrl(f"The return URL {url[:200]!r} cannot be parsed: {exc}.") from exc


def _host_port(parts):
    """(lower-case host, port with the scheme's default filled in) of a split URL."""
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidReturnUrl(f"The URL {parts.geturl()[:200]!r} has an invalid port.") from exc
    return (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(parts.scheme.lower())


def _matches_prefix(scheme, host, port, path, prefix):
    """True when an absolute URL's components fall under an allowed prefix."""
    try:
        pre = urlsplit(prefix)
        pre_host, pre_port = _host_port(pre)
    except (ValueError, InvalidReturnUrl):
        return False
    if pre.scheme.lower() != scheme or not pre_host or "@" in pre.netloc:
        return False
    if pre_host != host or pre_port != port:
        return False
    pre_path = pre.path.rstrip("/")
    return not pre_path or path == pre_path or path.startswith(pre_path + "/")


def render_return_page(
    hook_url,
    fields,
    target=DEFAULT_TARGET,
    charset=DEFAULT_CHARSET,
    echo_params=None,
    auto_submit=True,
    title="Returning to your purchasing system",
    message=None,
    button_label="Continue",
    script_nonce=None,
    keep_query=False,
):
    """A complete HTML page whose one form posts ``fields`` to ``hook_url``, as bytes.

    The form's action is the hook URL without its query string (``SAPEVENT:`` URLs as they are);
    each query parameter of the hook URL becomes a hidden input, then the ``echo_params`` the
    query does not already hold, then ``fields``. The page is encoded in ``charset`` (what it
    cannot hold transliterated, see ``charsets.transliterate``) and declares it. ``auto_submit``
    adds an inline script that submits the form; a visible submit button is always there. With
    ``keep_query`` (cXML's BrowserFormPost) the action is the URL as given, query string
    included.

    :raises InvalidReturnUrl: a hook URL that is not http(s) or SAPEVENT
    """
    codec = normalize_charset(charset)[0]
    hook_url = (hook_url or "").strip()
    inputs = []
    if hook_url.upper().startswith("SAPEVENT:"):
        action = hook_url
    else:
        parts = _split_url(hook_url)
        if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.netloc:
            raise InvalidReturnUrl(f"The return URL {hook_url[:200]!r} is not an http(s) URL.")
        if keep_query:
            action = hook_url
        else:
            action = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
            inputs += parse_qsl(
                parts.query, keep_blank_values=True, encoding=codec, errors="replace"
            )
    present = {name.upper() for name, _value in inputs}
    for name, value in (echo_params or {}).items():
        if name.upper() not in present:
            inputs.append((name, value))
    inputs += list(fields.items() if isinstance(fields, Mapping) else fields)
    if message is None:
        message = (
            "Your cart is being transferred to your purchasing system."
            if auto_submit
            else "Press the button to transfer the results to your purchasing system."
        )

    def esc(value):
        return html.escape("" if value is None else str(value), quote=True)

    lines = [
        "<!DOCTYPE html>",
        "<html>",
        "<head>",
        f'<meta charset="{esc(html_charset_label(codec))}">',
        '<meta name="robots" content="noindex">',
        f"<title>{esc(title)}</title>",
        "</head>",
        "<body>",
        f'<form id="oci_return_form" method="post" action="{esc(action)}" target="{esc(target)}">',
    ]
    for name, value in inputs:
        lines.append(f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">')
    lines += [
        f"<p>{esc(message)}</p>",
        f'<button type="submit">{esc(button_label)}</button>',
        "</form>",
    ]
    if auto_submit:
        nonce = f' nonce="{esc(script_nonce)}"' if script_nonce else ""
        # The prototype call still works when a hidden input is named "submit".
        lines.append(
            f"<script{nonce}>HTMLFormElement.prototype.submit.call("
            "document.getElementById('oci_return_form'));</script>"
        )
    lines += ["</body>", "</html>", ""]
    return "\n".join(lines).encode(codec, errors=TRANSLITERATE)
