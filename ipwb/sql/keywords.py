"""Statements recognised by their leading keywords.

Used only where sqlglot gives no usable tree: it keeps a statement as a raw ``Command``
(``DO``, ``CALL``, ``SET ROLE``, ``VACUUM`` …), parses it as a bare expression
(``LISTEN x`` becomes an alias, ``CHECKPOINT`` a column), or cannot parse it at all
(``RELEASE SAVEPOINT``, ``SECURITY LABEL``). PostgreSQL has no statement that starts
with an expression, so the first word decides what the statement is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from ipwb.sql.reasons import ReasonCode, StatementKind


@dataclasses.dataclass(frozen=True)
class KeywordRule:
    kind: StatementKind
    code: ReasonCode | None
    message: str = ""


def _rule(kind: StatementKind, code: ReasonCode | None, message: str = "") -> KeywordRule:
    return KeywordRule(kind, code, message)


_K = StatementKind
_R = ReasonCode

_TRANSACTION = _rule(
    _K.TRANSACTION, _R.TRANSACTION_CONTROL, "transaction control would end the guarded transaction"
)
_DDL = _rule(_K.DDL, _R.DDL, "changes the database schema or privileges")
_DML = _rule(_K.DML, _R.DML, "changes table data")
_CURSOR = _rule(
    _K.SESSION, _R.CURSOR_CONTROL, "cursor commands are managed by the executor, not by statements"
)
_PREPARED = _rule(_K.SESSION, _R.PREPARED_STATEMENT, "prepared statements hide the statement that runs")
_LISTEN = _rule(_K.SESSION, _R.LISTEN_NOTIFY, "LISTEN/NOTIFY talk to other sessions")
_MAINTENANCE = _rule(_K.MAINTENANCE, _R.MAINTENANCE, "maintenance commands rewrite or lock tables")

#: first word -> rule (refined for SET/RESET, ALTER SYSTEM, PREPARE TRANSACTION below)
KEYWORD_RULES: dict[str, KeywordRule] = {
    "SHOW": _rule(_K.SHOW, None),
    "DO": _rule(
        _K.PROCEDURAL, _R.PROCEDURAL, "DO runs an anonymous code block the classifier cannot see into"
    ),
    "CALL": _rule(_K.PROCEDURAL, _R.PROCEDURAL, "CALL runs a procedure, which may change data"),
    "SET": _rule(_K.SESSION, _R.CONFIG_CHANGE, "SET changes session settings (timeout, read-only mode …)"),
    "RESET": _rule(
        _K.SESSION, _R.CONFIG_CHANGE, "RESET changes session settings (timeout, read-only mode …)"
    ),
    "DISCARD": _rule(_K.SESSION, _R.SESSION_STATE, "DISCARD resets session state"),
    "LOAD": _rule(_K.SESSION, _R.SESSION_STATE, "LOAD loads a shared library into the server"),
    "LISTEN": _LISTEN,
    "UNLISTEN": _LISTEN,
    "NOTIFY": _LISTEN,
    "PREPARE": _PREPARED,
    "EXECUTE": _PREPARED,
    "DEALLOCATE": _PREPARED,
    "DECLARE": _CURSOR,
    "FETCH": _CURSOR,
    "MOVE": _CURSOR,
    "CLOSE": _CURSOR,
    "LOCK": _rule(_K.MAINTENANCE, _R.LOCK_TABLE, "LOCK TABLE takes table locks"),
    "VACUUM": _MAINTENANCE,
    "ANALYZE": _MAINTENANCE,
    "ANALYSE": _MAINTENANCE,
    "CLUSTER": _MAINTENANCE,
    "REINDEX": _MAINTENANCE,
    "REFRESH": _MAINTENANCE,
    "CHECKPOINT": _rule(_K.MAINTENANCE, _R.ADMIN_FUNCTION, "CHECKPOINT is a server administration command"),
    "BEGIN": _TRANSACTION,
    "START": _TRANSACTION,
    "COMMIT": _TRANSACTION,
    "END": _TRANSACTION,
    "ROLLBACK": _TRANSACTION,
    "ABORT": _TRANSACTION,
    "SAVEPOINT": _TRANSACTION,
    "RELEASE": _TRANSACTION,
    "CREATE": _DDL,
    "ALTER": _DDL,
    "DROP": _DDL,
    "TRUNCATE": _DDL,
    "COMMENT": _DDL,
    "GRANT": _DDL,
    "REVOKE": _DDL,
    "SECURITY": _DDL,
    "IMPORT": _DDL,
    "REASSIGN": _DDL,
    "INSERT": _DML,
    "UPDATE": _DML,
    "DELETE": _DML,
    "MERGE": _DML,
    "COPY": _rule(_K.COPY, _R.COPY_FILE, "COPY reads or writes files or the client stream"),
}

_ROLE_CHANGE = _rule(_K.SESSION, _R.ROLE_CHANGE, "changing the role would escape the restricted role")
_SERVER_CONFIG = _rule(_K.DDL, _R.SERVER_CONFIG, "ALTER SYSTEM rewrites the server configuration")


def keyword_rule(words: Sequence[str]) -> KeywordRule | None:
    """The rule for a statement starting with ``words`` (upper case), or ``None``.

    >>> keyword_rule(["SET", "ROLE", "POSTGRES"]).code.value
    'role_change'
    >>> keyword_rule(["SET", "SESSION", "AUTHORIZATION", "X"]).code.value
    'role_change'
    >>> keyword_rule(["SET", "SEARCH_PATH", "="]).code.value
    'config_change'
    >>> keyword_rule(["SELEC", "1"]) is None
    True
    """
    if not words:
        return None
    first, rest = words[0], list(words[1:4])
    if first in ("SET", "RESET") and (
        "ROLE" in rest[:2] or ("SESSION" in rest[:2] and "AUTHORIZATION" in rest)
    ):
        return _ROLE_CHANGE
    if first == "ALTER" and rest[:1] == ["SYSTEM"]:
        return _SERVER_CONFIG
    if first in ("PREPARE", "COMMIT", "ROLLBACK") and rest[:1] in (["TRANSACTION"], ["PREPARED"]):
        return _TRANSACTION
    return KEYWORD_RULES.get(first)
