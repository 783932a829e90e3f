"""Weeks in the community's time zone, provisional and final snapshots, snapshots that know
their inputs, the roster's hygiene and the migration of first-edition stores."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import Engine, text

from echochamber.cli.main import cli
from echochamber.config import CollectSettings, CoreSettings, MetricsSettings, Settings
from echochamber.config.weeks import zone_week
from echochamber.models import Window
from echochamber.pipeline.freshness import stale
from echochamber.pipeline.snapshot import compute, missing_weeks
from echochamber.store import history, load_snapshot
from tests.storebuild import MONDAY, Thread, account, handle

W47 = Window(MONDAY, MONDAY + timedelta(days=7))
QUICK = MetricsSettings(null_samples=0, bootstrap=20, jackknife_groups=10)


def listed(*core: int, **core_kw: Any) -> Settings:
    return Settings(
        core=CoreSettings(policy="list", accounts=tuple(handle(c) for c in core), **core_kw),
        metrics=QUICK,
    )


def chat(engine: Engine, monday: datetime = MONDAY) -> None:
    """#hcsm's chat: 1 opens it Sunday 22 November 2026, 20:00 US Central (CST = UTC-6:
    Monday 02:00 UTC, 2026-W48 in UTC), 2 and 3 answer at 20:30 and 21:30 local; 4 answered
    1's Tuesday post."""
    t = Thread(start=monday)
    root = t.post(1, 6 * 24 + 20 + 6)  # hours from Monday 00:00 UTC of W47
    t.post(2, 6 * 24 + 20.5 + 6, to=root, lead=(1,))
    t.post(3, 6 * 24 + 21.5 + 6, to=root, lead=(1,))
    tuesday = t.post(1, 24 + 12)
    t.post(4, 24 + 13, to=tuesday, lead=(1,))
    t.store(engine)


def test_the_chat_counts_in_its_local_week(engine: Engine) -> None:
    chat(engine)
    central = listed(1, timezone="America/Chicago")
    m = compute(engine, central, W47).metrics  # --week 2026-W47, read in US Central
    # Local W47 (16 Nov 00:00 CST to 23 Nov 00:00 CST) holds both conversations: 5 posts,
    # engaged 2, 3 (the chat) and 4 (Tuesday).
    assert m["posts"] == 5 and m["engaged"] == 3
    utc = listed(1)
    assert compute(engine, utc, W47).metrics["posts"] == 2  # UTC W47: Tuesday only
    assert compute(engine, utc, W47.previous(-1)).metrics["posts"] == 3  # the chat: UTC W48
    snap = load_snapshot(
        engine, zone_week(MONDAY + timedelta(days=1), "America/Chicago"), "all", "list"
    )
    assert snap is not None and snap.window.label == "2026-W47"
    assert snap.window.start == datetime(2026, 11, 16, 6, tzinfo=UTC)


def test_provisional_until_settled_then_final(engine: Engine) -> None:
    chat(engine)
    s = replace(listed(1), collect=CollectSettings(settle_days=3))
    early = compute(engine, s, W47, now=W47.end + timedelta(days=2))
    assert early.provisional and not early.final
    # Settled: --missing recomputes the provisional week, and it becomes final.
    later = W47.end + timedelta(days=3)
    assert W47.start in [w.start for w in missing_weeks(engine, s, now=later)]
    final = compute(engine, s, W47, now=later)
    assert final.final and not final.provisional
    assert W47.start not in [w.start for w in missing_weeks(engine, s, now=later)]


def test_a_snapshot_knows_its_inputs_and_says_when_it_is_stale(engine: Engine) -> None:
    chat(engine)
    s = listed(1)
    snap = compute(engine, s, W47)
    # W47 in UTC is read from the posts written from its start to 7 days after it (settling):
    # the Tuesday post and reply plus the three chat posts (W48, within the settling time).
    assert snap.inputs["posts"] == 5 and snap.inputs["policy"] == "list"
    assert snap.inputs["edition"] == 2 and snap.inputs["timezone"] == "UTC"
    assert stale(engine, s, snap) == []
    later = Thread(start=MONDAY + timedelta(hours=40))
    later.post(5, 0, tagged=True)
    later.store(engine)
    assert stale(engine, s, snap) == ["posts"]  # a new post, no new interaction
    assert "size" in stale(engine, replace(s, core=replace(s.core, size=50)), snap)
    assert W47.start in [w.start for w in missing_weeks(engine, s)]


def run(db_url: str, cfg: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--config", str(cfg), "--db", db_url, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_reach_and_history_carry_the_second_edition(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    # Weeks of 2099 (2099-W46 and W47 start on 9 and 16 November, like 2026's): always
    # recent enough to be settling, whenever the suite runs.
    future = datetime(2099, 11, 16, tzinfo=UTC)
    t = Thread(start=future - timedelta(days=7))
    for hour in (10, 40):
        p = t.post(1, hour)
        for i in range(2, 7):
            t.post(i, hour + i, to=p, lead=(1,))
    t.store(engine)
    chat(engine, future)
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[core]\npolicy = "list"\naccounts = ["{handle(1)}"]\ntimezone = "America/Chicago"\n'
        "[metrics]\nnull_samples = 0\nbootstrap = 20\njackknife_groups = 10\n"
    )
    reach = json.loads(run(db_url, cfg, "graph", "reach", "--week", "2099-W47", "--json").stdout)
    for key in ("ci", "sensitivity", "completeness", "roster_source", "provisional"):
        assert key in reach, key
    assert reach["completeness"]["posts"] > 0 and reach["roster_source"] == "list"
    assert reach["stale"] == [] and reach["edition"] == 2
    for week in ("2099-W46", "2099-W47"):  # graph reach stored nothing; compute stores
        run(db_url, cfg, "metrics", "compute", "--week", week)
    hist = json.loads(run(db_url, cfg, "metrics", "history", "--json").stdout)
    weeks = hist["weeks"]
    assert [w["week"] for w in weeks] == ["2099-W46", "2099-W47"]
    for w in weeks:
        assert {"ci", "sensitivity", "completeness", "roster_source", "provisional"} <= set(w)
        assert w["provisional"] and not w["final"]
    # W46: 2..6 replied to 1's two posts: engaged {2..6}, all outsiders, share 1.  W47 (US
    # Central): 2 and 3 in the chat, 4 on Tuesday: share 1.  Leaving out either conversation
    # keeps the share at 1, so both standard errors are 0 and the change, 0, is no clear one.
    change = weeks[1]["change"]["engaged_outside_share"]
    assert change == {"change": 0.0, "interval": [0.0, 0.0], "clear": False}
    out = run(db_url, cfg, "metrics", "history").stdout
    assert "2099-W47*" in out and "no clear change" in out and "* provisional" in out


def test_first_edition_snapshots_are_migrated_and_recomputed(tmp_path: Path) -> None:
    from alembic import command

    from echochamber.store.engine import HEAD, _alembic_config, init_db, make_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    command.upgrade(_alembic_config(engine), "0004")  # a store of the first edition
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO snapshots (scope, window_start, window_end, policy, computed_at, "
                "metrics, roster, details, final) VALUES ('all', :s, :e, 'list', :c, :m, '[]', "
                "'{}', 1)"
            ),
            {
                # the text the first edition's UTCDateTime columns wrote on SQLite
                "s": W47.start.strftime("%Y-%m-%d %H:%M:%S.%f"),
                "e": W47.end.strftime("%Y-%m-%d %H:%M:%S.%f"),
                "c": "2026-12-01 00:00:00.000000",
                "m": json.dumps({"outside_share": 0.82}),
            },
        )
    before, after = init_db(engine)
    assert (before, after) == ("0004", HEAD)
    chat(engine)  # the week's posts, stored as this release stores them
    old = history(engine, "all", "list", 10)
    assert [(s.window.label, s.edition) for s in old] == [("2026-W47", 1)]
    s = listed(1)
    assert stale(engine, s, old[0]) == ["edition"]
    assert W47.start in [w.start for w in missing_weeks(engine, s)]
    for w in missing_weeks(engine, s):
        compute(engine, s, w)
    new = history(engine, "all", "list", 10)
    assert [(x.window.label, x.edition) for x in new if x.window == W47] == [("2026-W47", 2)]
    engine.dispose()


def test_bots_and_excluded_accounts_never_enter_the_roster(engine: Engine) -> None:
    t = Thread(start=MONDAY - timedelta(days=7))
    for k in range(6):  # 9 is the busiest account of the trailing week...
        t.post(9, k)
    for author in (1, 2, 5):
        t.post(author, 10 + author)
    t.statuses[0]["account"] = account(9) | {"bot": True}  # ...and a bot
    for st in t.statuses[1:6]:
        st["account"] = account(9) | {"bot": True}
    t.store(engine)
    chat(engine)
    s = Settings(
        core=CoreSettings(policy="top-active", size=2, window_weeks=1, exclude=("graph.example",)),
        metrics=QUICK,
    )
    # Everyone lives on graph.example: excluding the server leaves no roster.
    assert compute(engine, s, W47).roster == ()
    s = replace(s, core=replace(s.core, exclude=(handle(5),)))
    snap = compute(engine, s, W47)
    # Ranking the trailing week: 9 (6 posts, a bot) never enters, 5 is excluded: 1 and 2.
    assert sorted(str(m.handle) for m in snap.roster) == [handle(1), handle(2)]
    assert snap.metrics["roster_source"] == "trailing"


def test_the_first_week_takes_its_roster_from_itself_and_says_so(engine: Engine) -> None:
    chat(engine)
    s = Settings(core=CoreSettings(policy="top-active", size=3, window_weeks=2), metrics=QUICK)
    snap = compute(engine, s, W47)
    # Nothing before W47: the roster comes from W47 itself (UTC: 1's Tuesday post, 4's reply
    # to it; the chat is W48), ranked 4 (a post and a reply) then 1 (a post).
    assert snap.metrics["roster_source"] == "same-week"
    assert sorted(str(m.handle) for m in snap.roster) == [handle(1), handle(4)]


def test_kcore_is_padded_by_activity(engine: Engine) -> None:
    t = Thread(start=MONDAY - timedelta(days=7))
    a, b, c = t.post(5, 1), t.post(6, 2), t.post(7, 3)
    t.post(6, 4, to=a)
    t.post(7, 5, to=b)
    t.post(5, 6, to=c)  # 5, 6, 7 reply around a triangle: the main core, k = 2
    for k in range(8):
        t.post(8, 10 + k)  # 8 posts eight times but ties with no one
    t.post(9, 30)
    t.store(engine)
    chat(engine)
    s = Settings(core=CoreSettings(policy="kcore", size=4, window_weeks=1), metrics=QUICK)
    snap = compute(engine, s, W47)
    # The main core {5, 6, 7} is one short of 4: the most active account outside it, 8
    # (8 posts; 9 has one), fills the roster.
    assert sorted(str(m.handle) for m in snap.roster) == [handle(n) for n in (5, 6, 7, 8)]
    assert snap.metrics["roster_source"] == "trailing"


def test_the_daemon_recomputes_settling_weeks_until_final(engine: Engine) -> None:
    from echochamber.pipeline.context import JobContext
    from echochamber.pipeline.snapshot import snapshot_recent

    chat(engine)
    s = replace(listed(1), collect=CollectSettings(settle_days=3))
    # Thursday of W48 (UTC): W48 is the current week, W47 ended 3.5 days ago and has settled.
    now = W47.end + timedelta(days=3, hours=12)
    ctx = JobContext(engine=engine, clock=lambda: now)
    assert snapshot_recent(s, ctx) == ["2026-W48/all", "2026-W47/all"]
    w47 = load_snapshot(engine, W47, "all", "list")
    assert w47 is not None and w47.final
    # The next day: W48 is still settling and is recomputed; W47 is final and left alone.
    ctx = JobContext(engine=engine, clock=lambda: now + timedelta(days=1))
    assert snapshot_recent(s, ctx) == ["2026-W48/all"]


def test_the_roster_ranks_acts_not_mention_objects(engine: Engine) -> None:
    t = Thread(start=MONDAY - timedelta(days=7))
    root = t.post(1, 1)
    t.post(1, 2)
    t.post(1, 3)  # 1: three posts
    for hour in (4, 5):
        t.post(4, hour)  # 4: two posts
    t.post(3, 6, to=root, lead=(1, 5, 6, 7, 8))  # 3: one post and one reply, five mentions
    t.store(engine)
    chat(engine)
    s = Settings(core=CoreSettings(policy="top-active", size=1, window_weeks=1), metrics=QUICK)
    # Posts plus acts: 1 has 3, 3 has 2 (a post and a reply), 4 has 2.  Counting mention
    # objects, as the first edition did, 3 would have 2 + 5 = 7 and take the one seat.
    assert {str(m.handle) for m in compute(engine, s, W47).roster} == {handle(1)}
