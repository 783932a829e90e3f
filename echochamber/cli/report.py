"""``echochamber report preview|send``: the weekly report, to a file or by mail."""

from __future__ import annotations

import click

from echochamber.cli.context import app, emit_json, out, output_file
from echochamber.cli.windows import default_window, parse_week


@click.group()
def report() -> None:
    """Render or send the weekly report."""


@report.command()
@click.option("--week", help="ISO week (default: the newest settled week with data).")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Write HTML (.html) or the whole message (.eml).",
)
@click.pass_context
def preview(ctx: click.Context, week: str | None, output: str) -> None:
    """Write the weekly report to a file instead of mailing it."""
    from echochamber.config.weeks import in_zone
    from echochamber.pipeline.context import utcnow
    from echochamber.pipeline.freshness import require_data
    from echochamber.pipeline.report import build
    from echochamber.report.email import write_preview

    target = output_file(output)
    a = app(ctx)
    now = utcnow()
    engine = a.engine()
    if week:
        window = in_zone(parse_week(week), a.settings.core.timezone)
        require_data(engine, a.settings, window, "all")
    else:
        window = default_window(engine, a.settings)
    recipients = tuple(a.settings.report.email.recipients) or ("preview@localhost",)
    msg = build(engine, a.settings, window, now, recipients)  # stores nothing
    write_preview(msg, target)
    click.echo(f"wrote {output} ({window.label}): {msg['Subject']}", err=True)


@report.command()
@click.option("--week", help="ISO week (default: the newest settled week with data).")
@click.option("--to", "to", multiple=True, help="Recipient (repeatable; default: the config's).")
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send nothing.")
@click.option("--force", is_flag=True, help="Send even if this week was already mailed.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.pass_context
def send(
    ctx: click.Context,
    week: str | None,
    to: tuple[str, ...],
    dry_run: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Mail the weekly report now (once per week and recipient list)."""
    from echochamber.config.weeks import in_zone
    from echochamber.pipeline.context import JobContext, utcnow
    from echochamber.pipeline.freshness import require_data
    from echochamber.pipeline.report import build, send_weekly_report

    a = app(ctx)
    now = utcnow()
    if week:  # a week without data is one line and exit 3, before anything is computed
        window = in_zone(parse_week(week), a.settings.core.timezone)
        require_data(a.engine(), a.settings, window, "all")
    else:
        window = default_window(a.engine(), a.settings)
    if dry_run:
        recipients = tuple(to or a.settings.report.email.recipients) or ("nobody@localhost",)
        msg = build(a.engine(), a.settings, window, now, recipients)  # stores nothing
        text = msg.get_body(("plain",))
        data = {
            "week": window.label,
            "subject": msg["Subject"],
            "from": msg["From"],
            "to": msg["To"],
            "text": text.get_content() if text else "",
        }
        if as_json:
            emit_json(data)
        else:
            out(f"Subject: {data['subject']}\nFrom: {data['from']}\nTo: {data['to']}\n")
            out(data["text"])
        return
    d = send_weekly_report(
        a.settings, JobContext(engine=a.engine()), week=window, to=to or None, force=force
    )
    if as_json:
        emit_json(
            {
                "week": d.week,
                "recipients": list(d.recipients),
                "status": d.status,
                "message_id": d.message_id,
            }
        )
    else:
        out(f"{d.week}: {d.status} ({', '.join(d.recipients)})")


@report.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False),
    help="The site's folder (default: [report.site] dir); replaced as a whole.",
)
@click.option("--weeks", type=click.IntRange(min=1), help="Only the newest N weeks.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.pass_context
def site(ctx: click.Context, output: str | None, weeks: int | None, as_json: bool) -> None:
    """Write a static site of every week with a snapshot (reads only stored snapshots)."""
    from pathlib import Path

    from echochamber.errors import ConfigError, ReportError
    from echochamber.pipeline.context import utcnow
    from echochamber.pipeline.site import publish

    a = app(ctx)
    where = output or a.settings.report.site.dir
    if not where:
        raise ConfigError("report site: give -o DIR or set [report.site] dir")
    with a.progress("site") as progress:
        done = publish(
            a.engine(), a.settings, Path(where), utcnow(), weeks=weeks, progress=progress
        )
    if done is None:
        raise ReportError(f"{where}: another echochamber is writing this site now; try again")
    span = f"{done.weeks[0]}..{done.weeks[-1]}" if done.weeks else "no weeks with a snapshot yet"
    if as_json:
        emit_json({"dir": str(done.dir), "weeks": list(done.weeks), "files": done.files})
    else:
        click.echo(f"wrote {done.dir / 'index.html'}: {len(done.weeks)} weeks ({span})", err=True)
