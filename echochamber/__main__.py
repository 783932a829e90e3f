"""``python -m echochamber``."""

from echochamber.cli.main import main

main()
