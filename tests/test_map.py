"""The map of a week (issue 12): ring layout, PNG, ``graph view``, the page in Chromium."""

from __future__ import annotations

import json
import math
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text

from echochamber.cli.main import cli
from echochamber.errors import NotFound
from echochamber.graph.layout import BAND, ring_layout, ring_of, ring_radius
from echochamber.models import MapEdge, MapNode, WeekMap
from echochamber.report.interactive_map import json_for_script, render_map_html
from echochamber.report.static_map import render_png
from echochamber.sim.maps import synthetic_map
from echochamber.text import display_name
from tests.browser import ARTIFACTS, PageWatch
from tests.storebuild import Thread, handle

HOSTILE = "</script><script>window.pwned=1</script>\u202eevil\x00@x.example<!--"
WEEK = ("--week", "2026-W47")


# ---------------------------------------------------------------- the layout (pure)


def _radius(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.hypot(x, y)


def test_small_graph_by_hand() -> None:
    # core 0 and 1; 2 replies to 0 (1 step), 3 boosts 2 (2 steps), 4 acts on 3 (3+ steps),
    # 5 was never reached and ties to nobody
    rings = [0, 0, 1, 2, 3, 4]
    x, y = ring_layout(rings, [2, 3, 4], [0, 2, 3], seed=7)
    r = _radius(x, y)
    assert r[0] <= 1 and r[1] <= 1  # the core in the centre disc
    # one account per ring: exactly on the ring's centre line, at its inner neighbour's angle
    assert [round(float(v), 9) for v in r[2:]] == [2.0, 3.0, 4.0, 5.0]
    angle = np.arctan2(y, x)
    assert math.isclose(angle[2], angle[0], abs_tol=1e-9)
    assert math.isclose(angle[3], angle[2], abs_tol=1e-9)
    assert math.isclose(angle[4], angle[3], abs_tol=1e-9)


def test_rings_grow_with_distance_and_the_layout_is_seeded() -> None:
    m = synthetic_map(3000, core=60, seed=3)
    rings = np.array([ring_of(n.is_core, n.distance) for n in m.nodes])
    src = [e.source for e in m.edges]
    dst = [e.target for e in m.edges]
    x, y = ring_layout(rings, src, dst, seed=5)
    r = _radius(x, y)
    assert r[rings == 0].max() <= 1.0
    for k in range(1, 5):
        on = r[rings == k]
        assert on.min() >= ring_radius(k) - BAND - 1e-9
        assert on.max() <= ring_radius(k) + BAND + 1e-9
        assert on.min() > r[rings == k - 1].max()  # every ring lies outside the one before
    again = ring_layout(rings, src, dst, seed=5)
    assert np.array_equal(x, again[0]) and np.array_equal(y, again[1])
    other = ring_layout(rings, src, dst, seed=6)
    assert not np.array_equal(x, other[0])


def test_accounts_sit_near_the_inner_accounts_they_tie_to() -> None:
    # ring 1 accounts tie to core members spread around the disc: each one's angle is close
    # to its core member's (within the slot width), so ties between rings stay short
    core = 8
    rings = [0] * core + [1] * core
    x, y = ring_layout(rings, list(range(core, 2 * core)), list(range(core)), seed=1)
    angle = np.arctan2(y, x)
    gap = np.abs(np.angle(np.exp(1j * (angle[core:] - angle[:core]))))
    assert gap.max() < 2 * math.pi / core / 2 + 1e-9


# ---------------------------------------------------------------- the PNG and the page


def _tiny_map(handle_text: str = HOSTILE) -> WeekMap:
    nodes = (
        MapNode(1, "core@x.example", True, 0, 5, 1, 0.0, 0.0),
        MapNode(2, display_name(handle_text), False, 1, 2, 1, 2.0, 0.0, bridge=1),
        MapNode(3, "far@x.example", False, 3, 1, 1, -4.0, 0.0),
    )
    edges = (MapEdge(1, 0, "reply", 2), MapEdge(2, 1, "boost", 1))
    return WeekMap("2026-W47", "all", nodes, edges, title=HOSTILE)


def test_png_is_deterministic_and_phone_sized() -> None:
    m = synthetic_map(300, core=20, seed=1)
    png = render_png(m)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width == 1080 and height > width
    assert render_png(m) == png
    assert render_png(_tiny_map(), width_px=540)[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_page_escapes_hostile_handles() -> None:
    page = render_map_html(_tiny_map())
    assert "\u202e" not in page and "\x00" not in page
    assert "window.pwned" in page  # the text is there, as data ...
    assert "<script>window.pwned" not in page  # ... and never as markup
    assert page.lower().count("</script>") == 3  # the data, the library, the page script
    assert "<!--" not in page.split('id="map-data">')[1].split("</script>")[0]
    data = page.split('id="map-data">')[1].split("</script>")[0]
    assert json.loads(data)["nodes"]["handle"][1] == display_name(HOSTILE)
    assert json.loads(json_for_script({"a": "\u2028<&>"})) == {"a": "\u2028<&>"}
    markup = page.split("<script>")[0]  # the page without the inlined scripts
    assert (
        "http:" not in markup
        and "https:" not in markup
        and "<link" not in markup
        and "url(" not in markup
    )
    assert "<script src" not in page.lower()


# ---------------------------------------------------------------- graph view on a store


def _config(tmp_path: Path) -> Path:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[core]\npolicy = "list"\naccounts = ["{handle(0)}"]\n'
        "[metrics]\nnull_samples = 0\nbootstrap = 0\n"
    )
    return cfg


def _store_chain(engine: Engine) -> None:
    """Core u0; u1 replies (1 step), u2 replies to u1 (2), u3 to u2 (3), u4 boosts u3 (3+);
    u6 favourites u0 (1); u5 posts alone and u7 replies to u5 (neither reached)."""
    t = Thread()
    p0 = t.post(0, 1)
    p1 = t.post(1, 2, to=p0)
    p2 = t.post(2, 3, to=p1)
    p3 = t.post(3, 4, to=p2)
    t.boost(4, 5, p3)
    t.favourite([6], p0)
    p5 = t.post(5, 6)
    t.post(7, 7, to=p5)
    t.store(engine)


def _cli(db_url: str, cfg: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--config", str(cfg), "--db", db_url, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def _snapshots(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM snapshots")).scalar_one())


def _export_nodes(db_url: str, cfg: Path, tmp_path: Path) -> int:
    out = tmp_path / "g.json"
    assert (
        _cli(db_url, cfg, "graph", "export", *WEEK, "--format", "json", "-o", str(out)).exit_code
        == 0
    )
    return len(json.loads(out.read_text(encoding="utf-8"))["nodes"])


def test_graph_view_writes_one_offline_file(db_url: str, engine: Engine, tmp_path: Path) -> None:
    from echochamber.config import load_settings
    from echochamber.config.weeks import in_zone
    from echochamber.pipeline.maps import week_map, week_map_png
    from tests.storebuild import MONDAY

    _store_chain(engine)
    cfg = _config(tmp_path)
    out = tmp_path / "map.html"
    result = _cli(db_url, cfg, "graph", "view", *WEEK, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert _snapshots(engine) == 0  # reading never writes
    participants = _export_nodes(db_url, cfg, tmp_path)
    assert f"{participants} accounts" in result.stderr
    page = out.read_text(encoding="utf-8")
    data = json.loads(page.split('id="map-data">')[1].split("</script>")[0])
    assert len(data["nodes"]["handle"]) == participants == 8
    settings = load_settings(cfg)
    from echochamber.models import Window

    window = in_zone(Window.iso_week(2026, 47), "UTC")
    wm = week_map(engine, settings, window, "all")
    assert week_map_png(engine, settings, window, "all") == render_png(wm)
    by = {n.handle: n for n in wm.nodes}
    assert [by[handle(i)].distance for i in range(5)] == [0, 1, 2, 3, 4]
    assert by[handle(0)].is_core and by[handle(5)].distance is None
    assert by[handle(6)].distance == 1
    # u0's posts reached everyone through it; u1 passed them on to u2, u3 and u4
    assert [by[handle(i)].bridge for i in range(5)] == [1, 2, 3, 4, 0]
    assert {e.kind for e in wm.edges} == {"reply", "boost", "favourite"}
    assert MONDAY.isocalendar()[1] == 47
    empty = ["graph", "view", "--week", "2020-W01", "-o", str(tmp_path / "e.html")]
    nothing = CliRunner().invoke(cli, ["--config", str(cfg), "--db", db_url, *empty])
    assert isinstance(nothing.exception, NotFound) and "no data in 2020-W01" in str(
        nothing.exception
    )
    assert NotFound.exit_code == 3 and not (tmp_path / "e.html").exists()
    assert _snapshots(engine) == 0
    missing = tmp_path / "no"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "echochamber",
            "--config",
            str(cfg),
            "--db",
            db_url,
            "graph",
            "view",
            *WEEK,
            "-o",
            str(missing / "m.html"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and f"the folder {missing} does not exist" in r.stderr


def test_graph_view_has_help() -> None:
    result = CliRunner().invoke(cli, ["graph", "view", "--help"])
    assert result.exit_code == 0
    assert "interactive map" in result.output and "--output" in result.output


# ---------------------------------------------------------------- in Chromium


def _until(page: Any, condition: str, seconds: float = 60) -> None:
    """Poll ``condition`` in the page (the map's CSP forbids the eval of wait_for_function)."""
    end = time.monotonic() + seconds
    while not page.evaluate(f"(() => Boolean({condition}))()"):
        if time.monotonic() > end:
            raise AssertionError(f"not within {seconds} s: {condition}")
        page.wait_for_timeout(50)


def _open(watch: PageWatch, path: Path) -> Any:
    watch.page.goto(path.as_uri())
    _until(watch.page, "window.echochamberMap !== undefined")
    return watch.page


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_map_in_chromium(
    db_url: str, engine: Engine, tmp_path: Path, browser_page: PageWatch
) -> None:
    _store_chain(engine)
    cfg = _config(tmp_path)
    out = tmp_path / "map.html"
    assert _cli(db_url, cfg, "graph", "view", *WEEK, "-o", str(out)).exit_code == 0
    participants = _export_nodes(db_url, cfg, tmp_path)
    page = _open(browser_page, out)
    assert page.evaluate("echochamberMap.nodeCount") == participants
    assert page.evaluate("echochamberMap.edgeCount") == 6  # 4 replies, a boost, a favourite
    everyone = page.evaluate("echochamberMap.visibleNodes()")
    assert everyone == participants
    page.check("#far")  # hide outsiders at 3+: u3 and u4
    assert page.evaluate("echochamberMap.visibleNodes()") == participants - 2
    page.uncheck("#far")
    in_view = page.evaluate("echochamberMap.nodesInView()")
    assert in_view == participants  # the whole week fits the first view
    browser_page.screenshot("map-week.png")
    page.fill("#search", handle(3))
    page.click("#search-form button[type=submit]")
    _until(page, "Math.abs(echochamberMap.renderer.getCamera().ratio - 0.2) < 1e-9")
    assert page.text_content("#found").startswith(handle(3))
    assert "travel distance 3" in page.text_content("#found")
    assert page.evaluate("echochamberMap.nodesInView()") < in_view
    spot = page.evaluate(f"echochamberMap.locate('{handle(3)}')")
    page.hover("#map", position={"x": spot["x"], "y": spot["y"]})
    page.wait_for_selector("#tip", state="visible", timeout=30_000)
    assert handle(3) in page.text_content("#tip")
    shot = browser_page.screenshot("map-week-search.png")
    assert shot.stat().st_size > 10_000 and shot.parent == ARTIFACTS
    assert browser_page.errors == []
    assert browser_page.requests == []


def test_hostile_handles_stay_text_in_chromium(tmp_path: Path, browser_page: PageWatch) -> None:
    out = tmp_path / "hostile.html"
    out.write_text(render_map_html(_tiny_map()), encoding="utf-8")
    page = _open(browser_page, out)
    assert page.evaluate("window.pwned") is None
    assert page.evaluate("echochamberMap.find('evil')") == display_name(HOSTILE)
    assert page.text_content("#title").startswith(display_name(HOSTILE))
    assert browser_page.errors == [] and browser_page.requests == []


def test_twenty_thousand_accounts_render(tmp_path: Path, browser_page: PageWatch) -> None:
    m = synthetic_map(20_000, seed=1)
    out = tmp_path / "big.html"
    out.write_text(render_map_html(m), encoding="utf-8")
    page = _open(browser_page, out)
    assert page.evaluate("echochamberMap.nodeCount") == m.participants == 20_000
    assert page.evaluate("echochamberMap.edgeCount") == len(m.edges)
    page.check("#far")
    far = sum(1 for n in m.nodes if not n.is_core and n.distance is not None and n.distance >= 3)
    assert page.evaluate("echochamberMap.visibleNodes()") == 20_000 - far
    browser_page.screenshot("map-20000.png")
    assert browser_page.errors == [] and browser_page.requests == []


def test_the_map_goes_into_the_email_and_its_preview(tmp_path: Path) -> None:
    from echochamber.report.data import ReportData
    from echochamber.report.email import build_message, write_preview

    m = {"engaged_outside_share": 0.4, "ci": {"engaged_outside_share": [0.35, 0.45]}}
    data = ReportData("#hcsm", "2026-W47", [("2026-W46", m), ("2026-W47", m)])
    png = render_png(synthetic_map(200, core=10, seed=2))
    msg = build_message(data, "bot@x.example", ["a@x.example"], map_png=png)
    parts = {p.get_filename(): p for p in msg.walk() if p.get_content_type() == "image/png"}
    assert set(parts) == {"map.png", "trend.png"}
    assert parts["map.png"].get_payload(decode=True) == png
    body = msg.get_body(("html",))
    assert body is not None
    html = body.get_content()
    assert f"cid:{parts['map.png']['Content-ID'][1:-1]}" in html and 'data-key="map"' in html
    out = tmp_path / "week.html"
    write_preview(msg, out)
    assert "cid:" not in out.read_text(encoding="utf-8")
    plain = build_message(data, "bot@x.example", ["a@x.example"])
    assert "The map" not in (plain.get_body(("html",)) or msg).get_content()
