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


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


def _register() -> None:
    from echochamber.cli import collect, config, graph, metrics, report, run, sim, status

    modules: list[Any] = [collect, status, config, metrics, graph, report, run, sim]
    for module in modules:
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


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
