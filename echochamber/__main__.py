"""``python -m echochamber``."""

from echochamber.cli.main import main

if __name__ == "__main__":
    main()
