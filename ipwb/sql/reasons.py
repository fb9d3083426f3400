"""Statement kinds, reason codes for refusing a statement, and the :class:`Reason` record.

A code is stable (tests, the hostile corpus and the Odoo side refer to it); the message
is for people. Each code is either *forbidden* (refused in every mode, even an approved
write, because it escapes the guarded transaction: other sessions, files, servers,
roles, settings) or a *write* (refused only in read-only mode).
"""

from __future__ import annotations

import dataclasses
import enum


class StatementKind(str, enum.Enum):
    """What a statement is, whatever its reasons."""

    QUERY = "query"  # SELECT, VALUES, TABLE, WITH … SELECT, UNION …
    EXPLAIN = "explain"
    SHOW = "show"
    DML = "dml"
    DDL = "ddl"
    COPY = "copy"
    SESSION = "session"  # SET/RESET, LISTEN, PREPARE, cursors, DISCARD
    TRANSACTION = "transaction"
    MAINTENANCE = "maintenance"  # VACUUM, ANALYZE, CLUSTER, REINDEX, LOCK, CHECKPOINT
    PROCEDURAL = "procedural"  # DO, CALL
    UNKNOWN = "unknown"
    EMPTY = "empty"
    SCRIPT = "script"  # more than one statement


#: kinds that read data and nothing else (when they carry no reason)
READ_KINDS = frozenset({StatementKind.QUERY, StatementKind.EXPLAIN, StatementKind.SHOW})


class ReasonCode(str, enum.Enum):
    """Why a statement is not a plain read. ``str`` so it serialises as its value."""

    # the text itself
    PARSE_ERROR = "parse_error"
    EMPTY = "empty"
    MULTIPLE_STATEMENTS = "multiple_statements"
    UNKNOWN_STATEMENT = "unknown_statement"
    # writes: refused in read-only mode only
    DML = "dml"
    DDL = "ddl"
    WRITE_IN_CTE = "write_in_cte"
    SELECT_INTO = "select_into"
    LOCKING_CLAUSE = "locking_clause"
    LOCK_TABLE = "lock_table"
    MAINTENANCE = "maintenance"
    SEQUENCE_WRITE = "sequence_write"
    LARGE_OBJECT_WRITE = "large_object_write"
    ADVISORY_LOCK = "advisory_lock"
    PROCEDURAL = "procedural"
    # forbidden in every mode
    COPY_PROGRAM = "copy_program"
    COPY_FILE = "copy_file"
    COPY_STDIO = "copy_stdio"
    SERVER_FILE_ACCESS = "server_file_access"
    REMOTE_ACCESS = "remote_access"
    ROLE_CHANGE = "role_change"
    CONFIG_CHANGE = "config_change"
    SERVER_CONFIG = "server_config"
    TRANSACTION_CONTROL = "transaction_control"
    LISTEN_NOTIFY = "listen_notify"
    PREPARED_STATEMENT = "prepared_statement"
    CURSOR_CONTROL = "cursor_control"
    SESSION_STATE = "session_state"
    BACKEND_SIGNAL = "backend_signal"
    ADMIN_FUNCTION = "admin_function"
    DYNAMIC_SQL = "dynamic_sql"
    FUNCTION_NOT_ALLOWED = "function_not_allowed"

    @property
    def forbidden(self) -> bool:
        """``True`` if refused even when writes are allowed."""
        return self not in WRITE_CODES


#: codes an explicitly allowed (approved) write may carry
WRITE_CODES: frozenset[ReasonCode] = frozenset(
    {
        ReasonCode.DML,
        ReasonCode.DDL,
        ReasonCode.WRITE_IN_CTE,
        ReasonCode.SELECT_INTO,
        ReasonCode.LOCKING_CLAUSE,
        ReasonCode.LOCK_TABLE,
        ReasonCode.MAINTENANCE,
        ReasonCode.SEQUENCE_WRITE,
        ReasonCode.LARGE_OBJECT_WRITE,
        ReasonCode.ADVISORY_LOCK,
        ReasonCode.PROCEDURAL,
    }
)


@dataclasses.dataclass(frozen=True)
class Reason:
    """One finding: a code, a sentence naming the offending construct, and where it is
    (1-based line/column in the script the user submitted; ``None`` if unknown)."""

    code: ReasonCode
    message: str
    line: int | None = None
    col: int | None = None

    @property
    def forbidden(self) -> bool:
        return self.code.forbidden

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.col}: " if self.line is not None else ""
        return f"{where}{self.message} [{self.code.value}]"

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code.value, "message": self.message, "line": self.line, "col": self.col}
