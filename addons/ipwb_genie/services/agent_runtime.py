# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The agents' durable state: LangGraph checkpoints in the schema ``ipwb_agent_state`` of
the Odoo database, reached through psycopg 3 beside Odoo's psycopg2.

* The schema and its tables are created by the install hook / upgrade migration, in
  Odoo's own transaction and as Odoo's database user (the database owner: no superuser).
* Each process opens its own pool on first use (after Odoo forked its workers), with
  autocommit and ``search_path`` set to the schema; checkpoints are written as the graph
  runs, independently of the Odoo transaction, so any worker can resume a run.
"""

import threading

from psycopg.conninfo import make_conninfo

from odoo import sql_db
from odoo.tools import SQL

from ipwb.llm.agents.checkpoint import SCHEMA, CheckpointStore, migrations

_stores = {}
_stores_lock = threading.Lock()


def conninfo(dbname):
    """libpq connection string of Odoo's own connection to ``dbname``."""
    _name, info = sql_db.connection_info_for(dbname)
    if "dsn" in info:
        return info["dsn"]
    params = {("dbname" if key == "database" else key): value for key, value in info.items()}
    return make_conninfo(
        **{key: str(value) for key, value in params.items() if value not in (None, False, "")}
    )


def store(env):
    """The process-wide checkpoint store of ``env``'s database (pool opened lazily)."""
    dbname = env.cr.dbname
    with _stores_lock:
        found = _stores.get(dbname)
        if found is None:
            found = _stores[dbname] = CheckpointStore(conninfo(dbname))
        return found


def install_schema(env):
    """Create the schema and bring the checkpoint tables up to date (idempotent), in the
    current transaction: the statements of ``PostgresSaver.setup()`` without
    ``CONCURRENTLY``, which would wait for this very transaction to end."""
    cr = env.cr
    cr.execute(SQL("CREATE SCHEMA IF NOT EXISTS %s", SQL.identifier(SCHEMA)))
    cr.execute(SQL("SELECT current_setting('search_path')"))
    previous = cr.fetchone()[0]
    cr.execute(SQL("SELECT set_config('search_path', %s, true)", SCHEMA))
    try:
        steps = list(migrations())
        cr.execute(SQL(steps[0][1]))  # langgraph's constant DDL text, no parameters
        cr.execute(SQL("SELECT max(v) FROM checkpoint_migrations"))
        done = cr.fetchone()[0]
        done = -1 if done is None else done
        for version, statement in steps[done + 1 :]:
            cr.execute(SQL(statement))
            cr.execute(SQL("INSERT INTO checkpoint_migrations (v) VALUES (%s)", version))
    finally:
        cr.execute(SQL("SELECT set_config('search_path', %s, true)", previous))
