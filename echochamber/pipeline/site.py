"""``echochamber report site``: a static site of every week with a stored snapshot.

An ``index.html`` with the history and the trend, one page per week
(``weeks/2026-W47/index.html``: that week's report with links to the index and the weeks
before and after), and ``metrics.html``, the definitions every footnote links to.  Everything
is inline or a file of the site: no request leaves it, every link is relative.  The site is
written into a new folder beside ``DIR`` and swapped in, so a reader never sees half a site;
rerunning replaces it.  Only stored snapshots are read (nothing is computed or stored); the
daemon rebuilds the site after each snapshot job when ``[report.site] dir`` is set.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from echochamber.config import Settings
from echochamber.errors import ConfigError, NotFound, ReportError
from echochamber.models import Snapshot, Window
from echochamber.pipeline.context import JobContext
from echochamber.pipeline.freshness import community_window
from echochamber.pipeline.report import report_data
from echochamber.store import Engine, job_lock, load_snapshot, snapshot_states

log = logging.getLogger(__name__)

MARKER = ".echochamber-site"
"""A file every site holds: only a folder holding it (or an empty one) is ever replaced."""

MapHtml = Callable[[Snapshot], str | None]
"""The interactive map of a week as a self-contained HTML page (``None``: no map)."""
MapImage = Callable[[Snapshot], bytes | None]
"""The static map of a week as PNG bytes (``None``: no map)."""


@dataclass(frozen=True)
class SiteResult:
    """What was written: the folder, the weeks with a page (oldest first), the file count."""

    dir: Path
    weeks: tuple[str, ...]
    files: int


def metrics_doc() -> Path | None:
    """``docs/metrics.md`` of this checkout (``None`` for an installed package without it)."""
    path = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
    return path if path.is_file() else None


def site_weeks(engine: Engine, settings: Settings) -> list[Window]:
    """The community weeks with a stored snapshot (scope ``all``), oldest first."""
    states = snapshot_states(engine, "all", settings.core.policy)
    weeks = {community_window(settings, s.window) for s in states.values()}
    return sorted(weeks, key=lambda w: w.start)


def render_site(
    engine: Engine,
    settings: Settings,
    now: datetime,
    *,
    weeks: int | None = None,
    map_html: MapHtml | None = None,
    map_png: MapImage | None = None,
    doc: Path | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> tuple[dict[str, bytes], tuple[str, ...]]:
    """The site's files (relative path -> bytes) and its weeks; ``weeks`` keeps the newest N.

    ``map_html``/``map_png`` give a week's interactive map and map image: each is written
    beside the week's page and shown on it when given (and when it returns something).
    """
    from echochamber.report.chart import trend_chart_png
    from echochamber.report.html import render_html
    from echochamber.report.site import SiteWeek, render_index, render_markdown_page

    windows = site_weeks(engine, settings)
    if weeks is not None:
        windows = windows[-weeks:] if weeks > 0 else []
    files: dict[str, bytes] = {}
    docs = None
    if doc is not None and doc.is_file():
        text = doc.read_text(encoding="utf-8")
        files["metrics.html"] = render_markdown_page(text, "What echochamber measures").encode()
        docs = "metrics.html"
    pages: list[SiteWeek] = []
    datas = []
    for w in windows:
        try:
            datas.append((w, report_data(engine, settings, w, now, stored_only=True)))
        except NotFound:  # a snapshot of another time zone or roster policy
            continue
    labels = [d.week_label for _, d in datas]
    for i, (w, data) in enumerate(datas):
        here = f"weeks/{data.week_label}"
        nav: dict[str, str | None] = {
            "index": "../../index.html",
            "prev": f"../{labels[i - 1]}/index.html" if i > 0 else None,
            "prev_label": labels[i - 1] if i > 0 else None,
            "next": f"../{labels[i + 1]}/index.html" if i + 1 < len(labels) else None,
            "next_label": labels[i + 1] if i + 1 < len(labels) else None,
        }
        snap = load_snapshot(engine, w, "all", settings.core.policy)
        page_map = map_html(snap) if map_html and snap else None
        image = map_png(snap) if map_png and snap else None
        if page_map:
            files[f"{here}/map.html"] = page_map.encode()
        if image:
            files[f"{here}/map.png"] = image
        chart = None
        if len(data.history) > 1:
            files[f"{here}/trend.png"] = trend_chart_png(data.history)
            chart = "trend.png"
        html = render_html(
            data,
            chart_src=chart,
            map_src="map.png" if image else None,
            map_page="map.html" if page_map else None,
            nav=nav,
            docs_href=f"../../{docs}" if docs else None,
        )
        files[f"{here}/index.html"] = html.encode()
        pages.append(SiteWeek(data, f"{here}/index.html"))
        if progress is not None:
            progress("weeks written", 1)
    chart = None
    history = [(p.data.week_label, p.data.current) for p in pages[-26:]]
    if len(history) > 1:
        files["trend.png"] = trend_chart_png(history)
        chart = "trend.png"
    index = render_index(
        settings.title, pages, chart=chart, docs=docs, generated=f"{now:%Y-%m-%d %H:%M} UTC"
    )
    files["index.html"] = index.encode()
    files[MARKER] = b"echochamber static site; rewritten as a whole by `echochamber report site`\n"
    return files, tuple(labels)


def write_site(files: Mapping[str, bytes], out: Path) -> None:
    """Write ``files`` as the folder ``out``, all or nothing: into a new folder beside it,
    then swapped in.  A folder that is not empty and holds no :data:`MARKER` is refused.
    The caller holds the site's lock, so half-written folders beside ``out`` (a run killed
    midway) are removed first."""
    out = out.expanduser().absolute()
    parent = out.parent
    if not parent.is_dir():
        raise ReportError(f"{out}: the folder {parent} does not exist; create it first")
    if out.exists():
        if not out.is_dir():
            raise ReportError(f"{out}: is a file; give a folder for the site")
        if any(out.iterdir()) and not (out / MARKER).is_file():
            raise ReportError(
                f"{out}: not empty and not an echochamber site ({MARKER} missing); "
                "give a new or empty folder"
            )
    for stale in [*parent.glob(f".{out.name}.new-*"), *parent.glob(f".{out.name}.old-*")]:
        shutil.rmtree(stale, ignore_errors=True)  # left by a run that was killed midway
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=parent))
    except OSError as exc:
        raise ReportError(f"{out}: cannot write in {parent}: {exc.strerror}") from None
    try:
        os.chmod(tmp, 0o755)  # a web server reads it
        for rel, data in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if out.exists():
            old = parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(out, old)
            os.rename(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ReportError(f"{out}: cannot write the site: {exc}") from None


def build_site(
    engine: Engine,
    settings: Settings,
    out: Path,
    now: datetime,
    *,
    weeks: int | None = None,
    map_html: MapHtml | None = None,
    map_png: MapImage | None = None,
    doc: Path | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> SiteResult | None:
    """Render and write the site to ``out``; ``None`` when another process is writing it.
    ``progress(what, n)`` is told of each week written."""
    with job_lock(engine, "site", str(out.expanduser().absolute())) as got:
        if not got:
            return None
        files, labels = render_site(
            engine,
            settings,
            now,
            weeks=weeks,
            map_html=map_html,
            map_png=map_png,
            doc=doc,
            progress=progress,
        )
        write_site(files, out)
    log.info("site %s: %d weeks, %d files", out, len(labels), len(files))
    return SiteResult(out, labels, len(files))


def site_job(settings: Settings, ctx: JobContext) -> SiteResult | None:
    """The daemon's job: rebuild the site in ``[report.site] dir``."""
    where = settings.report.site.dir
    if not where:
        raise ConfigError("report.site.dir must be set to build the site")
    return publish(ctx.engine, settings, Path(where), ctx.clock())


def publish(
    engine: Engine,
    settings: Settings,
    out: Path,
    now: datetime,
    *,
    weeks: int | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> SiteResult | None:
    """The whole site as users get it (``report site``, the daemon, the demo): every week's
    report with its map image and interactive map, and the definitions page."""
    from echochamber.pipeline.maps import site_maps

    page, image = site_maps(engine, settings)
    return build_site(
        engine,
        settings,
        out,
        now,
        weeks=weeks,
        map_html=page,
        map_png=image,
        doc=metrics_doc(),
        progress=progress,
    )
