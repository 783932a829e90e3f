"""The first snapshot engine (networkx, simulated nulls), kept as the reference the new engine is
tested against (tests/test_engine.py).  Copied from the package as it was before issue 14."""
