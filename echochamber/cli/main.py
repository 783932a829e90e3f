"""``echochamber [--config FILE] [--db URL] [-v] COMMAND``: the command line, a thin shell.

Errors from the exception tree become one line on stderr and a non-zero exit (a traceback only
with ``-v``).  Reading commands take ``--json`` and then print one JSON document on stdout.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from echochamber import __version__
from echochamber.cli.context import AppContext
from echochamber.errors import EchoChamberError

COMMANDS: dict[str, str] = {
    "init": "echochamber.cli.collect:init",
    "collect": "echochamber.cli.collect:collect",
    "import": "echochamber.cli.collect:import_",
    "status": "echochamber.cli.status:status",
    "forget": "echochamber.cli.consent:forget",
    "prune": "echochamber.cli.consent:prune",
    "config": "echochamber.cli.config:config",
    "metrics": "echochamber.cli.metrics:metrics",
    "graph": "echochamber.cli.graph:graph",
    "report": "echochamber.cli.report:report",
    "run": "echochamber.cli.run:run",
    "simulate": "echochamber.cli.sim:simulate",
    "demo": "echochamber.cli.sim:demo",
}
"""Every command, by name: the module that defines it is imported only when it runs (or when
``--help`` lists them), so a command pays for its own imports and no one else's."""


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = COMMANDS.get(cmd_name)
        if where is None:
            return None
        from importlib import import_module

        module, attr = where.split(":")
        command: click.Command = getattr(import_module(module), attr)
        return command


@click.group(
    cls=LazyGroup,
    epilog=(
        "\b\nDocumentation in the project:\n"
        "  docs/metrics.md           what every number means\n"
        "  docs/operations.md        the daemon, PostgreSQL, backups, upgrades\n"
        "  docs/data-and-consent.md  what is kept, how long, and how to be forgotten"
    ),
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Settings file (default: config/echochamber.toml, then the user config dir).",
)
@click.option(
    "--db",
    "db_url",
    default=None,
    metavar="URL",
    help="Database URL (overrides store.url and ECHOCHAMBER_STORE_URL).",
)
@click.option("-v", "--verbose", count=True, help="More logging; -vv for debug.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log line format on stderr.",
)
@click.version_option(__version__, prog_name="echochamber")
@click.pass_context
def cli(
    ctx: click.Context, config_path: str | None, db_url: str | None, verbose: int, log_format: str
) -> None:
    """Measure how far a hashtag community's conversations travel beyond its core."""
    from echochamber.logs import setup_logging

    setup_logging(verbose, log_format)
    ctx.obj = AppContext(config_path=config_path, db_url=db_url, verbose=verbose)
    ctx.call_on_close(ctx.obj.close)


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: run the CLI, turning our errors into one line and an exit code."""
    verbose = any(a in ("-v", "-vv", "--verbose") for a in (argv or sys.argv[1:]))
    try:
        return cli.main(args=argv, prog_name="echochamber", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except EchoChamberError as exc:
        if verbose:
            logging.getLogger("echochamber").exception("error")
        click.echo(f"echochamber: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("echochamber: interrupted", err=True)
        sys.exit(130)
    except OSError as exc:  # the file system or the network said no: one line, as errors are
        if verbose:
            logging.getLogger("echochamber").exception("error")
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"echochamber: error: {where}{exc.strerror or exc}", err=True)
        sys.exit(1)
    except Exception as exc:
        from echochamber.store import database_error, is_database_error

        if not is_database_error(exc):
            raise
        if verbose:
            logging.getLogger("echochamber").exception("error")
        orig = getattr(exc, "orig", None) or exc
        click.echo(f"echochamber: error: {database_error(orig)}", err=True)
        sys.exit(1)
