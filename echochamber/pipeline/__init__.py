"""Where the stages meet: the jobs (collect, revisit, import, snapshot, report) and the graph
queries.  Each job is a function of the settings and a :class:`JobContext`, called alike by the
daemon and the command line, idempotent and safe to rerun.  No SQL and no HTTP of its own: it
drives ``collect/`` sources into ``store/`` sinks, and ``store/`` reads into ``graph/`` and
``metrics/``.

Modules: :mod:`~echochamber.pipeline.context` (the job context),
:mod:`~echochamber.pipeline.collection` (collect and revisit over the source registry),
:mod:`~echochamber.pipeline.imports` (archives), :mod:`~echochamber.pipeline.snapshot`
(weekly measurement), :mod:`~echochamber.pipeline.queries` (graph questions) and
:mod:`~echochamber.pipeline.report` (the weekly report and its delivery).
"""

from echochamber.pipeline.context import JobContext

__all__ = ["JobContext"]
