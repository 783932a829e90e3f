"""A generative model of a hashtag community with a known core, for the demo, tests, benchmarks.

Accounts are a core (the regulars) and a periphery.  Activity is heavy-tailed (log-normal
weights that drift from week to week).  Every tagged post draws replies (nested, mostly
untagged, some days later, so threads cross week boundaries), boosts, favourites, quotes and
typed mentions; whoever acts is drawn from the author's own group, or from the other group
with probability ``mixing``.  With ``mixing = 0`` the core only ever hears from the core:
nothing beyond it is reached.  Each draw consumes the same random numbers whatever
``mixing`` is, so runs that differ only in ``mixing`` are coupled (common random numbers).

What real data has and the metrics must cope with (second edition): replies open with the
composer's reply-all run (the parent's author and the parent's mentions); ``bots`` flagged
accounts post tagged posts in bulk; accounts live on several ``instances``; the community
keeps a ``timezone``, and ``chat_replies`` > 0 adds its weekly chat, Sunday 20:00 local time,
answered within the next two hours.

Output is Mastodon Status JSON, as an API would serve it, written into the store through the
same code path as an import (normalise, then store a batch per transaction).
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from echochamber.collect.normalize_mastodon import normalize_actors, normalize_statuses
from echochamber.models import Batch, Post
from echochamber.sim.statuses import Status, boost, content, status
from echochamber.store import Engine, store_page


@dataclass(frozen=True)
class SimParams:
    core_size: int = 100
    periphery_size: int = 2000
    weeks: int = 12
    posts_per_week: int = 500
    mixing: float = 0.3
    core_post_share: float = 0.7
    reply_rate: float = 0.8
    max_depth: int = 6
    boost_rate: float = 0.6
    favourite_rate: float = 1.2
    mention_rate: float = 0.2
    quote_rate: float = 0.05
    drift: float = 0.15
    seed: int = 0
    tag: str = "hcsm"
    start: datetime = datetime(2026, 9, 7, tzinfo=UTC)
    instances: tuple[str, ...] = ("med.example", "health.example", "social.example")
    served_by: str = "https://sim.example"
    bots: int = 0  # periphery accounts flagged bot, each posting bot_posts tagged posts a week
    bot_posts: int = 30
    timezone: str = "UTC"  # the community's; weeks start on ``start``'s date, local midnight
    chat_replies: int = 0  # > 0: the weekly Sunday 20:00 (local) chat and its replies
    reply_delay_hours: float = 48.0  # the latest a reply comes after its parent


@dataclass
class SimSummary:
    statuses: int = 0
    tagged: int = 0
    boosts: int = 0
    favourites: int = 0
    weeks: int = 0
    core_keys: frozenset[str] = frozenset()
    core_handles: tuple[str, ...] = ()
    extra: dict[str, int] = field(default_factory=dict)


class Community:
    """The accounts and their drifting activity."""

    def __init__(self, p: SimParams) -> None:
        self.p = p
        self.rng = random.Random(p.seed)
        n = p.core_size + p.periphery_size
        self.accounts = [self._account(i) for i in range(n)]
        self.core = list(range(p.core_size))
        self.periphery = list(range(p.core_size, n))
        self.weight = [self.rng.lognormvariate(0, 1.0) for _ in range(n)]
        self.next_id = 10_000_000
        self._cum: dict[int, list[float]] = {}
        self._reweigh()

    def _reweigh(self) -> None:
        """Cumulative weights per group, so a draw costs O(log n), not O(n)."""
        self._cum = {}
        for group in (self.core, self.periphery):
            total, cum = 0.0, []
            for i in group:
                total += self.weight[i]
                cum.append(total)
            self._cum[id(group)] = cum

    def _account(self, i: int) -> dict[str, Any]:
        inst = self.p.instances[i % len(self.p.instances)]
        bot = i >= self.p.core_size + self.p.periphery_size - self.p.bots
        name = f"{'core' if i < self.p.core_size else 'bot' if bot else 'user'}{i}"
        followers = int(self.rng.paretovariate(1.2) * (200 if i < self.p.core_size else 30))
        return {
            "id": str(i + 1),
            "username": name,
            "acct": f"{name}@{inst}",
            "url": f"https://{inst}/@{name}",
            "display_name": name.title(),
            "followers_count": followers,
            "following_count": 100,
            "bot": bot,
        }

    @property
    def bots(self) -> list[int]:
        n = self.p.core_size + self.p.periphery_size
        return list(range(n - self.p.bots, n))

    def drift(self) -> None:
        s = self.p.drift
        self.weight = [w * math.exp(self.rng.gauss(-s * s / 2, s)) for w in self.weight]
        self._reweigh()

    def pick(self, group: list[int], exclude: int | None = None) -> int:
        """An account of ``group`` by weight; one random number, whoever is excluded."""
        cum = self._cum[id(group)]
        i = min(bisect.bisect_right(cum, self.rng.random() * cum[-1]), len(group) - 1)
        return group[(i + 1) % len(group)] if group[i] == exclude else group[i]

    def responder(self, author: int) -> int:
        """Who acts on ``author``'s post: two random numbers, whatever ``mixing`` is."""
        own, other = (
            (self.core, self.periphery)
            if author < self.p.core_size
            else (self.periphery, self.core)
        )
        cross = self.rng.random() < self.p.mixing
        group = other if other and cross else own
        return self.pick(group, exclude=author)

    def new_id(self) -> str:
        self.next_id += 1
        return str(self.next_id)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, prod = math.exp(-lam), 0, rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k


def _status(
    c: Community,
    author: int,
    when: datetime,
    text: str,
    *,
    tags: tuple[str, ...] = (),
    parent: Status | None = None,
    typed: tuple[int, ...] = (),
    quote: Status | None = None,
) -> Status:
    """A status of ``author``; a reply opens with the parent's author and mentions."""
    leading: list[dict[str, Any]] = []
    if parent is not None:
        run = [parent["account"], *parent["mentions"]]
        me = c.accounts[author]["id"]
        leading = [c.accounts[int(m["id"]) - 1] for m in run if m["id"] != me]
        leading = list({a["id"]: a for a in leading}.values())
    extra = [c.accounts[m] for m in typed if m != author]
    html = content(text, leading, extra)
    return status(
        c.new_id(),
        c.accounts[author],
        when,
        html,
        tags=tags,
        parent=parent,
        mentions=[*leading, *extra],
        quote=quote,
    )


@dataclass
class WeekOutput:
    """One week's statuses (roots, replies, quotes, boosts) and favourites per post."""

    statuses: list[Status]
    favourites: list[tuple[Status, list[dict[str, Any]]]]


def _thread(
    c: Community, root: Status, author: int, when: datetime, depth: int, out: list[Status]
) -> None:
    if depth >= c.p.max_depth:
        return
    lam = c.p.reply_rate * (0.6**depth)
    for _ in range(_poisson(c.rng, lam)):
        who = c.responder(author)
        later = when + timedelta(minutes=5 + c.rng.random() * 60 * c.p.reply_delay_hours)
        typed = (c.responder(who),) if c.rng.random() < c.p.mention_rate else ()
        tagged = (c.p.tag,) if c.rng.random() < 0.15 else ()
        reply = _status(c, who, later, "good point", tags=tagged, parent=root, typed=typed)
        out.append(reply)
        _thread(c, reply, who, later, depth + 1, out)


def week_start(p: SimParams, index: int) -> datetime:
    """Local midnight of the week's Monday in the community's time zone."""
    day = (p.start + timedelta(weeks=index)).date()
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(p.timezone))


def _root(c: Community, author: int, when: datetime, out: list[Status], favs: list[Any]) -> None:
    p = c.p
    typed = (c.responder(author),) if c.rng.random() < p.mention_rate else ()
    root = _status(c, author, when, f"thoughts on #{p.tag} today", tags=(p.tag,), typed=typed)
    out.append(root)
    _thread(c, root, author, when, 0, out)
    for _ in range(_poisson(c.rng, p.boost_rate)):
        who = c.responder(author)
        out.append(boost(c.new_id(), c.accounts[who], when + timedelta(hours=1), root))
    for _ in range(_poisson(c.rng, p.quote_rate)):
        who = c.responder(author)
        out.append(_status(c, who, when + timedelta(hours=2), "worth reading", quote=root))
    fans = {c.responder(author) for _ in range(_poisson(c.rng, p.favourite_rate))}
    if fans:
        favs.append((root, [c.accounts[f] for f in sorted(fans)]))


def week(c: Community, index: int) -> WeekOutput:
    """Generate week ``index`` (0-based from ``start``)."""
    p = c.p
    start = week_start(p, index)
    statuses: list[Status] = []
    favs: list[tuple[Status, list[dict[str, Any]]]] = []
    for _ in range(p.posts_per_week):
        group = c.core if (c.rng.random() < p.core_post_share or not c.periphery) else c.periphery
        author = c.pick(group)
        when = start + timedelta(seconds=c.rng.randrange(0, 7 * 86400))
        _root(c, author, when, statuses, favs)
    for b in c.bots:
        for k in range(p.bot_posts):
            when = start + timedelta(seconds=c.rng.randrange(0, 7 * 86400))
            statuses.append(_status(c, b, when, f"#{p.tag} news digest {k}", tags=(p.tag,)))
    if p.chat_replies and c.core:
        host = c.pick(c.core)
        chat = _status(
            c, host, start + timedelta(days=6, hours=20), f"#{p.tag} chat starts now", tags=(p.tag,)
        )
        statuses.append(chat)
        for _ in range(p.chat_replies):
            who = c.responder(host)
            later = chat_time = start + timedelta(
                days=6, hours=20, minutes=1 + c.rng.random() * 119
            )
            del chat_time
            statuses.append(_status(c, who, later, "T1 answer", tags=(p.tag,), parent=chat))
    c.drift()
    return WeekOutput(statuses, favs)


def generate(p: SimParams) -> Iterator[WeekOutput]:
    """Every week of the simulation, one at a time (bounded memory)."""
    c = Community(p)
    for i in range(p.weeks):
        yield week(c, i)


def core_of(p: SimParams) -> tuple[frozenset[str], tuple[str, ...]]:
    """The known core: account keys and handles."""
    c = Community(p)
    accs = [c.accounts[i] for i in c.core]
    return frozenset(a["url"] for a in accs), tuple(a["acct"] for a in accs)


def populate(
    engine: Engine,
    p: SimParams,
    *,
    chunk: int = 2000,
    progress: Callable[[str, int], None] | None = None,
) -> SimSummary:
    """Write the simulated community into the store, ``chunk`` statuses per transaction."""
    keys, handles = core_of(p)
    summary = SimSummary(core_keys=keys, core_handles=handles)
    now = p.start + timedelta(weeks=p.weeks)
    for w in generate(p):
        summary.weeks += 1
        for i in range(0, len(w.statuses), chunk):
            page = w.statuses[i : i + chunk]
            batch = normalize_statuses(page, server=p.served_by, tracked=(p.tag,))
            store_page(engine, batch, raw=b"", platform="mastodon", source="", endpoint="", now=now)
            summary.statuses += len(page)
            summary.tagged += sum(
                1
                for s in page
                if any(t["name"] == p.tag for t in s["tags"]) and s.get("reblog") is None
            )
            summary.boosts += sum(1 for s in page if s.get("reblog"))
            if progress:
                progress("statuses", len(page))
        accounts: list[Any] = []
        ties: list[Any] = []
        for root, fans in w.favourites:
            post = Post(
                "mastodon",
                root["uri"],
                root["id"],
                root["account"]["url"],
                datetime.fromisoformat(root["created_at"]),
            )
            b = normalize_actors(fans, post, "favourite", server=p.served_by)
            accounts.extend(b.accounts)
            ties.extend(b.interactions)
            summary.favourites += len(fans)
        store_page(
            engine,
            Batch(tuple(accounts), (), tuple(ties)),
            raw=b"",
            platform="mastodon",
            source="",
            endpoint="",
            now=now,
        )
    return summary
