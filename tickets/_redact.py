"""Removing a citizen's personal data from free text: what they withdrew, or what the law lets the
ward keep no longer (Decree 13/2023/NĐ-CP on personal data protection asks for deletion on
request and once the purpose of processing is served).

Two kinds of removal. Known *values* (the contact a citizen typed, their address, their chat id)
are removed wherever they appear, in anyone's text. *Patterns* (phone numbers, citizen ID numbers,
e-mail addresses) are removed only from what the citizen wrote: an official's answer may quote the
ward's own hotline, which is no one's personal data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["REDACTED", "contact_values", "redact_text"]

# What stands where personal data was; the same in every language, and holding no digit, so that a
# second pass over redacted text finds nothing new.
REDACTED = "[…]"

# Phone numbers as Vietnamese write them (0 or +84, then 9-10 digits, grouped or not), 12-digit
# citizen ID numbers and e-mail addresses. A digit run after "." or "," is part of an amount
# ("1.000.000.000 đồng"), not a phone number.
_PERSONAL = re.compile(
    r"(?<![\w+.,/-])(?:\+84|0)(?:[ .-]?\d){9,10}(?!\d)"
    r"|(?<![\d.,])\d{12}(?!\d)"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
)
# A value this short ("A", "12") would remove ordinary words and numbers everywhere.
_MIN_VALUE = 3
_NUMBER_LIKE = re.compile(r"[\d\s.+()-]+")


def contact_values(contact: str | None) -> list[str]:
    """The values to remove for a contact a citizen gave ("Lan, 0905 123 456"): the contact as
    typed, and each phone number, ID number or e-mail address in it, which may be written
    elsewhere on its own."""
    if not contact or not contact.strip():
        return []
    return [contact.strip(), *(match.group() for match in _PERSONAL.finditer(contact))]


def _value_pattern(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if _NUMBER_LIKE.fullmatch(value) and len(digits) >= 8:
        # A number matches however it is grouped: "0905 123 456" is also "0905123456".
        return r"(?<!\d)" + r"[\s.-]?".join(digits) + r"(?!\d)"
    return r"(?<!\w)" + re.escape(value) + r"(?!\w)"


def redact_text(text: str, values: Iterable[str] = (), *, personal: bool = True) -> str:
    """``text`` with every one of ``values`` replaced by :data:`REDACTED`, and with ``personal``
    also every phone number, ID number and e-mail address (for text the citizen wrote)."""
    usable = sorted({v.strip() for v in values if len(v.strip()) >= _MIN_VALUE}, key=len, reverse=True)
    if usable:  # longest first: the whole contact before the number inside it
        text = re.sub("|".join(_value_pattern(v) for v in usable), REDACTED, text, flags=re.IGNORECASE)
    return _PERSONAL.sub(REDACTED, text) if personal else text
