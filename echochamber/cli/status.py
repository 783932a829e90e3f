"""``echochamber status``: what the store holds and the state of every stream and job."""

from __future__ import annotations

import click

from echochamber.cli.context import app, emit_json, out, safe


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """What the store holds and the state of every stream and job."""
    from echochamber.store import deliveries, job_status, kept, registry_summary
    from echochamber.store import status as store_status

    a = app(ctx)
    engine = a.engine()
    data = store_status(engine)
    data["jobs"] = job_status(engine)
    data["deliveries"] = [d.as_dict() for d in deliveries(engine)]
    r = a.settings.retention
    data["kept"] = {
        **kept(engine),
        "raw_payloads_days": r.raw_payloads_days or None,
        "text_days": r.text_days or None,
        "forget_registry": registry_summary(engine),
    }
    if as_json:
        emit_json(data)
        return
    out(f"posts: {data['posts']} ({data['tagged_posts']} tagged)   accounts: {data['accounts']}")
    out("interactions: " + ", ".join(f"{k} {v}" for k, v in data["interactions"].items()))
    for s in data["streams"]:
        run = s["last_run"] or {}
        name = s["stream"] if s["stream"].startswith("#") else f"#{s['stream']}"
        out(
            f"{safe(s['platform'])} {safe(s['server'])} {safe(name)}: cursor {s['cursor']}"
            f", backfill {'done' if s['backfill_done'] else 'in progress'}, last run "
            f"{run.get('status', 'never')} {run.get('finished_at') or ''}"
        )
        if run.get("status") in ("failed", "partial") and run.get("message"):
            out(f"  {safe(run['message'])}")
    for c in data["conversations"]:
        run = c["last_run"] or {}
        out(
            f"{safe(c['platform'])} {safe(c['server'])} conversations: last run "
            f"{run.get('status', 'never')} {run.get('finished_at') or ''}"
        )
        if run.get("status") in ("failed", "partial") and run.get("message"):
            out(f"  {safe(run['message'])}")
    comp = data.get("completeness") or {}
    if comp.get("posts"):
        shares = ", ".join(
            f"{k} {'-' if comp[k] is None else format(comp[k], '.0%')}"
            for k in ("replies", "boosts", "favourites")
        )
        out(
            f"completeness: {shares} of what home servers count "
            f"({comp['home_counted']} of {comp['posts']} posts counted at home)"
        )
    for srv in data.get("servers") or []:
        if srv.get("api") is False:
            why = f"runs {srv.get('software')}, not Mastodon-compatible"
        else:
            why = f"failing: {srv.get('last_error') or '?'}"
            if srv.get("skipped_until"):
                why += f"; skipped until {srv['skipped_until']}"
        out(f"server {safe(srv['host'])}: {safe(why)}")
    k = data["kept"]
    days = lambda n: f"kept {n:g} days" if n else "kept"  # noqa: E731
    out(
        f"raw payloads: {k['raw_payloads']} ({days(k['raw_payloads_days'])}; oldest "
        f"{k['oldest_raw_payload'] or '-'})   post texts: {k['texts']} ({days(k['text_days'])};"
        f" oldest {k['oldest_text'] or '-'})   deleted posts: {k['deleted_posts']} (no text)"
    )
    reg = k["forget_registry"]["by_reason"]
    if reg:
        out("forget registry: " + ", ".join(f"{n} {why}" for why, n in sorted(reg.items())))
    for job in data["jobs"]:
        out(
            f"job {job['job']}: last {job['status']} {job.get('finished_at') or ''}"
            f" next {job.get('next_run') or '-'}"
        )
    for d in data["deliveries"][:5]:
        out(
            f"report {d['week']} to {safe(d['recipients'])}: {d['status']}"
            f" after {d['attempts']} attempt(s){' - ' + safe(d['error']) if d['error'] else ''}"
        )
