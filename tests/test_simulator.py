"""The second edition checked on the simulator, whose core is known: a closed core reads 0, the
headline never falls as mixing rises, the 95% intervals cover the true value, bots stay out.

Small communities and few weeks keep these affordable; the coverage check reads 150 weeks of
a community of 220 accounts.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine

from echochamber.config import CoreSettings, MetricsSettings, Settings
from echochamber.models import Window
from echochamber.pipeline.snapshot import compute
from echochamber.sim.model import SimParams, core_of, populate
from echochamber.store import graph_reader, init_db, make_engine

KEYS = ("engaged_outside_share", "outsiders_reached", "core_outbound_share")
MIXING = (0.0, 0.1, 0.3, 0.5, 1.0)
POINT = MetricsSettings(null_samples=0, bootstrap=0, sensitivity=False)


def week_of(p: SimParams, i: int) -> Window:
    return Window(p.start + timedelta(weeks=i), p.start + timedelta(weeks=i + 1))


def measure(engine: Engine, p: SimParams, policy: str, metrics: MetricsSettings = POINT) -> Any:
    """The second week of the simulation, measured with ``policy`` (``list``: the true core;
    the automatic policies rank the first week)."""
    _, handles = core_of(p)
    settings = Settings(
        core=CoreSettings(policy=policy, size=p.core_size, window_weeks=1, accounts=handles),
        metrics=metrics,
    )
    return compute(engine, settings, week_of(p, 1)).metrics


def fresh(tmp_path: Path, name: str, p: SimParams) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    init_db(engine)
    populate(engine, p)
    return engine


@pytest.mark.parametrize("core", [40, 100, 200])
def test_a_closed_core_reads_zero_with_its_true_roster(engine: Engine, core: int) -> None:
    # mixing 0: every act on a core post comes from the core, and the core acts only on core
    # posts (bots included: they are outsiders and stay among outsiders).
    p = SimParams(core_size=core, periphery_size=core, weeks=2, posts_per_week=60, mixing=0.0)
    populate(engine, p)
    m = measure(engine, p, "list")
    assert [m[k] for k in KEYS] == [0.0, 0, 0.0]
    assert m["core_mentions_outward"] == 0 and m["ei_index"] == -1.0
    # ...while the first edition's headline counted outsiders talking among themselves
    assert m["outside_share"] > 0.3


def sweep(tmp_path: Path, core: int) -> dict[str, list[list[Any]]]:
    out: dict[str, list[list[Any]]] = {"list": [], "top-active": [], "kcore": []}
    for mixing in MIXING:
        p = SimParams(
            core_size=core,
            periphery_size=5 * core,
            weeks=2,
            posts_per_week=max(150, core),
            mixing=mixing,
            bots=2,
            seed=1,
        )
        engine = fresh(tmp_path, f"m{core}-{mixing}.db", p)
        for policy, rows in out.items():
            rows.append([measure(engine, p, policy)[k] for k in KEYS])
        engine.dispose()
    return out


@pytest.mark.parametrize("core", [40, 200])
def test_the_headline_never_falls_as_mixing_rises(tmp_path: Path, core: int) -> None:
    # Runs at different mixing share their random numbers (the simulator draws the same ones
    # whatever the mixing), so each step up in mixing moves only the crossing decisions.
    table = sweep(tmp_path, core)
    true_roster = np.array(table["list"], dtype=float)
    assert (true_roster[0] == 0).all()  # closed: all three are 0
    assert (np.diff(true_roster, axis=0) >= 0).all(), table["list"]
    assert (true_roster[1:] > 0).all()
    for policy in ("top-active", "kcore"):
        auto = np.array(table[policy], dtype=float)
        # roster errors make them positive at mixing 0, but never higher than with mixing
        assert (auto[0] <= auto[1:]).all(), (policy, table[policy])
        assert (auto[0] == auto.min(axis=0)).all()


def test_bots_never_enter_the_roster(tmp_path: Path) -> None:
    p = SimParams(core_size=20, periphery_size=200, weeks=2, posts_per_week=60, bots=3)
    engine = fresh(tmp_path, "bots.db", p)
    with graph_reader(engine) as reader:
        activity = reader.activity(week_of(p, 0))
        info = reader.account_info(activity)
    bots = {i for i in activity if str(info[i]["handle"]).startswith("bot")}
    ranked = sorted(activity, key=lambda i: -activity[i])
    assert len(bots) == 3 and bots <= set(ranked[:10])  # 30 posts a week each: near the top
    for policy in ("top-active", "kcore"):
        settings = Settings(
            core=CoreSettings(policy=policy, size=20, window_weeks=1), metrics=POINT
        )
        snap = compute(engine, settings, week_of(p, 1))
        assert not {m.id for m in snap.roster} & bots, policy
    engine.dispose()


def test_intervals_cover_the_true_value(tmp_path: Path) -> None:
    # A fixed community (drift 0, the list policy with its true core): every week is a fresh
    # draw of conversations from it.  The true value of a key is its expectation over weeks,
    # estimated by the mean of 100 further weeks; the 50 replicate weeks each carry a 95%
    # interval (200 bootstrap resamples or 50 jackknife groups, seeded).
    replicates, extra = 50, 100
    p = SimParams(
        core_size=20,
        periphery_size=200,
        weeks=replicates + extra + 1,
        posts_per_week=120,
        mixing=0.3,
        drift=0.0,
        seed=0,
    )
    engine = fresh(tmp_path, "cover.db", p)
    _, handles = core_of(p)
    core = CoreSettings(policy="list", accounts=handles)
    with_ci = Settings(core=core, metrics=MetricsSettings(null_samples=0, sensitivity=False))
    point = Settings(core=core, metrics=POINT)
    measured = [compute(engine, with_ci, week_of(p, i)).metrics for i in range(replicates)]
    truth_weeks = [
        compute(engine, point, week_of(p, i)).metrics for i in range(replicates, replicates + extra)
    ]
    engine.dispose()
    covered = {}
    for key in measured[0]["ci"]:
        truth = float(np.mean([m[key] for m in truth_weeks if m[key] is not None]))
        covered[key] = sum(
            1 for m in measured if m["ci"][key] and m["ci"][key][0] <= truth <= m["ci"][key][1]
        )
    assert covered["engaged_outside_share"] >= 45, covered
    assert all(n >= 45 for n in covered.values()), covered


def test_every_conversation_counts_once_and_the_chat_in_its_local_week(tmp_path: Path) -> None:
    # Replies come up to 48 hours after their parent, so threads cross week boundaries; the
    # community keeps US Central time and its chat, Sunday 20:00 local (Monday 02:00 UTC).
    p = SimParams(
        core_size=15,
        periphery_size=100,
        weeks=3,
        posts_per_week=40,
        timezone="America/Chicago",
        chat_replies=12,
    )
    engine = fresh(tmp_path, "tz.db", p)
    with graph_reader(engine) as reader:
        posts = reader.tagged_posts_by_author(
            Window(p.start - timedelta(weeks=1), week_of(p, 5).end)
        )
    _, handles = core_of(p)
    for zone, weeks in (("America/Chicago", range(4)), ("UTC", range(5))):
        s = Settings(
            core=CoreSettings(policy="list", accounts=handles, timezone=zone), metrics=POINT
        )
        got = [compute(engine, s, week_of(p, i)).metrics for i in weeks]
        # each tagged post is counted in exactly one week, whichever zone the weeks keep
        assert sum(m["posts"] for m in got) == sum(posts.values()), zone
        assert all(m["instances"] == 3 for m in got if m["participants"])  # three servers
    # In US Central, the simulation's three weeks hold everything (the fourth is empty); in
    # UTC each Sunday chat (its root and 12 tagged answers) falls in the next week, so a
    # fourth week holds the last one, with any root written after 18:00 on that Sunday.
    central = Settings(
        core=CoreSettings(policy="list", accounts=handles, timezone="America/Chicago"),
        metrics=POINT,
    )
    utc = replace_zone(central, "UTC")
    assert compute(engine, central, week_of(p, 3)).metrics["posts"] == 0
    assert compute(engine, utc, week_of(p, 3)).metrics["posts"] >= 1 + 12
    engine.dispose()


def replace_zone(s: Settings, zone: str) -> Settings:
    from dataclasses import replace

    return replace(s, core=replace(s.core, timezone=zone))
