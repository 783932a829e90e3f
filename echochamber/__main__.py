"""``python -m echochamber``: the same command line, the same exit codes."""

from echochamber.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
