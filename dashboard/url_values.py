"""Values typed into a URL's query string, read the same way by the pages and the API."""

from __future__ import annotations

import re

# ASCII digits only: str.isdigit() also takes '²' (which int() refuses) and int() also takes
# '١٢', '１２', ' 12', '1_000' and '+5'. Nineteen digits are enough for any count below
# 2**63; the bound keeps int() away from very long texts (the callers bound the value itself).
DIGITS = re.compile(r"[0-9]{1,19}")


def whole_number(text: str | None) -> int | None:
    """The number written in `text` with the digits 0-9 (at most 19) and nothing else, else None.

    >>> whole_number("042"), whole_number("²"), whole_number("1.0"), whole_number("")
    (42, None, None, None)
    """
    if text is None or not DIGITS.fullmatch(text):
        return None
    return int(text)
