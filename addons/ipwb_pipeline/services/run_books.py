# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The worker's bookkeeping of one run: what it writes per step, in as few round trips as
the step loop allows (issue #20 §4).

Per step the worker sends one message and one COMMIT: the previous step's outcome (its
step-run row and its cost entry), a savepoint, the next step's start with the run's log lines
and heartbeat, and the read of the run's cancel flag and spend, several statements joined with
``;`` (psycopg2 sends them as one simple-protocol query, the parameters bound client-side).
When the flags say stop (a Cancel, a spent blocking budget), the start is rolled back to the
savepoint, the previous outcome kept, and the step is not run. These rows are written in plain
SQL, not through the ORM: the worker writes only columns it owns (step state, timings, log; the
run's log and heartbeat; a priced cost entry), each value converted by its ORM field, no stored
field depends on them, and what the ORM cached of a written row is invalidated (a commit
empties Odoo's cache anyway).
"""

from typing import NamedTuple

from odoo import fields
from odoo.tools import SQL

NOW = SQL("now() AT TIME ZONE 'UTC'")


class RunFlags(NamedTuple):
    cancelled: bool
    spent: float
    budget_per_run: float
    budget_mode: str
    budget_exceeded: bool


def flags_sql(run_id):
    """The run's cancel flag, spend so far and budget (see :func:`run_flags`)."""
    return SQL(
        "SELECT r.cancel_requested, (SELECT COALESCE(SUM(e.amount_usd), 0) "
        "FROM ipwb_cost_entry e WHERE e.pipeline_run_id = r.id), "
        "p.budget_per_run, p.budget_mode, r.budget_exceeded "
        "FROM ipwb_pipeline_run r JOIN ipwb_pipeline p ON p.id = r.pipeline_id WHERE r.id = %s",
        run_id,
    )


def flags_of(row):
    cancelled, spent, budget, mode, exceeded = row
    return RunFlags(
        bool(cancelled), float(spent or 0.0), float(budget or 0.0), mode or "warn", bool(exceeded)
    )


def run_flags(run):
    """The run's cancel flag, spend so far and budget, read from the database in one
    statement: a Cancel committed by another transaction is seen before the next step."""
    run.ensure_one()
    run.flush_recordset(["cancel_requested", "budget_exceeded"])
    run.env["ipwb.pipeline"].flush_model(["budget_per_run", "budget_mode"])
    run.env["ipwb.cost.entry"].flush_model(["pipeline_run_id", "amount_usd"])
    run.env.cr.execute(flags_sql(run.id))
    flags = flags_of(run.env.cr.fetchone())
    run.invalidate_recordset(["cancel_requested"])
    return flags


def _column(record, name, value):
    """``value`` as the ORM would store it in column ``name`` (NULL for False, floats rounded
    to the field's digits, …)."""
    return record._fields[name].convert_to_column(value, record)


def step_update_sql(step_run, values):
    """UPDATE of one step-run row; ``values``: field → value (fields the worker owns)."""
    assignments = [
        SQL("%s = %s", SQL.identifier(name), _column(step_run, name, value)) for name, value in values.items()
    ]
    assignments += [SQL("write_date = %s", NOW), SQL("write_uid = %s", step_run.env.uid)]
    return SQL("UPDATE ipwb_pipeline_step_run SET %s WHERE id = %s", SQL(", ").join(assignments), step_run.id)


#: the cost entry columns the worker fills (the ORM's ``create`` would fill the same)
COST_COLUMNS = (
    "description",
    "user_id",
    "domain_name",
    "pipeline_run_id",
    "pipeline_id",
    "source",
    "model_name",
    "compute_seconds",
    "amount_usd",
    "res_model",
    "res_id",
)


def cost_insert_sql(Entry, values):
    """INSERT of one priced cost entry; ``values`` holds every key of :data:`COST_COLUMNS`."""
    uid = Entry.env.uid
    columns = SQL(", ").join(SQL.identifier(column) for column in COST_COLUMNS)
    params = SQL(", ").join(_column(Entry, column, values[column]) for column in COST_COLUMNS)
    return SQL(
        "INSERT INTO ipwb_cost_entry (%s, date, create_date, write_date, create_uid, write_uid) "
        "VALUES (%s, %s, %s, %s, %s, %s)",
        columns,
        params,
        NOW,
        NOW,
        NOW,
        uid,
        uid,
    )


def log_update_sql(run, lines, stamp, heartbeat):
    """The run row's log lines (appended, never read back) and heartbeat in one UPDATE."""
    text = "".join(f"{stamp} {line}\n" for line in lines if line)
    return SQL(
        "UPDATE ipwb_pipeline_run SET log = COALESCE(log, '') || %s, %s "
        "write_date = now() AT TIME ZONE 'UTC', write_uid = %s WHERE id IN %s",
        text,
        SQL("heartbeat = now() AT TIME ZONE 'UTC',") if heartbeat else SQL(),
        run.env.uid,
        tuple(run.ids),
    )


class Books:
    """The run's bookkeeping of the current transaction: statements not sent yet, log lines
    for the run row, and callbacks a step asked to run once its outcome is committed
    (``after_commit``)."""

    def __init__(self, run, lock):
        self.run = run
        self.lock = lock
        self.lines = []
        self.after_commit = []
        self.pending = []
        self.written = set()
        #: step-run id → step name, and the cost entries' run-wide values: known once per run,
        #: so that no step re-reads them (every commit empties Odoo's record cache)
        self.names = {}
        self.cost_values = None
        self.pipeline_id = None
        self._marked_lines = []

    def log(self, message):
        self.lines.append(message)

    # -- statements ------------------------------------------------------------------------------
    def write_step(self, step_run, values):
        """Queue an UPDATE of ``step_run``'s row (sent with the next message)."""
        step_run.flush_recordset()
        self.pending.append(step_update_sql(step_run, values))
        self.written.add(step_run.id)

    def add_cost(self, values):
        self.pending.append(cost_insert_sql(self.run.env["ipwb.cost.entry"], values))

    def send(self, tail=None):
        """Send the queued statements (and ``tail``, whose result is returned) in one round
        trip; forget what the ORM cached of the rows written."""
        statements = self.pending + ([tail] if tail is not None else [])
        self.pending = []
        if not statements:
            return None
        env = self.run.env
        env.cr.execute(SQL(";\n").join(statements))
        row = env.cr.fetchone() if tail is not None else None
        self._invalidate()
        return row

    def send_with_flags(self):
        """The queued statements and the run's flags (:func:`run_flags`) in one round trip."""
        run = self.run
        run.flush_recordset(["cancel_requested", "budget_exceeded"])
        run.env["ipwb.pipeline"].flush_model(["budget_per_run", "budget_mode"])
        run.env["ipwb.cost.entry"].flush_model(["pipeline_run_id", "amount_usd"])
        flags = flags_of(self.send(flags_sql(run.id)))
        run.invalidate_recordset(["cancel_requested"])
        return flags

    # -- a step's start: one message, then the COMMIT ---------------------------------------------
    def mark(self):
        """What is queued from here on (the next step's start) can be undone by :meth:`undo`;
        what was queued before (the previous outcome) stays."""
        self.run.env.flush_all()
        self.pending.append(SQL("SAVEPOINT ipwb_step_start"))
        self._marked_lines = list(self.lines)

    def send_start(self):
        """Send the queued statements, the run's log lines and heartbeat, and read the run's
        flags, in one message (the caller holds the heartbeat lock)."""
        run = self.run
        run.flush_recordset(["log", "heartbeat"])
        stamp = fields.Datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        self.pending.append(log_update_sql(run, self.lines, stamp, heartbeat=True))
        run.invalidate_recordset(["log", "heartbeat", "write_date", "write_uid"])
        return self.send_with_flags()

    def committed_start(self):
        """Commit the step's start (with the previous outcome); the lines are written."""
        self.run._commit()
        self.lines = []
        self._committed()

    def undo(self):
        """Roll the step's start back to :meth:`mark` (the previous outcome stays queued in
        the transaction); the log lines are pending again, without the start's."""
        env = self.run.env
        env.cr.execute(SQL("ROLLBACK TO SAVEPOINT ipwb_step_start"))
        # what the ORM wrote or cached since the mark (flushed there) is gone with it
        env.invalidate_all(flush=False)
        self.lines = self._marked_lines

    def _invalidate(self):
        if self.written:
            StepRun = self.run.env["ipwb.pipeline.step.run"]
            StepRun.browse(self.written).invalidate_recordset()
            self.written = set()
        self.run.invalidate_recordset(["cost_entry_ids", "cost_usd"])

    # -- commits ---------------------------------------------------------------------------------
    def commit(self, values=None):
        """Send the pending statements with the run's log lines and heartbeat, write
        ``values`` on the run row, and commit (one message, one COMMIT)."""
        run = self.run
        if values:
            self.send()
            run._commit_run(self.lock, dict(values, heartbeat=True), self.lines)
        else:
            stamp = fields.Datetime.now().strftime("%Y-%m-%d %H:%M:%S")
            with self.lock:
                run.flush_recordset(["log", "heartbeat"])
                self.pending.append(log_update_sql(run, self.lines, stamp, heartbeat=True))
                self.send()
                run.invalidate_recordset(["log", "heartbeat", "write_date", "write_uid"])
                run._commit()
        self.lines = []
        self._committed()

    def finish(self, state, error=None):
        """End the run (``_finish`` commits) after writing what is pending."""
        run = self.run
        self.send()
        if self.lines:
            run._append_log(self.lines)
            self.lines = []
        run._finish(state, error, lock=self.lock)
        self._committed()

    def _committed(self):
        callbacks, self.after_commit = self.after_commit, []
        for callback in callbacks:
            callback()
