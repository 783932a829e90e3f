"""``echochamber config show``: the effective settings, secrets masked."""

from __future__ import annotations

import click

from echochamber.cli.context import app, emit_json, out


@click.group()
def config() -> None:
    """Inspect the settings."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def show(ctx: click.Context, as_json: bool) -> None:
    """The effective settings (flag > ECHOCHAMBER_* env > file > defaults), secrets masked."""
    from echochamber.config import shown

    a = app(ctx)
    data = shown(a.settings)
    if as_json:
        emit_json(data)
        return
    out(f"# from {a.settings.source_file or 'defaults (no config file found)'}")
    _print(data, "")


def _scalar(v: object) -> str:
    return repr(list(v)) if isinstance(v, list | tuple) else repr(v)


def _print(data: object, prefix: str) -> None:
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(v, dict | list) and v and (isinstance(v, dict) or isinstance(v[0], dict)):
                _print(v, f"{prefix}{k}.")
            else:
                out(
                    f"{prefix}{k} = {v!r}"
                    if not isinstance(v, list | tuple)
                    else f"{prefix}{k} = {list(v)!r}"
                )
    elif isinstance(data, list):
        for i, item in enumerate(data):
            _print(item, f"{prefix[:-1]}[{i}].")
