"""A source's address as it may be stored, shown, exported, logged or printed.

An operator may give `--source https://user:password@host/ds/` or a URL carrying a key
(`?apiKey=…`, `&token=…`). The password and the key are the akimat's, not the public's:
the snapshot's `meta.sources`, the About page, the data package, `update.log`, the remote
state under HOME/remote/ and every message see the address without them.

>>> public_source("https://clerk:s3cret@export.example.kz/ds/?apiKey=K1&region=astana")
'https://export.example.kz/ds/?apiKey=***&region=astana'
>>> redact("GET http://u:p@h:8/x?token=T failed; with url: /y?a=1&sig=Z")
'GET http://h:8/x?token=*** failed; with url: /y?a=1&sig=***'
>>> public_source("https://clerk:p@ss#w0rd@host/ds/")
'https://host/ds/'
"""

from __future__ import annotations

import re

# Query parameters that carry a credential, whatever the server calls them (case-insensitive:
# apiKey, api_key, key, token, access_token, secret, password, signature, X-Amz-Credential, …).
SECRET = r"key|token|secret|passw|pwd|sig|auth|credential|session"
# `name=value` in a query, where name says it is a secret; also in a bare path and query as
# requests quotes it in its messages ("Max retries exceeded with url: /ds/x.csv?apiKey=…").
SECRET_PARAMETER = re.compile(rf"(?<=[?&;])([^=&;\s'\"<>#]*(?:{SECRET})[^=&;\s'\"<>#]*)=[^&;\s'\"<>#]*", re.IGNORECASE)
# Everything up to the last @ of the authority: a password may itself hold @ or # (requests
# reads https://clerk:p@ss@host/ as the password "p@ss").
USERINFO = re.compile(r"\b([a-z][a-z0-9+.-]*://)[^/?\s'\"<>]*@", re.IGNORECASE)


def public_source(source: str) -> str:
    """`source` without user:password and with secret query values as ***; a local path as
    it is, with bytes that are not UTF-8 (a folder named in another encoding) shown escaped."""
    return redact(source)


def redact(text: str) -> str:
    """`text` with every user:password@ removed and every secret query value as ***
    (messages of requests and of the CLI, lines of the log)."""
    text = USERINFO.sub(r"\1", printable(text))
    return SECRET_PARAMETER.sub(lambda m: f"{m.group(1)}=***", text)


def printable(text: str) -> str:
    """Text that can be written as UTF-8: undecodable bytes of a file name (kept by Python as
    surrogate escapes) shown as \\xNN instead of failing the write."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
