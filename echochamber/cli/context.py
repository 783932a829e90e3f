"""The state a command needs: settings and engine, made on first use, closed at exit."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from echochamber.errors import EchoChamberError

if TYPE_CHECKING:
    from rich.console import Console

    from echochamber.config import Settings
    from echochamber.store import Engine


class AppContext:
    def __init__(self, config_path: str | None, db_url: str | None, verbose: int) -> None:
        self.config_path = config_path
        self.db_url = db_url
        self.verbose = verbose
        self._settings: Settings | None = None
        self._engine: Engine | None = None
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        """A rich console on stderr (made on first use: rich is not imported for --help)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False, markup=False, emoji=False)
        return self._console

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from echochamber.config import load_settings, unknown_environment

            self._settings = load_settings(self.config_path, overrides={"store.url": self.db_url})
            for line in unknown_environment(self._settings, os.environ):
                click.echo(f"echochamber: warning: {line}", err=True)
        return self._settings

    def engine(self, *, check: bool = True) -> Engine:
        if self._engine is None:
            from echochamber.store import make_engine, require_schema

            self._engine = make_engine(self.settings.store.url)
            if check:
                require_schema(self._engine)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    @property
    def interactive(self) -> bool:
        return sys.stderr.isatty() and not os.environ.get("CI")

    @contextmanager
    def progress(self, description: str) -> Iterator[Any]:
        """A rich progress display on a terminal; a no-op callback when piped."""
        if not self.interactive:
            yield lambda what, n, total=None: None
            return
        from rich.progress import (
            Progress,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.fields[amount]}"),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        ) as bar:
            tasks: dict[str, Any] = {}
            done: dict[str, int] = {}

            def advance(what: str, n: int, total: int | None = None) -> None:
                """Counts, or a percentage once ``total`` is known (a file's size)."""
                if what not in tasks:
                    tasks[what] = bar.add_task(safe(what), total=total, amount="")
                done[what] = done.get(what, 0) + n
                amount = "" if total is not None else f"{done[what]:,} items"
                bar.update(tasks[what], advance=n, total=total, amount=amount)

            bar.add_task(description, total=None, amount="")
            yield advance


def output_file(path: str) -> Path:
    """Where a command will write: checked before the work, so a typo costs nothing."""
    out_path = Path(path)
    parent = out_path.expanduser().resolve().parent
    if not parent.is_dir():
        raise EchoChamberError(f"{path}: the folder {parent} does not exist; create it first")
    if out_path.is_dir():
        raise EchoChamberError(f"{path}: is a folder; give a file name")
    return out_path


def emit_json(data: Any) -> None:
    """One JSON document on stdout, nothing else."""
    import orjson

    sys.stdout.write(
        orjson.dumps(
            data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_SORT_KEYS
        ).decode()
    )
    sys.stdout.write("\n")
    sys.stdout.flush()


def safe(text: Any) -> str:
    """Text from posts and profiles, safe to print: no control characters, no markup."""
    from echochamber.text import clean_text

    return clean_text(str(text)) if text is not None else ""


def out(text: str = "") -> None:
    click.echo(text)


def app(ctx: click.Context) -> AppContext:
    """The command's :class:`AppContext` (made by the top-level group)."""
    obj = ctx.find_object(AppContext)
    if obj is None:  # a command invoked without the group: a programming error
        raise click.UsageError("echochamber commands run under the 'echochamber' group")
    return obj
