"""The one exception hierarchy of the engine.

Addons catch :class:`IpwbError` (or a subclass) and turn it into a translated
``UserError``/``ValidationError``; the CLI turns it into a message and an exit code.
Messages are plain English with the offending values interpolated; ``args`` keeps the
values so a caller can re-translate them.
"""

from __future__ import annotations


class IpwbError(Exception):
    """Base of every error the engine raises on purpose."""

    #: process exit code the CLI uses for this kind of error
    exit_code = 1


class ConfigurationError(IpwbError):
    """Something the engine needs is not configured (no model, no DSN, missing secret)."""

    exit_code = 2


class SpecError(IpwbError):
    """A spec (YAML/JSON) is malformed or does not validate.

    ``problems`` lists every problem found, each with its location, so one run reports
    them all instead of stopping at the first.
    """

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])

    def __str__(self) -> str:
        if not self.problems:
            return str(self.args[0])
        return "\n".join([str(self.args[0]), *("  " + p for p in self.problems)])


class WarehouseError(IpwbError):
    """The warehouse could not be reached or answered with an error."""


class ReconciliationError(IpwbError):
    """Odoo's side of a reconciliation cannot be computed (a report definition or an
    export this version does not understand): the run fails instead of guessing."""


class QueryRefused(IpwbError):
    """A statement was refused before execution (read-only mode, hostile construct)."""

    exit_code = 3


class QueryTimeout(WarehouseError):
    """A statement ran longer than its ``statement_timeout`` and the server stopped it."""


class QueryCancelled(WarehouseError):
    """A running statement was cancelled on request (``pg_cancel_backend``)."""


class SqlSyntaxError(IpwbError):
    """SQL text could not be tokenized or parsed; ``line``/``col`` (1-based) locate it."""

    exit_code = 2

    def __init__(self, message: str, line: int | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.col = col


class ParameterError(IpwbError):
    """``{{name}}`` parameters of a snippet and the values supplied do not match."""

    exit_code = 2


class GraphError(IpwbError):
    """A DAG is invalid: cycle, unknown dependency, unreachable step.

    Like :class:`SpecError`, ``problems`` lists every problem found, so a canvas or a
    spec check can show them all at once.
    """

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])

    def __str__(self) -> str:
        if not self.problems:
            return str(self.args[0])
        return "\n".join([str(self.args[0]), *("  " + p for p in self.problems)])


class IntegrationError(IpwbError):
    """An optional external service (n8n, Mattermost, Langfuse, Neo4j, LLM) failed."""


class OutboundRefused(IpwbError):
    """A server-side HTTP call was refused by the outbound policy (:mod:`ipwb.integrations.outbound`):
    a host not on the allow-list, a loopback/private/link-local/metadata address, a URL with
    credentials or an odd IP spelling, or a redirect to any of those. Never retried."""

    exit_code = 3


class FilingError(IpwbError):
    """A BIR filing cannot be produced as asked: the filer's TIN or RDO code is missing or
    malformed, a TIN in the data is malformed, or the period holds no published data."""

    exit_code = 2


class BackupError(IpwbError):
    """A backup cannot be taken or restored as asked: an unreachable server, a missing or
    corrupt archive, a non-empty target without ``--force``, a role or privilege missing.
    Raised before anything is changed whenever the problem can be detected up front."""

    exit_code = 2
