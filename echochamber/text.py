"""Turning hostile platform text into safe plain text; tags and times into canonical forms."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from html import unescape
from typing import Any

from echochamber.errors import ImportFormatError

_INVISIBLE = re.compile(r'<span class="invisible">[^<]*</span>', re.I)
_BREAKS = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>|</?(?:div|li|blockquote)[^>]*>", re.I)
_TAG = re.compile(r"<[^>]*>")
# C0/C1 controls (but tab and newline), zero-width space and direction marks, bidi embeddings,
# overrides and isolates.  Zero-width (non-)joiners U+200C/U+200D stay: emoji sequences and
# Persian or Indic words need them.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)


def html_to_text(html: str | None) -> str:
    """Plain text of a Mastodon ``content`` field, with control characters removed.

    Mastodon's HTML is a small, regular subset (paragraphs, breaks, links, spans), so tags are
    stripped by pattern, link prefixes Mastodon hides (``span.invisible``) are dropped, and
    entities are decoded once.

    >>> html_to_text('<p>Hi <a href="x"><span class="invisible">https://</span>ex.org</a></p><p>2</p>')
    'Hi ex.org\\n2'
    >>> html_to_text("<p>&lt;script&gt; a&amp;b</p>")
    '<script> a&b'
    """
    if not html:
        return ""
    text = _INVISIBLE.sub("", html)
    text = _BREAKS.sub("\n", text)
    text = _TAG.sub("", text)
    return clean_text(unescape(text))


def clean_text(text: str | None) -> str:
    """Strip control and bidi-override characters; keep newlines, tabs and joiners.

    >>> clean_text("a\\x1b[31mb\\u202ec")
    'a[31mbc'
    >>> clean_text("\\U0001f469\\u200d\\U0001f4bb")  # woman technologist: the ZWJ stays
    '\\U0001f469\\u200d\\U0001f4bb'
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    return _CONTROL.sub("", text).strip()


def display_name(text: str | None, limit: int = 60) -> str:
    """A handle or name as every output shows it: one clean line, at most ``limit`` characters.

    Control and bidi-override characters go (an RTL override cannot spoof a handle); line
    breaks become spaces; a longer text ends with an ellipsis.  Escaping for HTML is the
    template's job, after this.

    >>> display_name("evil\\u202egnp.exe")
    'evilgnp.exe'
    >>> display_name("a" * 10, limit=5)
    'aaaa…'
    """
    one = " ".join(clean_text(text).split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def one_line(text: object, limit: int = 300) -> str:
    """A message as one readable line: control characters and line breaks gone, cut at a word
    boundary with an ellipsis when longer than ``limit``.

    >>> one_line("a\\nb\\x00c " + "word " * 100, 20)
    'a bc word word…'
    """
    flat = " ".join(_CONTROL.sub("", str(text)).split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"


def normalize_tag(tag: str) -> str:
    """``#HCSM`` -> ``hcsm``: tags compare without ``#`` and case-insensitively.

    >>> normalize_tag(" #HcsmCA ")
    'hcsmca'
    """
    if tag.isascii():  # NFKC leaves ASCII as it is, and casefolds it as lower() does
        return tag.strip().lstrip("#").lower()
    return unicodedata.normalize("NFKC", tag.strip().lstrip("#")).casefold()


def hashed_key(platform: str, key: str) -> str:
    """A stable pseudonymous key for an account that opted out of indexing.

    >>> hashed_key("mastodon", "https://a.example/@x").startswith("hashed:")
    True
    """
    digest = hashlib.sha256(f"{platform}\0{key}".encode()).hexdigest()[:24]
    return f"hashed:{digest}"


def hashed_uri(platform: str, uri: str) -> str:
    """A stable pseudonym for the URI of a post by an account that opted out.  A web URI
    keeps its scheme and host (a post's home server is the host of its URI: provenance and
    revisits ask it), the path, which names the account, is hashed.

    >>> hashed_uri("mastodon", "https://a.example/users/x/statuses/1").startswith(
    ...     "https://a.example/hashed:")
    True
    >>> hashed_uri("bluesky", "at://did:plc:x/app.bsky.feed.post/1").startswith("hashed:")
    True
    """
    digest = hashed_key(platform, uri)
    if uri.startswith(("https://", "http://")):
        scheme, _, rest = uri.partition("://")
        host = rest.split("/", 1)[0]
        if host:
            return f"{scheme}://{host}/{digest}"
    return digest


def is_hashed(value: str | None) -> bool:
    """Whether an account key or post URI is already a pseudonym (:func:`hashed_key`,
    :func:`hashed_uri`).

    >>> is_hashed("hashed:ab"), is_hashed("https://a.example/hashed:ab"), is_hashed("x")
    (True, True, False)
    """
    if not value:
        return False
    return value.startswith("hashed:") or (
        value.startswith(("https://", "http://")) and "/hashed:" in value
    )


OPTED_OUT = "@[opted out]"
"""What a mention of an account that opted out reads as in other people's texts."""


def blank_mentions(text: str, handles: Iterable[str]) -> str:
    """``text`` with mentions of ``handles`` (``user@server``) replaced by :data:`OPTED_OUT`.

    >>> blank_mentions("@ana@a.example and @ana: hi @anabel", ["ana@a.example"])
    '@[opted out] and @[opted out]: hi @anabel'
    """
    words: set[str] = set()
    for h in handles:
        h = h.lstrip("@")
        if h:
            words.add(re.escape(h))
            if "@" in h:
                words.add(re.escape(h.split("@", 1)[0]))
    if not words or not text:
        return text
    alts = "|".join(sorted(words, key=len, reverse=True))
    return re.sub(rf"@(?:{alts})(?![\w@-]|\.\w)", OPTED_OUT, text, flags=re.IGNORECASE)


def mention_run(text: str) -> str:
    """The @names a text opens with (what the metrics' reply-all hygiene reads), nothing else:
    what retention keeps of an old post's text.

    >>> mention_run("@ana @ben, thanks! see @cat"), mention_run("no mentions")
    ('@ana @ben,', '')
    """
    run = []
    for token in text.split():
        if not token.startswith("@") or len(token) < 2:
            break
        run.append(token)
    return " ".join(run)


def parse_time(value: Any, field_name: str = "created_at") -> datetime:
    """Parse an ISO 8601 time (``2025-07-15T07:54:23.000Z``) to an aware UTC datetime.

    >>> parse_time("2025-07-15T07:54:23.000Z").isoformat()
    '2025-07-15T07:54:23+00:00'
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        raise ImportFormatError(f"field {field_name!r} is missing or not a time: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ImportFormatError(f"field {field_name!r} is not an ISO time: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def server_host(server: str) -> str:
    """The host of a server URL, port kept; a bare host is returned as it is.

    >>> server_host("https://mastodon.social/"), server_host("127.0.0.1:8000")
    ('mastodon.social', '127.0.0.1:8000')
    """
    if server.startswith(("https://", "http://")) and server.isprintable():
        start = server.index("//") + 2  # the common case, as urlsplit reads it, ten times faster
        end = len(server)
        for mark in "/?#":
            found = server.find(mark, start, end)
            if found != -1:
                end = found
        host = server[start:end]
        if "[" not in host and "]" not in host:
            return host or server
    from urllib.parse import urlsplit

    parts = urlsplit(server if "//" in server else f"//{server}")
    return parts.netloc or server
