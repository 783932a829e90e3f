"""Pure reach metrics of a week's interaction graph (METRICS.md); no I/O, no clock."""
