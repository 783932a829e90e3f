"""The offline demo: a simulated #hcsm-like community, collected over HTTP, measured, reported.

It runs the daemon's code paths with no network: the earlier weeks are seeded by the simulator
through the import path; the current week is posted to a local Mastodon API server
(mastodon-mock, the ``demo`` extra) through its REST API and collected from it over HTTP by the
real collector; then every week is measured and the weekly report is written to a file.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from echochamber.config import (
    CollectSettings,
    CoreSettings,
    MastodonSource,
    MetricsSettings,
    ReportSettings,
    Settings,
    StoreSettings,
)
from echochamber.errors import EchoChamberError
from echochamber.models import Window
from echochamber.pipeline.collection import collect
from echochamber.pipeline.context import JobContext
from echochamber.pipeline.report import build
from echochamber.pipeline.snapshot import compute
from echochamber.sim.model import Community, SimParams, populate, week
from echochamber.store import init_db, load_snapshot, make_engine

log = logging.getLogger(__name__)
DOMAIN = "hcsm.demo"
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class DemoResult:
    out_dir: Path
    db_url: str
    report_html: Path
    report_eml: Path
    week: str
    collected: list[Any]
    metrics: dict[str, Any]
    subject: str
    text: str
    site: Path | None = None  # the static site of every week (``report site``)
    map_html: Path | None = None  # the week's interactive map (``graph view``)
    config: Path | None = None  # the settings it measured with, for the commands to read


def _server(params: SimParams) -> Any:
    try:
        from mastodon_mock.config import (
            DatabaseConfig,
            MastodonMockConfig,
            SeedAccount,
            SeedConfig,
        )
        from mastodon_mock.testing import MockServer
    except ImportError:
        raise EchoChamberError(
            "the demo needs the local Mastodon API server: pip install 'echochamber[demo]'"
        ) from None
    names = [
        Community(params).accounts[i]["username"]
        for i in range(params.core_size + params.periphery_size)
    ]
    seed = SeedConfig(
        accounts=[
            SeedAccount(username=n, display_name=n.title(), access_token=f"{n}-token")
            for n in names
        ]
    )
    config = MastodonMockConfig(database=DatabaseConfig(path=":memory:"), seed=seed, domain=DOMAIN)
    return MockServer(config=config).start()


def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """One API call of the demo's posting, again when the local server had already closed the
    kept-alive connection ("Connection aborted": the request never reached it, so a repeat
    cannot post twice)."""
    from mastodon.errors import MastodonNetworkError

    for attempt in range(3):
        try:
            return fn(*args, **kwargs)
        except MastodonNetworkError as exc:
            if "Connection aborted" not in str(exc) or attempt == 2:
                raise
    return None  # pragma: no cover - the loop returns or raises


def _post_week(
    server: Any,
    statuses: list[dict[str, Any]],
    favourites: list[tuple[dict[str, Any], list[dict[str, Any]]]],
    progress: Callable[[str, int], None],
) -> int:
    """Publish a simulated week through the server's REST API; returns the API calls made."""
    clients: dict[str, Any] = {}
    ids: dict[str, str] = {}
    calls = 0

    def client(name: str) -> Any:
        if name not in clients:
            clients[name] = server.client(name)
        return clients[name]

    for st in statuses:
        name = st["account"]["username"]
        if st.get("reblog"):
            target = ids.get(st["reblog"]["id"])
            if target:
                _call(client(name).status_reblog, target)
                calls += 1
            continue
        text = _TAGS.sub("", st["content"])
        tags = [t["name"] for t in st["tags"] if f"#{t['name']}" not in text]
        text = " ".join([text, *(f"#{t}" for t in tags)])
        kwargs: dict[str, Any] = {}
        if st.get("in_reply_to_id") in ids:
            kwargs["in_reply_to_id"] = ids[st["in_reply_to_id"]]
        quote = (st.get("quote") or {}).get("quoted_status")
        if quote and quote["id"] in ids:
            kwargs["quoted_status_id"] = ids[quote["id"]]
        posted = _call(client(name).status_post, text, **kwargs)
        ids[st["id"]] = str(posted["id"])
        calls += 1
        progress("posted to the local server", 1)
    for root, fans in favourites:
        target = ids.get(root["id"])
        for fan in fans if target else ():
            _call(client(fan["username"]).status_favourite, target)
            calls += 1
    return calls


def run_demo(
    out_dir: Path,
    *,
    weeks: int = 12,
    seed: int = 0,
    core: int = 30,
    periphery: int = 300,
    posts_per_week: int = 120,
    mixing: float = 0.25,
    now: datetime | None = None,
    progress: Callable[[str, int], None] = lambda what, n: None,
) -> DemoResult:
    """Run the whole pipeline offline and write the report into ``out_dir``."""
    now = now or datetime.now(UTC)
    out_dir.mkdir(parents=True, exist_ok=True)
    db = out_dir / "echochamber.db"
    for stale in (db, db.with_suffix(".db-wal"), db.with_suffix(".db-shm")):
        stale.unlink(missing_ok=True)
    db_url = f"sqlite:///{db}"
    engine = make_engine(db_url)
    init_db(engine)
    current = Window.week_of(now)
    params = SimParams(
        core_size=core,
        periphery_size=periphery,
        weeks=weeks - 1,
        posts_per_week=posts_per_week,
        mixing=mixing,
        seed=seed,
        start=current.start - timedelta(weeks=weeks - 1),
        instances=(DOMAIN,),
    )
    populate(engine, params, progress=progress)
    # the current week: the same community, a week on, published to a real API server
    community = Community(params)
    for i in range(weeks - 1):
        week(community, i)
    live = week(community, weeks - 1)
    server = _server(params)
    try:
        calls = _post_week(server, live.statuses, live.favourites, progress)
        log.info("published the current week: %d API calls", calls)
        settings = Settings(
            store=StoreSettings(url=db_url),
            mastodon=(MastodonSource(server.base_url, ("hcsm",), None, None),),
            collect=CollectSettings(settle_days=7),
            core=CoreSettings(policy="top-active", size=core, window_weeks=weeks),
            metrics=MetricsSettings(null_samples=100, seed=seed),
            report=ReportSettings(title="#hcsm"),
        )
        settings = replace(
            settings,
            report=replace(
                settings.report,
                email=replace(
                    settings.report.email,
                    sender="echochamber@hcsm.demo",
                    recipients=("team@hcsm.demo",),
                ),
            ),
        )
        job = JobContext(engine=engine, progress=progress, clock=lambda: now)
        collected = collect(settings, job)
    finally:
        server.stop()
    for back in range(weeks):
        compute(engine, settings, current.previous(back), "all", now=now)
        progress("weeks measured", 1)
    msg = build(engine, settings, current, now, ("team@hcsm.demo",))
    from echochamber.report.email import write_preview

    html, eml = out_dir / "report.html", out_dir / "report.eml"
    write_preview(msg, html)
    write_preview(msg, eml)
    from echochamber.pipeline.maps import write_view
    from echochamber.pipeline.site import publish

    config = _write_config(out_dir / "echochamber.toml", db_url, core, weeks, seed)
    view = out_dir / "map.html"
    write_view(engine, settings, current, "all", view)
    site = publish(engine, settings, out_dir / "site", now)
    snap = load_snapshot(engine, current, "all", "top-active")
    text_part = msg.get_body(("plain",))
    engine.dispose()
    return DemoResult(
        out_dir,
        db_url,
        html,
        eml,
        current.label,
        collected,
        snap.metrics if snap else {},
        str(msg["Subject"]),
        text_part.get_content() if text_part else "",
        site.dir / "index.html" if site else None,
        view,
        config,
    )


def _write_config(path: Path, db_url: str, core: int, weeks: int, seed: int) -> Path:
    """The demo's settings as a config file: a command given it reads the demo's snapshots
    as current (with the defaults instead, every one would read stale: another roster)."""
    path.write_text(
        "# Written by `echochamber demo`: the settings its snapshots were computed with.\n"
        f'[store]\nurl = "{db_url}"\n'
        "[collect]\nsettle_days = 7\n"
        f'[core]\npolicy = "top-active"\nsize = {core}\nwindow_weeks = {weeks}\n'
        f"[metrics]\nnull_samples = 100\nseed = {seed}\n"
        '[report]\ntitle = "#hcsm"\n',
        encoding="utf-8",
    )
    return path
