"""The store: the only package that speaks SQL (SQLAlchemy Core over SQLite or PostgreSQL).

Everything above it (the pipeline, the daemon, the command line) uses the names declared in
``__all__`` and nothing else; it holds an :data:`Engine` as an opaque handle.  Names load on
first use (PEP 562), so importing the package costs nothing until a command needs the store.

The API, by concern:

* engine and schema: :func:`make_engine`, :func:`init_db`, :func:`require_schema`;
  errors: :func:`is_database_error`, :func:`database_error` (one line, no SQL)
* ingest: :func:`store_batch`, :func:`store_raw`, :func:`store_page`, :func:`store_pages`,
  :func:`local_posts_of`
* streams and cursors: :class:`StreamSink`, :func:`get_cursor`, :func:`start_run`,
  :func:`finish_run`
* watch list: :func:`due_watch`, :func:`mark_checked`
* snapshots: :func:`save_snapshot`, :func:`load_snapshot`, :func:`previous_roster`,
  :func:`snapshot_weeks`, :func:`snapshot_states` (:class:`SnapshotState`), :func:`history`
* deliveries: :func:`get_delivery`, :func:`begin_delivery`, :func:`mark_delivery`,
  :func:`deliveries`
* graph reads: :func:`graph_reader` (:class:`GraphReader`), :func:`is_whole_weeks`,
  :func:`weeks_with_data`, :func:`week_rows`,
  :func:`post_by_ref`, :func:`account_id`, :func:`account_record`, :func:`conversation_rows`
* fediverse: :func:`completeness`, :func:`load_servers`, :func:`save_servers`,
  :func:`failing_servers`
* consent and retention: :func:`store_salt`, :func:`registered`, :func:`register`,
  :func:`registry_summary`, :func:`anonymise_stored`, :func:`erase_accounts`
  (:class:`Erasure`, :class:`StoredAccount`), :func:`erase_deleted_raw`, :func:`prune`,
  :func:`kept`
* status and jobs: :func:`status`, :func:`job_status`, :func:`record_start`,
  :func:`record_end`, :func:`scheduler_jobstore`, :func:`job_lock`
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from echochamber.lazy import lazy_names

_WHERE = {
    "Engine": "sqlalchemy",
    "make_engine": "echochamber.store.engine",
    "init_db": "echochamber.store.engine",
    "require_schema": "echochamber.store.engine",
    "database_error": "echochamber.store.engine",
    "is_database_error": "echochamber.store.engine",
    "store_batch": "echochamber.store.ingest",
    "store_raw": "echochamber.store.raw",
    "store_page": "echochamber.store.raw",
    "store_pages": "echochamber.store.raw",
    "local_posts_of": "echochamber.store.keys",
    "StreamSink": "echochamber.store.streams",
    "get_cursor": "echochamber.store.streams",
    "start_run": "echochamber.store.streams",
    "finish_run": "echochamber.store.streams",
    "due_watch": "echochamber.store.streams",
    "mark_checked": "echochamber.store.streams",
    "save_snapshot": "echochamber.store.snapshots",
    "load_snapshot": "echochamber.store.snapshots",
    "previous_roster": "echochamber.store.snapshots",
    "snapshot_weeks": "echochamber.store.snapshots",
    "snapshot_states": "echochamber.store.snapshots",
    "SnapshotState": "echochamber.store.snapshots",
    "history": "echochamber.store.snapshots",
    "DeliveryRecord": "echochamber.store.delivery",
    "get_delivery": "echochamber.store.delivery",
    "begin_delivery": "echochamber.store.delivery",
    "mark_delivery": "echochamber.store.delivery",
    "deliveries": "echochamber.store.delivery",
    "GraphReader": "echochamber.store.reader",
    "graph_reader": "echochamber.store.reader",
    "is_whole_weeks": "echochamber.store.reader",
    "weeks_with_data": "echochamber.store.reader",
    "ThreadPost": "echochamber.store.graphdata",
    "week_rows": "echochamber.store.weekdata",
    "post_by_ref": "echochamber.store.lookups",
    "account_id": "echochamber.store.lookups",
    "account_record": "echochamber.store.lookups",
    "AccountRecord": "echochamber.store.lookups",
    "conversation_rows": "echochamber.store.lookups",
    "ThreadRows": "echochamber.store.lookups",
    "status": "echochamber.store.summary",
    "completeness": "echochamber.store.fediverse",
    "load_servers": "echochamber.store.fediverse",
    "save_servers": "echochamber.store.fediverse",
    "failing_servers": "echochamber.store.fediverse",
    "job_status": "echochamber.store.jobs",
    "record_start": "echochamber.store.jobs",
    "record_end": "echochamber.store.jobs",
    "scheduler_jobstore": "echochamber.store.jobs",
    "job_lock": "echochamber.store.locks",
    "Erasure": "echochamber.store.erasure",
    "StoredAccount": "echochamber.store.erasure",
    "store_salt": "echochamber.store.consent",
    "registered": "echochamber.store.consent",
    "register": "echochamber.store.consent",
    "registry_summary": "echochamber.store.consent",
    "anonymise_stored": "echochamber.store.consent",
    "erase_accounts": "echochamber.store.consent",
    "erase_deleted_raw": "echochamber.store.consent",
    "prune": "echochamber.store.retention",
    "kept": "echochamber.store.retention",
}

__all__ = [
    "AccountRecord",
    "DeliveryRecord",
    "Engine",
    "Erasure",
    "GraphReader",
    "SnapshotState",
    "StoredAccount",
    "StreamSink",
    "ThreadPost",
    "ThreadRows",
    "account_id",
    "account_record",
    "anonymise_stored",
    "begin_delivery",
    "completeness",
    "conversation_rows",
    "database_error",
    "deliveries",
    "due_watch",
    "erase_accounts",
    "erase_deleted_raw",
    "failing_servers",
    "finish_run",
    "get_cursor",
    "get_delivery",
    "graph_reader",
    "history",
    "init_db",
    "is_database_error",
    "is_whole_weeks",
    "job_lock",
    "job_status",
    "kept",
    "load_servers",
    "load_snapshot",
    "local_posts_of",
    "make_engine",
    "mark_checked",
    "mark_delivery",
    "post_by_ref",
    "previous_roster",
    "prune",
    "record_end",
    "record_start",
    "register",
    "registered",
    "registry_summary",
    "require_schema",
    "save_servers",
    "save_snapshot",
    "scheduler_jobstore",
    "snapshot_states",
    "snapshot_weeks",
    "start_run",
    "status",
    "store_batch",
    "store_page",
    "store_pages",
    "store_raw",
    "store_salt",
    "week_rows",
    "weeks_with_data",
]

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from echochamber.store.consent import (
        anonymise_stored,
        erase_accounts,
        erase_deleted_raw,
        register,
        registered,
        registry_summary,
        store_salt,
    )
    from echochamber.store.delivery import (
        DeliveryRecord,
        begin_delivery,
        deliveries,
        get_delivery,
        mark_delivery,
    )
    from echochamber.store.engine import (
        database_error,
        init_db,
        is_database_error,
        make_engine,
        require_schema,
    )
    from echochamber.store.erasure import Erasure, StoredAccount
    from echochamber.store.fediverse import (
        completeness,
        failing_servers,
        load_servers,
        save_servers,
    )
    from echochamber.store.graphdata import ThreadPost
    from echochamber.store.ingest import store_batch
    from echochamber.store.jobs import job_status, record_end, record_start, scheduler_jobstore
    from echochamber.store.keys import local_posts_of
    from echochamber.store.locks import job_lock
    from echochamber.store.lookups import (
        AccountRecord,
        ThreadRows,
        account_id,
        account_record,
        conversation_rows,
        post_by_ref,
    )
    from echochamber.store.raw import store_page, store_pages, store_raw
    from echochamber.store.reader import (
        GraphReader,
        graph_reader,
        is_whole_weeks,
        weeks_with_data,
    )
    from echochamber.store.retention import kept, prune
    from echochamber.store.snapshots import (
        SnapshotState,
        history,
        load_snapshot,
        previous_roster,
        save_snapshot,
        snapshot_states,
        snapshot_weeks,
    )
    from echochamber.store.streams import (
        StreamSink,
        due_watch,
        finish_run,
        get_cursor,
        mark_checked,
        start_run,
    )
    from echochamber.store.summary import status
    from echochamber.store.weekdata import week_rows


__getattr__, __dir__ = lazy_names(__name__, _WHERE, globals())
