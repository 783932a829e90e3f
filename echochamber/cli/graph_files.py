"""``echochamber graph export`` and ``graph view``: the commands that write a window's graph to a
file (for Gephi or networkx, or as the interactive map).  Reading commands all the same: they
store nothing."""

from __future__ import annotations

import click

from echochamber.cli.context import app, output_file
from echochamber.cli.windows import resolve_window, window_options


@click.command()
@window_options
@click.option(
    "--format",
    "fmt_",
    type=click.Choice(["gexf", "graphml", "csv", "json"]),
    required=True,
    help="gexf (Gephi), graphml, csv (an edge list) or json (networkx node-link).",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), required=True, help="The file to write."
)
@click.option(
    "--pseudonymize",
    is_flag=True,
    help="Name accounts by stable salted hashes (salt: ECHOCHAMBER_EXPORT_SALT, required).",
)
@click.pass_context
def export(
    ctx: click.Context,
    week: str | None,
    start: str | None,
    end: str | None,
    scope: str,
    fmt_: str,
    output: str,
    pseudonymize: bool,
) -> None:
    """Write the window's graph (Gephi: gexf) with is_core, hop, community and activity."""
    import os

    from echochamber.config import SECRET_ENV
    from echochamber.errors import ConfigError
    from echochamber.pipeline.queries import export_graph

    salt = os.environ.get(SECRET_ENV["export_salt"]) if pseudonymize else None
    if pseudonymize and not salt:
        raise ConfigError(
            f"--pseudonymize needs a salt in {SECRET_ENV['export_salt']} (kept apart from the data)"
        )
    target = output_file(output)
    a = app(ctx)
    engine = a.engine()
    window = resolve_window(engine, week, start, end, scope, a.settings)
    n, m = export_graph(engine, a.settings, window, scope, fmt_, str(target), salt=salt)
    if fmt_ == "csv":
        from echochamber.pipeline.queries import nodes_file

        click.echo(f"wrote {nodes_file(target)}: the accounts", err=True)
    click.echo(f"wrote {output}: {n} accounts, {m} ties ({window.label}, {scope})", err=True)


@click.command()
@window_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    required=True,
    help="The HTML file to write (one file, works offline).",
)
@click.pass_context
def view(
    ctx: click.Context,
    week: str | None,
    start: str | None,
    end: str | None,
    scope: str,
    output: str,
) -> None:
    """Write an interactive map of the window: the core in the centre, outsiders on rings by
    travel distance; pan, zoom, search a handle, filter by interaction kind."""
    from echochamber.pipeline.maps import write_view

    target = output_file(output)
    a = app(ctx)
    engine = a.engine()
    window = resolve_window(engine, week, start, end, scope, a.settings)
    wm = write_view(engine, a.settings, window, scope, target)
    state = ", provisional" if wm.provisional else ""
    click.echo(
        f"wrote {output}: {wm.participants} accounts, {len(wm.edges)} ties "
        f"({window.label}{state}, {scope})",
        err=True,
    )
