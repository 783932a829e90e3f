"""Turning hostile platform text into safe plain text, and tags into their canonical form."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset({"p", "br", "div", "li", "blockquote"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if (tag == "span" and "invisible" in classes.split()) or (self._skip and tag == "span"):
            self._skip += 1
        if tag in _BLOCK_TAGS and self.parts:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._skip and tag == "span":
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str | None) -> str:
    """Plain text of a Mastodon ``content`` field, with control characters removed.

    >>> html_to_text('<p>Hi <a href="x"><span class="invisible">https://</span>ex.org</a></p><p>2</p>')
    'Hi ex.org\\n2'
    """
    if not html:
        return ""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return clean_text("".join(parser.parts))


def clean_text(text: str | None) -> str:
    """Strip control and bidi-override characters; keep newlines and tabs.

    >>> clean_text("a\\x1b[31mb\\u202ec")
    'a[31mbc'
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    return _CONTROL.sub("", text).strip()


def normalize_tag(tag: str) -> str:
    """``#HCSM`` -> ``hcsm``: tags compare without ``#`` and case-insensitively.

    >>> normalize_tag(" #HcsmCA ")
    'hcsmca'
    """
    return unicodedata.normalize("NFKC", tag.strip().lstrip("#")).casefold()


def hashed_key(platform: str, key: str) -> str:
    """A stable pseudonymous key for an account that opted out of indexing.

    >>> hashed_key("mastodon", "https://a.example/@x").startswith("hashed:")
    True
    """
    digest = hashlib.sha256(f"{platform}\0{key}".encode()).hexdigest()[:24]
    return f"hashed:{digest}"
