"""An Atom document (RFC 4287) written with the standard library, and the bounded cache of
rendered feeds that lets `kezek serve` answer feed readers without recomputing.

Only what the feeds need: a feed with its required elements (id, title, updated, author,
a self link) and entries (id, title, updated, an alternate link, a plain-text summary).
ElementTree escapes every text and attribute, so names from the data cannot break the XML.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from dashboard import lru

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
AUTHOR = "Kezek"
# A tag URI (RFC 4151) names every feed and entry. It is made from the data only (an
# application number and a day, a bulletin id), never from a snapshot or an address, so
# that a reader sees the same entry as the same entry after every publication.
TAG = "tag:kezek,2026:"


def tag(*parts: object) -> str:
    """The tag URI of `parts`, each percent-encoded (an application number is Cyrillic, an id
    may hold a space).

    >>> tag("bulletin", "B 2017/7")
    'tag:kezek,2026:bulletin/B%202017%2F7'
    """
    return TAG + "/".join(urllib.parse.quote(str(p), safe=".-_~:") for p in parts)


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    updated: dt.datetime  # aware: Atom dates carry their offset (RFC 3339)
    link: str
    summary: str


def _text(parent: ET.Element, name: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, name, attrs)
    element.text = text
    return element


def _link(parent: ET.Element, href: str, rel: str, media_type: str) -> None:
    ET.SubElement(parent, "link", {"rel": rel, "type": media_type, "href": href})


def document(*, id: str, title: str, subtitle: str, updated: dt.datetime, lang: str, self_url: str,
             html_url: str, author_url: str, entries: list[Entry]) -> bytes:
    """The feed as UTF-8 XML. The feed's author stands for every entry (RFC 4287 §4.1.1)."""
    # Plain names under a literal xmlns: ElementTree writes no prefixes, and Atom's attributes
    # (rel, href …) are in no namespace.
    feed = ET.Element("feed", {"xmlns": ATOM, XML_LANG: lang})
    _text(feed, "id", id)
    _text(feed, "title", title, type="text")
    _text(feed, "subtitle", subtitle, type="text")
    _text(feed, "updated", updated.isoformat())
    author = ET.SubElement(feed, "author")
    _text(author, "name", AUTHOR)
    _text(author, "uri", author_url)
    _text(feed, "generator", AUTHOR)
    _link(feed, self_url, "self", "application/atom+xml")
    _link(feed, html_url, "alternate", "text/html")
    for e in entries:
        entry = ET.SubElement(feed, "entry")
        _text(entry, "id", e.id)
        _text(entry, "title", e.title, type="text")
        _text(entry, "updated", e.updated.isoformat())
        _link(entry, e.link, "alternate", "text/html")
        _text(entry, "summary", e.summary, type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


@dataclass(frozen=True)
class Rendered:
    """A feed's answer as sent, rendered once per snapshot: its body plain and gzipped (a feed
    reader asks for gzip; compressing once beats compressing every answer), and the ETag of
    its content, so a reader revalidates with 304 even across publications that left the
    feed unchanged."""

    status: int
    body: bytes
    gzipped: bytes
    etag: str
    headers: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, body: bytes, headers: dict[str, str], status: int = 200) -> Rendered:
        etag = 'W/"' + hashlib.sha256(body).hexdigest()[:24] + '"'
        return cls(status, body, gzip.compress(body, 9, mtime=0), etag, tuple(headers.items()))

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped) + 256


def LRU(budget: int) -> lru.LRU:
    """Rendered answers by key, least recently used dropped first once their bytes pass
    `budget`."""
    return lru.LRU(budget, size=lambda rendered: rendered.size)
