"""RSS contacts (managingEditor, webMaster, author): 'jane@example.com (Jane Doe)'."""

from __future__ import annotations

import re
from urllib.parse import unquote

from lxml import etree

from syndicate.check.tree import Sink, line_of

# The W3C validator's e-mail address patterns (addr_spec): either passes.
_EMAIL_RE = re.compile(r"[A-Z0-9_\-+.']+@(?:[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.|(?:[A-Z0-9\-]+\.)+)"
                       r"[A-Z0-9][-A-Z0-9]*\Z", re.IGNORECASE)
_SIMPLE_EMAIL_RE = re.compile(r"[\w.%+-]+@[A-Za-z][\w.-]+\Z")


def check_contact(sink: Sink, el: etree._Element, what: str) -> None:
    """RSS contacts: 'jane@example.com (Jane Doe)'. Judged as the W3C validator does
    (email_with_name): a value with an '@' that does not end in ')' is at worst a style
    warning (RFC 2368 'mailto:' URLs with a query included); otherwise the single address
    RFC 822 parsing finds must be an address."""
    value = (el.text or "").strip()
    if value.startswith("mailto:"):
        value = unquote(value.split(":", 1)[1])
    if value.find("@") > 0 and not value.endswith(")"):
        if value.find(" ") > 0:
            sink.add("rss.email-format",
                     f"{what} should be written 'jane@example.com (Jane Doe)', not {value!r}",
                     line_of(el))
        else:
            sink.add("rss.email-missing-name",
                     f"{what} should be an e-mail address followed by the name in "
                     "parentheses, e.g. 'jane@example.com (Jane Doe)'", line_of(el))
        return
    from email.utils import getaddresses  # RFC 822 parsing, rarely needed: imported late

    found = getaddresses([value])
    address = found[0][1] if len(found) == 1 else value
    if not (_EMAIL_RE.match(address) or _SIMPLE_EMAIL_RE.match(address)):
        sink.add("rss.bad-email",
                 f"{what} must be an e-mail address, optionally followed by a name in "
                 f"parentheses, got {el.text!r}", line_of(el))
