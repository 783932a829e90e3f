"""Issue 12, the report: the static site of every week (``report site`` and the daemon's job),
and the conversations that travelled farthest as trees, on a store built through the import
path.  Reading only: the site stores nothing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text

from echochamber.cli.main import cli
from echochamber.config import CoreSettings, MetricsSettings, ReportSettings, Settings
from echochamber.config.settings import SiteSettings
from echochamber.errors import ConfigError, ReportError
from echochamber.models import Window
from echochamber.pipeline.report import report_data
from echochamber.pipeline.site import MARKER, build_site, metrics_doc, write_site
from echochamber.pipeline.snapshot import compute
from echochamber.report.text import render_text
from tests.browser import PageWatch
from tests.storebuild import MONDAY, Thread, handle

SPOOF = "\u202egnp.exe"  # an RTL override: would render as "exe.png"
SCRIPT = '<script>alert("x")</script>'
NOW = MONDAY + timedelta(days=30)
WEEKS = [
    Window(MONDAY - timedelta(days=7 * k), MONDAY - timedelta(days=7 * (k - 1))) for k in (2, 1, 0)
]


class Links(HTMLParser):
    """Every src and href of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.urls.append((tag, value))
            if name == "id" and value:
                self.ids.add(value)


def settings(site: str = "") -> Settings:
    return Settings(
        core=CoreSettings(policy="list", accounts=(handle(0),)),
        metrics=MetricsSettings(null_samples=0, bootstrap=0),
        report=ReportSettings(title="#hcsm", site=SiteSettings(dir=site)),
    )


def chain_week(engine: Engine, start: datetime, hostile: bool = False) -> None:
    """0 (core) posts; 1 replies; 2 quotes... each a step farther, with a boost at the end."""
    t = Thread(start=start)
    root = t.post(0, 1)
    one = t.post(1, 2, to=root)
    two = t.post(2, 3, to=one)
    three = t.post(SPOOF if hostile else 3, 4, to=two)
    t.boost(4, 5, three)
    if hostile:  # a new voice whose handle and name carry markup
        t.post(SCRIPT, 5.5, to=three)
    for n in range(5, 25):  # a wide conversation: the tree is cut with "+N more"
        t.post(n, 6 + n / 10, to=root)
    t.store(engine)


@pytest.fixture
def store(engine: Engine) -> Engine:
    for i, w in enumerate(WEEKS):
        chain_week(engine, w.start, hostile=i == 2)
    for w in WEEKS:
        compute(engine, settings(), w, now=NOW)
    return engine


def snapshots(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM snapshots")).scalar_one())


def check_site(root: Path) -> dict[str, str]:
    """Every page's links resolve to files of the site, and nothing leaves it."""
    pages = {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*.html")}
    for rel, html in pages.items():
        parser = Links()
        parser.feed(html)
        for tag, url in parser.urls:
            parts = urlsplit(url)
            assert not parts.scheme or parts.scheme in ("data", "cid"), (rel, url)
            assert parts.scheme != "cid", (rel, url)  # the site has no message parts
            assert not url.startswith("//"), (rel, url)
            if parts.scheme == "data":
                continue
            target = (root / rel).parent / parts.path if parts.path else root / rel
            assert target.resolve().is_file(), (rel, tag, url)
            assert root.resolve() in target.resolve().parents, (rel, url)
            if parts.fragment and parts.fragment != "":
                other = Links()
                other.feed(target.read_text())
                assert parts.fragment in other.ids, (rel, url)
    return pages


def test_the_site_of_every_week(store: Engine, tmp_path: Path) -> None:
    out = tmp_path / "site"
    before = snapshots(store)
    done = build_site(store, settings(), out, NOW, doc=metrics_doc())
    assert done is not None and done.weeks == ("2026-W45", "2026-W46", "2026-W47")
    assert snapshots(store) == before  # reading only
    pages = check_site(out)
    assert {"index.html", "metrics.html"} <= set(pages)
    for w in done.weeks:
        assert f"weeks/{w}/index.html" in pages
    for w in done.weeks[1:]:  # the first week has no trend yet
        assert (out / "weeks" / w / "trend.png").read_bytes()[:4] == b"\x89PNG"
    index = pages["index.html"]
    assert all(f'href="weeks/{w}/index.html"' in index for w in done.weeks)
    w47 = pages["weeks/2026-W47/index.html"]
    assert 'href="../2026-W46/index.html"' in w47 and 'href="../../index.html"' in w47
    assert 'rel="next"' not in w47 and 'rel="prev"' not in pages["weeks/2026-W45/index.html"]
    # footnotes link to the definitions page, at headings that exist there
    assert 'href="../../metrics.html#travel-the-headline"' in w47
    # no map given: no map slot
    assert 'data-key="map"' not in w47 and "map.html" not in w47
    # hostile handles: the RTL override is gone, the text escaped
    assert "\u202e" not in w47 and "ugnp.exe" in w47
    assert "<script" not in w47 and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in w47
    # rerun: replaced as a whole, the marker kept, no temporary folders left beside it (nor
    # the half-written one of a run killed midway)
    (tmp_path / ".site.new-killed" / "weeks").mkdir(parents=True)
    build_site(store, settings(), out, NOW, weeks=1)
    assert sorted(p.name for p in (out / "weeks").iterdir()) == ["2026-W47"]
    assert (out / MARKER).is_file()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".site.")]
    check_site(out)


def test_the_map_slot_and_a_folder_that_is_not_a_site(store: Engine, tmp_path: Path) -> None:
    out = tmp_path / "site"
    png = b"\x89PNG\r\n\x1a\nmap"
    build_site(
        store,
        settings(),
        out,
        NOW,
        map_html=lambda s: f"<!doctype html><title>map {s.window.label}</title>",
        map_png=lambda s: png,
    )
    w47 = (out / "weeks/2026-W47/index.html").read_text()
    assert '<iframe src="map.html"' in w47 and '<img src="map.png"' in w47
    assert w47.index('data-key="map"') < w47.index('data-key="footnotes"')
    assert (out / "weeks/2026-W47/map.png").read_bytes() == png
    check_site(out)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(ReportError, match="not an echochamber site"):
        write_site({"index.html": b"x"}, mine)
    assert (mine / "notes.txt").read_text() == "keep me"
    with pytest.raises(ReportError, match="does not exist"):
        write_site({"index.html": b"x"}, tmp_path / "missing" / "site")


def test_report_site_command_reads_only(db_url: str, store: Engine, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[core]\npolicy = "list"\naccounts = ["{handle(0)}"]\n'
        "[metrics]\nnull_samples = 0\nbootstrap = 0\n"
    )
    before = snapshots(store)
    out = tmp_path / "public"
    args = ["--config", str(cfg), "--db", db_url, "report", "site", "-o", str(out), "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["weeks"] == ["2026-W45", "2026-W46", "2026-W47"] and doc["files"] > 6
    assert snapshots(store) == before
    check_site(out)
    # [report.site] dir from the environment (and config show prints it under its file name)
    env = {"ECHOCHAMBER_REPORT_SITE_DIR": str(tmp_path / "from-env")}
    shown = CliRunner(env=env).invoke(cli, ["--config", str(cfg), "config", "show", "--json"])
    assert json.loads(shown.stdout)["report"]["site"] == {"dir": str(tmp_path / "from-env")}
    by_env = CliRunner(env=env).invoke(
        cli, ["--config", str(cfg), "--db", db_url, "report", "site"]
    )
    assert by_env.exit_code == 0 and (tmp_path / "from-env" / "index.html").is_file()
    assert "3 weeks (2026-W45..2026-W47)" in by_env.stderr
    nowhere = CliRunner().invoke(cli, ["--config", str(cfg), "--db", db_url, "report", "site"])
    assert isinstance(nowhere.exception, ConfigError) and nowhere.exception.exit_code == 2
    assert "[report.site] dir" in str(nowhere.exception)


def test_daemon_rebuilds_the_site_after_each_snapshot(
    store: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from echochamber.daemon import Daemon
    from echochamber.store.jobs import job_status

    out = tmp_path / "site"
    daemon = Daemon(settings(str(out)), store)
    daemon.run_job("snapshot")
    jobs = {j["job"]: j for j in job_status(store)}
    assert jobs["snapshot"]["status"] == "ok" and jobs["site"]["status"] == "ok"
    assert (out / "weeks/2026-W47/index.html").is_file()
    check_site(out)
    # a site that cannot be written is the site job's failure; the scheduler goes on
    (out / MARKER).unlink()
    daemon.run_job("snapshot")
    jobs = {j["job"]: j for j in job_status(store)}
    assert jobs["snapshot"]["status"] == "ok" and jobs["site"]["status"] == "failed"
    assert "not an echochamber site" in jobs["site"]["message"]
    assert daemon.scheduler.get_job("retry-site") is not None


def test_the_farthest_conversation_as_a_tree(store: Engine) -> None:
    data = report_data(store, settings(), WEEKS[2], NOW, stored_only=True)
    [conv, *_] = data.conversations
    # 0 (core) <- 1 replies <- 2 replies <- the spoofing handle replies <- 4 boosts it
    assert (conv.farthest, conv.posts, conv.boosts) == (4, 25, 1)
    assert conv.outsiders == 25 - 1 + 1  # the posts' authors but the core's, and the booster
    node, chain = conv.root, []
    while node.children:
        chain.append((node.kind, node.depth, node.core, node.distance))
        node = node.children[0] if node.children[0].children else node.children[-1]
    chain.append((node.kind, node.depth, node.core, node.distance))
    assert chain[0] == ("root", 0, True, 0)
    assert chain[-1][1:] == (4, False, 4)  # drawn down to the farthest account
    # 15 drawn: the path to the booster (5), then 10 of the 20 other replies to the root; the
    # other 10 and the reply under the spoofing handle's post are counted, not drawn
    assert conv.root.count() == 15 and conv.root.more == 10
    text = render_text(data)
    assert "at depth 4: " in text and "(outsider, 4 steps)" in text
    assert "+10 more" in text and "+1 more" in text and "\u202e" not in text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_site_in_chromium(store: Engine, tmp_path: Path, browser_page: PageWatch) -> None:
    """The site as users get it (`report site`, the daemon, the demo: maps included): every
    page loads in headless Chromium with no console error and no request leaving the site,
    every link resolves, and each week's interactive map shows that week's participants."""
    from echochamber.pipeline.maps import week_map
    from echochamber.pipeline.site import publish

    out = tmp_path / "site"
    done = publish(store, settings(), out, NOW)
    assert done is not None and len(done.weeks) == 3
    pages = check_site(out)
    assert len(pages) == 1 + 1 + 2 * 3  # index, definitions, a report and a map a week
    page = browser_page.page
    for rel in sorted(pages):
        page.goto((out / rel).as_uri())
        page.wait_for_load_state("load")
        assert page.title(), rel
        if rel.endswith("map.html"):
            page.wait_for_function("window.echochamberMap !== undefined", timeout=60_000)
            label = rel.split("/")[1]
            week = next(w for w in WEEKS if w.label == label)
            expected = len(week_map(store, settings(), week, "all").nodes)
            assert page.evaluate("echochamberMap.nodeCount") == expected > 20, rel
    w47 = out / "weeks" / "2026-W47" / "index.html"
    page.goto(w47.as_uri())
    page.wait_for_load_state("load")
    assert page.locator('[data-key="map"] img').count() == 1
    assert page.evaluate("document.querySelector('[data-key=\"map\"] img').naturalWidth") > 500
    browser_page.screenshot("site-week.png")
    page.goto((out / "index.html").as_uri())
    page.click('a[href="weeks/2026-W46/index.html"]')
    assert page.url.endswith("/weeks/2026-W46/index.html")
    browser_page.screenshot("site-index.png")
    assert browser_page.errors == []
    assert browser_page.requests == []
