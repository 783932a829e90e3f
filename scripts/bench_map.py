"""``scripts/bench.py map``: how smooth the interactive map is, in headless Chromium.

Each map is a synthetic week (``echochamber.sim.maps``) written by ``render_map_html`` and
opened in the system Chromium (as the tests drive it).  A scripted zoom and pan moves sigma's
camera on every animation frame for ``--seconds``; the figure is the time between frames
(mean, 95th percentile, frames per second).  The baseline is the same script on a map of
``--baseline`` accounts in the same browser and run; the ratio is what to compare.  Software
WebGL (SwiftShader) on a shared machine: read ratios, not milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

_MOTION = """async (seconds) => {
  const cam = window.echochamberMap.renderer.getCamera();
  const gaps = [];
  let last = performance.now();
  const t0 = last;
  await new Promise((done) => {
    function step(now) {
      gaps.push(now - last);
      last = now;
      const t = (now - t0) / 1000;
      cam.setState({ x: 0.5 + 0.2 * Math.sin(t * 1.3), y: 0.5 + 0.2 * Math.cos(t * 0.9),
                     ratio: 0.35 + 0.3 * (1 + Math.sin(t * 2.1)) });
      if (t < seconds) requestAnimationFrame(step); else done();
    }
    requestAnimationFrame(step);
  });
  return gaps.slice(3);
}"""


def _measure(browser: Any, path: Path, seconds: float) -> tuple[float, dict[str, float]]:
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    t0 = time.perf_counter()
    page.goto(path.as_uri())
    while not page.evaluate("window.echochamberMap !== undefined"):  # CSP: no wait_for_function
        page.wait_for_timeout(50)
    page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    load = time.perf_counter() - t0
    gaps = page.evaluate(_MOTION, seconds)
    page.close()
    gaps.sort()
    mean = statistics.fmean(gaps)
    return load, {
        "mean": mean,
        "p95": gaps[int(0.95 * (len(gaps) - 1))],
        "fps": 1000 / mean,
        "frames": len(gaps),
    }


def cmd_map(args: argparse.Namespace) -> None:
    from playwright.sync_api import sync_playwright

    from echochamber.report.interactive_map import render_map_html
    from echochamber.sim.maps import synthetic_map
    from tests.browser import ARGS, chromium_path

    exe = chromium_path()
    if exe is None:
        raise SystemExit("bench map: no Chromium (install Debian's chromium package)")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=ARGS, headless=True)
        rows = []
        for n in (args.baseline, args.nodes):
            t0 = time.perf_counter()
            wm = synthetic_map(n, seed=1)
            path = Path(tmp) / f"map-{n}.html"
            path.write_text(render_map_html(wm), encoding="utf-8")
            build = time.perf_counter() - t0
            size = path.stat().st_size / 1e6
            load, frames = _measure(browser, path, args.seconds)
            rows.append((n, len(wm.edges), build, size, load, frames))
        browser.close()
    base = rows[0][5]["mean"]
    print(f"map: {args.seconds:g} s of scripted zoom and pan per map, headless Chromium")
    print(
        f"{'accounts':>9}{'ties':>8}{'build s':>9}{'MB':>6}{'load s':>8}"
        f"{'frame ms':>10}{'p95 ms':>8}{'fps':>6}{'ratio':>7}"
    )
    for n, m, build, size, load, f in rows:
        print(
            f"{n:>9}{m:>8}{build:>9.2f}{size:>6.1f}{load:>8.2f}{f['mean']:>10.1f}"
            f"{f['p95']:>8.1f}{f['fps']:>6.0f}{f['mean'] / base:>6.2f}x"
        )
