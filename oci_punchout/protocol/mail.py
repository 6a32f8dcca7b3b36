"""Who sent an e-mailed purchase order: the sender's real address, and whether our receiving
mail server verified it (RFC 8601 ``Authentication-Results``).

A From header proves nothing by itself: its display name is free text (``"orders@buyer.example"
<x@attacker.example>``), and a header may be malformed on purpose so that a lenient parser takes
the display name for the address. Only a From holding exactly one well-formed address counts.

Only ``Authentication-Results`` headers written by our own server count: those whose authserv-id
is the one configured (RFC 8601 section 5: the receiving server removes headers carrying its
authserv-id that arrive from outside).
"""

import re
from email import errors, policy

_FOLDING = re.compile(r"\r?\n(?=[ \t])")
_COMMENT = re.compile(r"\([^()]*\)")
_PROPERTY = re.compile(r"([A-Za-z0-9_.\-/]+)\s*=\s*(\"[^\"]*\"|[^\s;]+)")
# Methods that authenticate the From address when they pass for its domain.
VERIFYING_METHODS = ("dmarc", "dkim", "spf")


def sender_address(from_values):
    """The sender's address (lower case) from the raw value(s) of the From header, or ''.

    '' unless there is exactly one From header holding exactly one address with a domain and
    no parsing defect (a display name that looks like an address is never taken for one).
    """
    if len(from_values) != 1:
        return ""
    value = _FOLDING.sub("", str(from_values[0]))  # RFC 5322 unfolding
    try:
        header = policy.SMTP.header_factory("From", value)
        addresses = getattr(header, "addresses", ())
        if header.defects or len(addresses) != 1:
            return ""
        address = addresses[0]
    except (ValueError, IndexError, AttributeError, TypeError, errors.MessageError):
        # A bare CR or LF left in the value, or a value that trips the standard library's
        # parser ("<" runs off the end, ".x <a@b.c>" meets a str where a token was expected):
        # no address anyone may trust.
        return ""
    if not address.username or not address.domain or "@" in address.username:
        return ""
    return address.addr_spec.lower()


def parse_authentication_results(value):
    """``(authserv_id, [(method, result, {property: value})])`` of one header value."""
    text = value
    while True:  # comments may nest: remove the innermost ones until none is left
        stripped = _COMMENT.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    parts = [part.strip() for part in text.split(";")]
    authserv_id = parts[0].split()[0].lower() if parts and parts[0].split() else ""
    results = []
    for part in parts[1:]:
        pairs = [(key.lower(), val.strip('"')) for key, val in _PROPERTY.findall(part)]
        if not pairs:
            continue
        method, result = pairs[0]
        results.append((method.split("/")[0], result.lower(), dict(pairs[1:])))
    return authserv_id, results


def _domain_matches(domain, sender_domain):
    """Relaxed alignment: the same domain, or the sender's is a subdomain of it."""
    domain = (domain or "").strip().lower().rstrip(".")
    if "@" in domain:
        domain = domain.rpartition("@")[2]
    return bool(domain) and (sender_domain == domain or sender_domain.endswith("." + domain))


def sender_verified(results_values, sender, authserv_id):
    """True when one of our server's Authentication-Results headers says that DMARC, DKIM or
    SPF passed for the domain of ``sender`` (the address ``sender_address`` returned), and
    none says that DMARC failed."""
    authserv_id = (authserv_id or "").strip().lower()
    if not (authserv_id and sender and "@" in sender):
        return False
    sender_domain = sender.rpartition("@")[2].lower()
    results = [
        result
        for server, server_results in map(parse_authentication_results, results_values)
        if server == authserv_id
        for result in server_results
    ]
    if any(method == "dmarc" and result != "pass" for method, result, _props in results):
        return False
    for method, result, properties in results:
        if method not in VERIFYING_METHODS or result != "pass":
            continue
        if method == "dmarc":
            domain = properties.get("header.from")
        elif method == "dkim":
            domain = properties.get("header.d") or properties.get("header.i")
        else:
            domain = properties.get("smtp.mailfrom")
        if _domain_matches(domain, sender_domain):
            return True
    return False
