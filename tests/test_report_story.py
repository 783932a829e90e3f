"""Issue 12, the report: the first line in words, the footnotes' anchors, hostile handles in
the HTML, and the conversation trees (hand-derived)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from echochamber.graph.conversations import build_trees
from echochamber.metrics.farthest import farthest_conversations
from echochamber.models import BridgeView, ConversationView, TreeNode, VoiceView
from echochamber.report.data import ReportData, headline_sentence, report_notes
from echochamber.report.email import build_message
from echochamber.report.html import render_html
from echochamber.report.notes import ANCHORS
from echochamber.report.text import render_text

DOCS = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"
RTL = "\u202eexe.gnp"  # shows as "png.exe" when the override is obeyed
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one glyph: man, woman, girl (ZWJ)
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # "mi-khaham", a ZWNJ inside
LONG = "x" * 300


def metrics(share: float = 0.41, se: float = 0.025) -> dict[str, Any]:
    return {
        "engaged_outside_share": share,
        "ci": {"engaged_outside_share": [share - 0.05, share + 0.05]},
        "ci_se": {"engaged_outside_share": se},
        "outsiders_reached": 212,
        "travel_profile": {"1": 174, "2": 30, "3+": 8},
        "engaged": 517,
    }


def hostile() -> ReportData:
    leaf = TreeNode(f"{FAMILY}@x.example", "boost", 2, False, 2)
    reply = TreeNode(f"{PERSIAN}@x.example", "reply", 1, False, 1, (leaf,), more=3)
    root = TreeNode(f"evil{RTL}@x.example", "root", 0, True, 0, (reply,))
    return ReportData(
        "#hcsm",
        "2026-W47",
        [("2026-W46", metrics(0.40)), ("2026-W47", metrics())],
        conversations=[ConversationView("https://x.example/1", root, 6, 1, 4, 2)],
        bridges=[BridgeView('<script>alert("b")</script>', False, 2.5, 1)],
        new_voices=[VoiceView(f"new{RTL}@x.example", LONG, 1, 1)],
    )


def test_the_first_line_answers_the_question() -> None:
    d = hostile()
    assert headline_sentence(d) == (
        "This week 41% (36–46%) of the people who engaged with the core were outside it; "
        "conversations reached 212 outsiders, 38 of them two or more steps away; "
        "no clear change from last week"
    )
    text = render_text(d)
    html = render_html(d)
    assert text.splitlines()[0].startswith(f"#hcsm — week 2026-W47: {headline_sentence(d)}.")
    assert headline_sentence(d) in html
    settling = ReportData("#hcsm", "2026-W47", [("2026-W47", metrics())], settling=True)
    assert "(provisional: still settling)" in render_text(settling).splitlines()[0]
    assert "provisional: still settling" in render_html(settling)
    msg = build_message(settling, "e@x.example", ["t@x.example"])
    assert "(provisional)" in msg["Subject"] and "41% (36-46%)" in msg["Subject"]
    nobody = ReportData("#hcsm", "2026-W47", [("2026-W47", {"engaged_outside_share": None})])
    assert headline_sentence(nobody) == "This week nobody engaged with the core's posts"


class Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_hostile_handles_in_the_html() -> None:
    html = render_html(hostile())
    parsed = Text()
    parsed.feed(html)
    shown = "".join(parsed.text)
    assert "script" not in parsed.tags and '<script>alert("b")</script>' in shown
    assert "&lt;script&gt;" in html
    assert "\u202e" not in html and "evilexe.gnp@x.example" in shown  # not spoofed
    assert f"{FAMILY}@x.example" in shown and f"{PERSIAN}@x.example" in shown  # joiners kept
    assert "x" * 59 + "…" in shown and "x" * 61 not in shown  # 300 characters cut to 60
    assert "+3 more" in shown and "boost at depth 2" in shown
    text = render_text(hostile())
    assert "\u202e" not in text and FAMILY in text and PERSIAN in text and "x" * 61 not in text


def github_anchors(markdown: str) -> set[str]:
    """Anchors GitHub makes of the headings (lower case, punctuation out, spaces to -)."""
    out = set()
    for line in markdown.splitlines():
        m = re.match(r"#{1,6} (.+)", line)
        if m:
            words = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower())
            out.add(words.replace(" ", "-"))
    return out


def test_every_footnote_resolves_to_a_heading_of_metrics_md() -> None:
    doc = DOCS.read_text(encoding="utf-8")
    anchors = github_anchors(doc)
    # the page's own contents line links to anchors by the same rule
    for own in re.findall(r"\]\(#([^)]+)\)", doc):
        assert own in anchors, own
    for key, anchor in ANCHORS.items():
        assert anchor in anchors, (key, anchor)
    notes = report_notes(hostile())
    assert {"engaged_outside_share", "conversations", "bridges", "new_voices"} <= {
        f.key for f in notes
    }
    html = render_html(hostile(), docs_href="metrics.html")
    for f in notes:
        assert f'href="metrics.html#{f.anchor}"' in html
        assert f'id="note-{f.number}"' in html
    text = render_text(hostile())
    assert all(f"[{f.number}] {f.label}: docs/metrics.md#{f.anchor}" in text for f in notes)


def test_the_map_image_sits_below_the_first_line() -> None:
    msg = build_message(hostile(), "e@x.example", ["t@x.example"], map_png=b"\x89PNG map")
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    cid = re.search(r'<img src="cid:([^"]+)" alt="The week', html)
    assert cid and html.index('data-key="headline"') < cid.start() < html.index("<table")
    images = {p["Content-ID"]: p.get_payload(decode=True) for p in msg.walk() if p["Content-ID"]}
    assert images[f"<{cid.group(1)}>"] == b"\x89PNG map" and len(images) == 2
    assert 'data-key="map"' not in render_html(hostile())  # no map: no slot


def test_farthest_conversations_by_hand() -> None:
    # core c; x replies to c, y replies to x, w replies to c; z boosts y's reply.
    # Another conversation (root d, an outsider) holds v, at distance 5 through other chains.
    rows = [
        ("r", None, "c", "root"),
        ("a", "r", "x", "reply"),
        ("b", "a", "y", "reply"),
        ("e", "r", "w", "quote"),
        ("s", None, "d", "root"),
        ("t", "s", "v", "reply"),
    ]
    dist = {"c": 0, "x": 1, "y": 2, "w": 1, "z": 3, "v": 5, "d": 2}
    views = farthest_conversations(
        build_trees(rows), [("b", "z")], dist, {"c"}, {"x": "x@s"}, top=5, max_nodes=3
    )
    assert [v.uri for v in views] == ["r", "s"]  # the core's conversation first, though 3 < 5
    first = views[0]
    # posts r, a, b, e + the boost: 3 nodes kept along the path to z (r -> a -> b), so b's
    # boost and the quote e are left out: r.more = 1 (e), b.more = 1 (the boost)
    assert (first.posts, first.boosts, first.outsiders, first.farthest) == (4, 1, 4, 3)
    r = first.root
    assert r.count() == 3 and r.more == 1 and r.kind == "root" and r.core
    a = r.children[0]
    assert (a.handle, a.kind, a.depth, a.distance, a.core) == ("x@s", "reply", 1, 1, False)
    b = a.children[0]
    assert (b.depth, b.distance, b.more, b.children) == (2, 2, 1, ())
    assert (views[1].farthest, views[1].outsiders) == (5, 2)
    only = farthest_conversations(build_trees(rows[4:]), [], dist, {"c"}, {}, top=5)
    assert [v.uri for v in only] == ["s"]  # without a core conversation, the others show
