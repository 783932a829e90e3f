"""``echochamber run``: the daemon."""

from __future__ import annotations

import click

from echochamber.cli.context import app


@click.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the daemon: collect, revisit conversations, snapshot and mail on schedule.

    SIGTERM or Ctrl-C finishes the page in hand and exits 0.
    """
    from echochamber.daemon import Daemon

    a = app(ctx)
    Daemon(a.settings, a.engine()).start()
