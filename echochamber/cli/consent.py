"""``echochamber forget`` and ``echochamber prune``: erasure on request, retention by age."""

from __future__ import annotations

import click

from echochamber.cli.context import app, emit_json, out


@click.command()
@click.argument("accounts", nargs=-1, required=True)
@click.option("--dry-run", is_flag=True, help="Change nothing; say what would change.")
@click.option(
    "--purge",
    is_flag=True,
    help="Delete the account's posts and ties too (the weeks they touched are recomputed).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def forget(
    ctx: click.Context, accounts: tuple[str, ...], dry_run: bool, purge: bool, as_json: bool
) -> None:
    """Forget ACCOUNTS (handles like user@server or profile URLs).

    Their handles, names, profile data, post texts and raw payloads are removed; each stays an
    anonymous node so weekly numbers stay consistent (--purge removes posts and ties too).
    The request is recorded as a salted hash, never the handle, so a later collection does
    not bring the account back. See docs/data-and-consent.md.
    """
    from echochamber.pipeline.consent import forget as run_forget
    from echochamber.pipeline.context import JobContext

    a = app(ctx)
    result = run_forget(JobContext(engine=a.engine()), accounts, purge=purge, dry_run=dry_run)
    if as_json:
        emit_json(result.as_dict())
        return
    verb = "would change" if dry_run else "changed"
    c = result.changes
    out(
        f"{result.found} of {result.requested} accounts found in the store; {verb}: "
        f"{c['accounts']} accounts, {c['posts']} posts ({c['texts']} texts), "
        f"{c['mentions']} mentions in other posts, {c['raw_payloads']} raw payloads, "
        f"{c['ties']} ties, {c['snapshots']} snapshots marked for recomputation"
    )
    if not dry_run:
        out(f"recorded in the forget registry ({result.registered} new entries, salted hashes)")


@click.command()
@click.option("--dry-run", is_flag=True, help="Change nothing; say what would be pruned.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def prune(ctx: click.Context, dry_run: bool, as_json: bool) -> None:
    """Delete raw payloads and erase post texts older than [retention] allows (safe to rerun)."""
    from echochamber.pipeline.consent import prune as run_prune
    from echochamber.pipeline.context import JobContext

    a = app(ctx)
    result = run_prune(a.settings, JobContext(engine=a.engine()), dry_run=dry_run)
    if as_json:
        emit_json(result)
        return
    verb = "would prune" if dry_run else "pruned"
    out(f"{verb}: {result['raw_payloads']} raw payloads, {result['texts']} post texts")
