"""Pure reach metrics of a week's interaction graph (``docs/metrics.md``); no I/O, no clock."""

EDITION = 2
"""The edition of the metrics that :func:`echochamber.metrics.snapshot.snapshot` computes
(stored with every snapshot; the first edition's snapshots read 1).  Defined here, where
importing it costs nothing, so reading commands can compare editions."""

__all__ = ["EDITION"]
