"""The shape of the code, enforced: layers, lazy imports, help everywhere, small modules.

``docs/design.md`` describes these rules; each test here fails when one is broken.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "echochamber"
HEAVY = ("sqlalchemy", "sqlalchemy.orm", "alembic", "mastodon", "networkx", "matplotlib", "numpy")


def test_import_contracts_hold() -> None:
    """import-linter checks the layers and the purity rules declared in pyproject.toml."""
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("lint-imports is not installed (it comes with the test extra)")
    r = subprocess.run([exe], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "0 broken" in r.stdout


def loaded_by(*argv: str) -> set[str]:
    """The modules a whole ``echochamber`` process has imported when the command ends."""
    code = (
        "import sys, json, atexit\n"
        "atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))\n"
        "from echochamber.cli.main import main\n"
        f"sys.argv = ['echochamber', *{list(argv)!r}]\n"
        "main()\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    last = r.stderr.strip().splitlines()[-1]
    return set(json.loads(last))


def test_help_imports_nothing_heavy() -> None:
    mods = loaded_by("--help")
    assert not {m for m in HEAVY if m in mods}, sorted(m for m in HEAVY if m in mods)
    assert not any(m.startswith(("echochamber.store", "echochamber.pipeline")) for m in mods)
    assert "rich" not in mods and "orjson" not in mods


def test_reading_commands_import_only_what_they_use(tmp_path: Path) -> None:
    from echochamber.store import init_db, make_engine

    url = f"sqlite:///{tmp_path / 'e.db'}"
    engine = make_engine(url)
    init_db(engine)
    engine.dispose()
    status = loaded_by("--db", url, "status", "--json")
    assert "sqlalchemy" in status
    assert not {"sqlalchemy.orm", "alembic", "networkx", "numpy", "matplotlib", "mastodon"} & status
    assert not any(m.startswith("sqlalchemy.dialects.postgresql") for m in status)
    history = loaded_by("--db", url, "metrics", "history", "--json")
    assert not {"networkx", "numpy", "matplotlib", "alembic", "sqlalchemy.orm"} & history


def walk(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    ctx = click.Context(group)
    out: list[tuple[str, click.Command]] = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, name
        out.append((f"{prefix}{name}", cmd))
        if isinstance(cmd, click.Group):
            out.extend(walk(cmd, f"{prefix}{name} "))
    return out


def test_every_command_and_option_has_help() -> None:
    from echochamber.cli.main import cli

    missing = []
    commands = walk(cli)
    assert len(commands) >= 18
    for name, cmd in [("echochamber", cli), *commands]:
        if not (cmd.help or "").strip():
            missing.append(name)
        for p in cmd.params:
            if isinstance(p, click.Option) and not p.hidden and not (p.help or "").strip():
                missing.append(f"{name} {p.opts[0]}")
    assert not missing, missing


def test_every_command_answers_help() -> None:
    from click.testing import CliRunner

    from echochamber.cli.main import cli

    runner = CliRunner()
    for name, _ in walk(cli):
        r = runner.invoke(cli, [*name.split(), "--help"])
        assert r.exit_code == 0 and "Usage:" in r.output, (name, r.output)


def test_the_cli_platform_choices_are_the_registry() -> None:
    from echochamber.cli.collect import collect
    from echochamber.collect.registry import SOURCES
    from echochamber.models import PLATFORMS

    [choice] = [p for p in collect.params if p.name == "platform"]
    assert list(choice.type.choices) == ["all", *SOURCES] == ["all", *PLATFORMS]  # type: ignore[attr-defined]


def test_the_schema_head_constant_is_alembics_head() -> None:
    from echochamber.store.engine import HEAD, head_revision

    assert head_revision() == HEAD


def test_the_store_api_is_declared_and_resolves() -> None:
    import echochamber.store as store

    assert set(store.__all__) == set(store._WHERE)
    for name in store.__all__:
        assert getattr(store, name) is not None, name


def python_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def test_no_assert_as_a_runtime_check() -> None:
    """``python -O`` strips asserts: a check that guards behaviour must raise."""
    found = []
    for path in python_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [
            f"{path.relative_to(ROOT)}:{n.lineno}"
            for n in ast.walk(tree)
            if isinstance(n, ast.Assert)
        ]
    assert not found, found


def test_modules_are_small() -> None:
    """One responsibility a module: at most 400 lines (package markers may be shorter than 50)."""
    big = {
        str(p.relative_to(ROOT)): n
        for p in python_modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert not big, big


def test_help_names_the_documentation_and_it_exists() -> None:
    """`echochamber --help` points to the project's own documentation, file by file."""
    import re

    from click.testing import CliRunner

    from echochamber.cli.main import cli

    text = CliRunner().invoke(cli, ["--help"]).output
    named = re.findall(r"docs/[a-z-]+\.md", text)
    assert {"docs/metrics.md", "docs/operations.md", "docs/data-and-consent.md"} <= set(named)
    root = Path(__file__).resolve().parents[1]
    assert all((root / name).is_file() for name in named)
