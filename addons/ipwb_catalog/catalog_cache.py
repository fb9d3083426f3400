# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""A per-worker cache of catalog search answers (results and facets), invalidated by any change.

Why: a search costs one large, planning-heavy ranking query plus the facet and record reads
(tens of ms); under load the same few searches come back again and again (issue #20).

How it stays right, in every worker process (prefork) and with every write path (ORM, raw SQL
such as the usage refresh or the archiving of columns, ``ondelete`` cascades, migrations):

- statement-level triggers on the tables the search reads (tables, columns, tags and their
  relation) record each transaction that changes them, once, in ``ipwb_catalog_change``
  (``INSERT ... ON CONFLICT (xid) DO NOTHING``);
- a search reads ``sum(weight)`` of that log **in its own snapshot**: the number of committed
  catalog-changing transactions it sees. Snapshots see nested sets of committed transactions,
  so two searches that read the same number see the same catalog: the number is the cache
  key's version, consistent with the data the search reads (a sequence would not be: it is not
  transactional);
- a transaction that changed the catalog itself (its uncommitted rows) never reads nor fills
  the cache;
- :func:`compact` folds old rows into one (the sum is kept) so the log stays small.

The rest of the key is everything else an answer depends on: the query, limit, the user (the
owner boost), the language (facet labels) and the SQL of the user's visible tables, which
embeds the selected facets and the record rules as evaluated for this user (their groups), so
rights are never shared between users. Not covered: a user's *name* shown as a table's owner
changes with the next catalog change only.
"""

import collections
import copy
import threading

from odoo.tools import SQL

#: the tables the search reads; a change to any of them makes a new catalog version
WATCHED = ("ipwb_table", "ipwb_column", "ipwb_tag", "ipwb_table_ipwb_tag_rel")
#: answers kept per worker process (least recently used dropped first)
MAX_ENTRIES = 512
#: rows of the change log left when it is compacted
KEEP_ROWS = 100

_lock = threading.Lock()
_answers = collections.OrderedDict()
_stats = {"hits": 0, "misses": 0, "bypassed": 0}


def ensure_change_log(cr):
    """The change log, its trigger function, and a trigger on each watched table that exists."""
    cr.execute(
        SQL(
            """CREATE TABLE IF NOT EXISTS ipwb_catalog_change (
                   xid bigint PRIMARY KEY,
                   weight bigint NOT NULL DEFAULT 1,
                   changed_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'))"""
        )
    )
    # an UPDATE that changes nothing the search shows (an ORM write of the same values, the
    # usage refresh moving a count within one boost step) is no new version: the row images
    # are compared without the write stamps, and usage_count as its boost step
    # min(19, ceil(log2(1 + n))) (the shown count is re-read on every cache hit)
    cr.execute(
        SQL(
            """CREATE OR REPLACE FUNCTION ipwb_catalog_row(j jsonb) RETURNS jsonb
                   LANGUAGE sql IMMUTABLE AS $$
                   SELECT (j - 'write_date' - 'write_uid' - 'usage_count')
                          || jsonb_build_object('usage_boost', LEAST(19, CEIL(LOG(2,
                                 1 + GREATEST(COALESCE((j->>'usage_count')::numeric, 0), 0)))))
               $$"""
        )
    )
    cr.execute(
        SQL(
            """CREATE OR REPLACE FUNCTION ipwb_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN
                   IF TG_OP = 'INSERT' THEN
                       IF NOT EXISTS (SELECT 1 FROM new_rows) THEN RETURN NULL; END IF;
                   ELSIF TG_OP = 'DELETE' THEN
                       IF NOT EXISTS (SELECT 1 FROM old_rows) THEN RETURN NULL; END IF;
                   ELSIF TG_OP = 'UPDATE' AND TG_ARGV[0] = 'id' THEN
                       IF NOT EXISTS (
                           SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
                            WHERE ipwb_catalog_row(to_jsonb(n)) IS DISTINCT FROM ipwb_catalog_row(to_jsonb(o))
                       ) THEN RETURN NULL; END IF;
                   END IF;
                   INSERT INTO ipwb_catalog_change (xid) VALUES (txid_current()) ON CONFLICT (xid) DO NOTHING;
                   RETURN NULL;
               END $$"""
        )
    )
    for table in WATCHED:
        if not _exists(cr, table):
            continue
        # UPDATEs of rows with an id are compared row by row; the tag relation has no id
        keyed = SQL("'id'") if table != "ipwb_table_ipwb_tag_rel" else SQL("''")
        # transition tables allow one event per trigger
        for event, referencing in (
            ("INSERT", "REFERENCING NEW TABLE AS new_rows"),
            ("UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "REFERENCING OLD TABLE AS old_rows"),
            ("TRUNCATE", ""),
        ):
            cr.execute(
                SQL(
                    "CREATE OR REPLACE TRIGGER %s AFTER %s ON %s %s FOR EACH STATEMENT"
                    " EXECUTE FUNCTION ipwb_catalog_changed(%s)",
                    SQL.identifier(f"{table}_catalog_change_{event.lower()}"),
                    SQL(event),
                    SQL.identifier(table),
                    SQL(referencing),
                    keyed,
                )
            )


def drop_change_log(cr):
    """Remove what :func:`ensure_change_log` created (the module's uninstall): the triggers
    first (the watched tables are dropped after the hook, by the ORM), then the functions and
    the log. Idempotent."""
    for table in WATCHED:
        if not _exists(cr, table):
            continue
        for event in ("insert", "update", "delete", "truncate"):
            cr.execute(
                SQL(
                    "DROP TRIGGER IF EXISTS %s ON %s",
                    SQL.identifier(f"{table}_catalog_change_{event}"),
                    SQL.identifier(table),
                )
            )
    cr.execute(SQL("DROP FUNCTION IF EXISTS ipwb_catalog_changed()"))
    cr.execute(SQL("DROP FUNCTION IF EXISTS ipwb_catalog_row(jsonb)"))
    cr.execute(SQL("DROP TABLE IF EXISTS ipwb_catalog_change"))
    clear()


def _exists(cr, table):
    cr.execute(SQL("SELECT to_regclass(%s)", table))
    return cr.fetchone()[0] is not None


def catalog_version(cr):
    """The catalog's version in this transaction's snapshot, or None when this transaction
    changed the catalog itself (its answers must not be shared)."""
    cr.execute(
        SQL(
            """SELECT COALESCE(sum(weight), 0),
                      bool_or(xid = txid_current_if_assigned())
                 FROM ipwb_catalog_change"""
        )
    )
    version, own = cr.fetchone()
    return None if own else int(version)


def compact(cr):
    """Fold all but the newest :data:`KEEP_ROWS` committed rows into one row (xid 0), keeping the
    sum: every snapshot reads the same version before and after (one transaction)."""
    cr.execute(
        SQL(
            """WITH old AS (
                   DELETE FROM ipwb_catalog_change
                    WHERE xid <> 0 AND xid NOT IN (
                        SELECT xid FROM ipwb_catalog_change WHERE xid <> 0 ORDER BY xid DESC LIMIT %s)
                   RETURNING weight)
               INSERT INTO ipwb_catalog_change (xid, weight)
               SELECT 0, sum(weight) FROM old HAVING count(*) > 0
               ON CONFLICT (xid) DO UPDATE SET weight = ipwb_catalog_change.weight + EXCLUDED.weight""",
            KEEP_ROWS,
        )
    )


def key_of(env, version, query, limit, visible):
    return (
        env.cr.dbname,
        version,
        env.uid,
        env.lang,
        query,
        limit,
        visible.code,
        tuple(map(repr, visible.params)),
    )


def get(key):
    with _lock:
        answer = _answers.get(key)
        if answer is None:
            _stats["misses"] += 1
            return None
        _answers.move_to_end(key)
        _stats["hits"] += 1
    return copy.deepcopy(answer)


def put(key, answer):
    with _lock:
        _answers[key] = copy.deepcopy(answer)
        _answers.move_to_end(key)
        while len(_answers) > MAX_ENTRIES:
            _answers.popitem(last=False)


def bypassed():
    with _lock:
        _stats["bypassed"] += 1


def stats():
    """Hits, misses and bypasses of this worker process (figures for the bench and the tests)."""
    with _lock:
        return dict(_stats, entries=len(_answers))


def clear():
    with _lock:
        _answers.clear()
