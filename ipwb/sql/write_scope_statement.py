"""The statement forms of :mod:`ipwb.sql.write_scope`: what each kind of statement writes,
and which statements, settings and objects a pipeline SQL step may not touch at all."""

from __future__ import annotations

from sqlglot import Token, TokenType, exp

from ipwb.errors import SqlSyntaxError
from ipwb.sql.classify import StatementClassification
from ipwb.sql.reasons import ReasonCode
from ipwb.sql.split import parse_tokens
from ipwb.sql.write_scope_base import ScopeBase, ScopeCode, ScopeProblem, cannot_read, excerpt, ident

#: settings a step may ``SET [LOCAL]``/``RESET``: planner and memory knobs of its own session.
#: Not statement_timeout (the step's bound), search_path (name resolution), role, or anything
#: about security, logging or the server.
HARMLESS_SETTINGS: frozenset[str] = frozenset(
    {
        "work_mem",
        "maintenance_work_mem",
        "temp_buffers",
        "hash_mem_multiplier",
        "jit",
        "random_page_cost",
        "seq_page_cost",
        "cpu_tuple_cost",
        "cpu_index_tuple_cost",
        "cpu_operator_cost",
        "effective_cache_size",
        "join_collapse_limit",
        "from_collapse_limit",
        "geqo",
        "default_statistics_target",
        "max_parallel_workers_per_gather",
        "timezone",
        "datestyle",
        "intervalstyle",
        "extra_float_digits",
        "lock_timeout",
    }
)
#: prefix of the planner method switches (``enable_seqscan`` …), also harmless
_HARMLESS_PREFIX = "enable_"


#: guard reasons this module decides itself (writes are allowed here, within the targets)
_DECIDED_HERE = frozenset(
    {
        ReasonCode.DML,
        ReasonCode.DDL,
        ReasonCode.WRITE_IN_CTE,
        ReasonCode.SELECT_INTO,
        ReasonCode.LOCKING_CLAUSE,
        ReasonCode.MAINTENANCE,
        ReasonCode.MULTIPLE_STATEMENTS,
        ReasonCode.PARSE_ERROR,
        ReasonCode.UNKNOWN_STATEMENT,
        ReasonCode.EMPTY,
    }
)
_ROLE_WORDS = frozenset({"ROLE", "USER", "GROUP"})
#: words between CREATE and the kind of object (``CREATE OR REPLACE TEMP TABLE``)
_CREATE_MODIFIERS = frozenset(
    {"OR", "REPLACE", "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL", "TRUSTED"}
)
_PRIVILEGE_WORDS = frozenset({"OWNER", "POLICY", "SECURITY", "PRIVILEGES", "GRANT", "REVOKE"})


class StatementScope(ScopeBase):
    """The problems of one statement; ``temporary`` carries the step's temp tables forward."""

    def run(self, classified: StatementClassification) -> list[ScopeProblem]:
        first = self.statement.tokens[0].text.upper()
        for reason in classified.reasons:
            if reason.code in _DECIDED_HERE:
                continue
            if reason.code == ReasonCode.CONFIG_CHANGE and first in ("SET", "RESET"):
                continue  # which settings a step may change is decided below
            self._add(reason.code, reason.message, reason.line, reason.col)
        refused_by_guard = bool(self.problems)
        try:
            tree = parse_tokens(self.script, self.statement.tokens)
        except SqlSyntaxError as exc:
            if not refused_by_guard:
                self._add(ScopeCode.PARSE_ERROR, cannot_read(exc), exc.line, exc.col)
            return self.problems
        handled = self._tree(tree)
        if not handled and not refused_by_guard:
            self._at_start(
                ScopeCode.STATEMENT_NOT_ALLOWED,
                f"{self._words(2)} is not a statement a pipeline SQL step may run",
            )
        return self.problems

    # -- statement forms ------------------------------------------------------------------
    def _tree(self, tree: exp.Expr) -> bool:  # noqa: PLR0911, PLR0912 - one branch per statement form
        if isinstance(tree, exp.Query | exp.Values):
            self._nested_writes(tree, include_root=False)
            return True
        if isinstance(tree, exp.Insert | exp.Update | exp.Delete | exp.Merge):
            self._nested_writes(tree, include_root=True)
            return True
        if isinstance(tree, exp.Create):
            self._create(tree)
            return True
        if isinstance(tree, exp.Drop):
            self._drop(tree)
            return True
        if isinstance(tree, exp.Alter):
            self._alter(tree)
            return True
        if isinstance(tree, exp.TruncateTable):
            for table in tree.expressions:
                self._target(table, "TRUNCATE")
            if str(tree.args.get("option") or "").upper() == "CASCADE":
                self._cascade("TRUNCATE … CASCADE also empties the tables that reference these")
            return True
        if isinstance(tree, exp.Comment):
            self._comment(tree)
            return True
        if isinstance(tree, exp.Analyze):
            tables = [t for t in tree.args.get("tables") or [] if isinstance(t, exp.Table)]
            if not tables:
                self._at_start(
                    ScopeCode.STATEMENT_NOT_ALLOWED,
                    "ANALYZE without a table analyses every table: name a target",
                )
            for table in tables:
                self._target(table, "ANALYZE")
            return True
        if isinstance(tree, exp.Grant | exp.Revoke):
            verb = "GRANT" if isinstance(tree, exp.Grant) else "REVOKE"
            self._at_start(
                ScopeCode.PRIVILEGE_CHANGE, f"{verb} changes privileges; a pipeline step never does"
            )
            return True
        if isinstance(tree, exp.Set):
            self._set(tree)
            return True
        if isinstance(tree, exp.Command):
            return self._command(tree)
        # COPY, transaction control …: the guard's reasons above refuse them
        return isinstance(tree, exp.Copy | exp.Transaction | exp.Commit | exp.Rollback)

    def _nested_writes(self, tree: exp.Expr, *, include_root: bool) -> None:
        """Targets of DML anywhere in the tree (CTEs included) and of ``SELECT … INTO``."""
        for node in tree.walk():
            if node is tree and not include_root:
                continue
            if isinstance(node, exp.Insert | exp.Update | exp.Delete | exp.Merge):
                if node.find_ancestor(exp.When) is not None:
                    continue  # MERGE … WHEN … THEN UPDATE/INSERT/DELETE acts on the MERGE target
                verb = type(node).__name__.upper()
                if node is not tree:
                    verb += " (inside the statement)"
                self._target(node.this, verb)
            elif isinstance(node, exp.Into):
                if node.args.get("temporary"):
                    self._temporary(node.this)
                else:
                    self._target(node.this, "SELECT … INTO")

    def _create(self, tree: exp.Create) -> None:
        kind = str(tree.args.get("kind") or "").upper()
        properties = tree.args.get("properties")
        props = list(properties.expressions) if isinstance(properties, exp.Properties) else []
        temporary = any(isinstance(p, exp.TemporaryProperty) for p in props)
        if kind in ("TABLE", "VIEW"):
            materialized = any(isinstance(p, exp.MaterializedProperty) for p in props)
            verb = f"CREATE {'MATERIALIZED VIEW' if materialized else kind}"
            if temporary:
                self._temporary(tree.this)
            else:
                self._target(tree.this, verb)
            for prop in props:
                if isinstance(prop, exp.PartitionedOfProperty | exp.InheritsProperty):
                    parents = [prop.this] if isinstance(prop, exp.PartitionedOfProperty) else prop.expressions
                    for parent in parents:
                        self._target(parent, f"{verb} … PARTITION OF/INHERITS (it changes the parent)")
            if tree.expression is not None:
                self._nested_writes(tree.expression, include_root=True)
            return
        if kind == "INDEX" and isinstance(tree.this, exp.Index):
            self._target(tree.this.args.get("table"), "CREATE INDEX")
            return
        self._at_start(ScopeCode.OBJECT_NOT_ALLOWED, self._object_message("CREATE", kind))

    def _drop(self, tree: exp.Drop) -> None:
        kind = str(tree.args.get("kind") or "").upper()
        if kind not in ("TABLE", "VIEW", "INDEX"):
            self._at_start(ScopeCode.OBJECT_NOT_ALLOWED, self._object_message("DROP", kind))
            return
        verb = f"DROP {'MATERIALIZED VIEW' if tree.args.get('materialized') else kind}"
        for table in tree.args.get("tables") or []:
            if kind == "INDEX":
                self._index(table, verb)
            else:
                self._target(table, verb)
        if tree.args.get("cascade"):
            self._cascade(
                f"{verb} … CASCADE also drops the objects that depend on it (views of other schemas …)"
            )

    def _alter(self, tree: exp.Alter) -> None:
        kind = str(tree.args.get("kind") or "").upper()
        if kind not in ("TABLE", "VIEW", "INDEX"):
            self._at_start(ScopeCode.OBJECT_NOT_ALLOWED, self._object_message("ALTER", kind))
            return
        verb = f"ALTER {kind}"
        if kind == "INDEX":
            self._index(tree.this, verb)
        else:
            self._target(tree.this, verb)
        schema = ident(tree.this.args.get("db")) if isinstance(tree.this, exp.Table) else ""
        for action in tree.args.get("actions") or []:
            if isinstance(action, exp.ColumnDef | exp.AlterColumn | exp.RenameColumn | exp.AddConstraint):
                continue
            if isinstance(action, exp.Drop) and str(action.args.get("kind") or "").upper() in (
                "COLUMN",
                "CONSTRAINT",
            ):
                if action.args.get("cascade"):
                    self._cascade(f"{verb} … DROP … CASCADE also drops the objects that depend on it")
                continue
            if isinstance(action, exp.AlterRename) and isinstance(action.this, exp.Table):
                renamed = action.this
                if kind != "INDEX" and schema and not renamed.args.get("db"):
                    renamed = renamed.copy()
                    renamed.set("db", exp.to_identifier(schema))
                if kind != "INDEX":
                    self._target(renamed, f"{verb} … RENAME TO")
                continue
            self._at_node(
                ScopeCode.STATEMENT_NOT_ALLOWED,
                f"{verb} … {excerpt(action.sql(dialect='postgres'), 30)} is not an allowed change (allowed: "
                "ADD/DROP/ALTER/RENAME COLUMN, ADD/DROP CONSTRAINT, RENAME TO)",
                action,
            )

    def _comment(self, tree: exp.Comment) -> None:
        kind = str(tree.args.get("kind") or "").upper()
        target = tree.this
        if kind == "COLUMN" and isinstance(target, exp.Column):
            table = exp.Table(this=target.args.get("table"), db=target.args.get("db"))
            table.meta.update(target.meta)
            self._target(table if target.args.get("table") else None, "COMMENT ON COLUMN", at=target)
        elif kind in ("TABLE", "VIEW", "MATERIALIZED VIEW"):
            self._target(target, f"COMMENT ON {kind}")
        elif kind == "INDEX":
            self._index(target, "COMMENT ON INDEX")
        else:
            self._at_start(ScopeCode.OBJECT_NOT_ALLOWED, self._object_message("COMMENT ON", kind))

    def _set(self, tree: exp.Set) -> None:
        for item in tree.expressions:
            if not isinstance(item, exp.SetItem):
                continue
            if str(item.args.get("kind") or "").upper() == "TRANSACTION":
                continue  # SET TRANSACTION ISOLATION LEVEL …: this transaction only
            assignment = item.this
            name = (
                ident(assignment.this.this)
                if isinstance(assignment, exp.EQ) and isinstance(assignment.this, exp.Column)
                else ""
            )
            self._setting(name, item)

    def _setting(self, name: str, node: exp.Expr | None, *, verb: str = "SET") -> None:
        if name in HARMLESS_SETTINGS or (name.startswith(_HARMLESS_PREFIX) and name.isidentifier()):
            return
        message = (
            f"{verb} {name or '…'} is not a setting a pipeline step may change (allowed: work_mem, "
            "timezone, the planner's enable_* and cost settings …)"
        )
        if node is None:
            self._at_start(ScopeCode.SETTING_NOT_ALLOWED, message)
        else:
            self._at_node(ScopeCode.SETTING_NOT_ALLOWED, message, node)

    def _command(self, tree: exp.Command) -> bool:  # noqa: PLR0911 - one branch per command
        """Statements sqlglot keeps as raw commands: decided by their leading words."""
        words = self._rest_words()
        first = words[0] if words else ""
        second = words[1] if len(words) > 1 else ""
        if first in ("SET", "RESET"):
            if second in ("CONSTRAINTS", "TRANSACTION") or (first == "SET" and second == "TIME"):
                return True  # deferred constraints, isolation, time zone: this session only
            if second == "ROLE" or (second == "SESSION" and "AUTHORIZATION" in words[2:3]):
                return True  # SET ROLE / SESSION AUTHORIZATION: the guard's role_change refuses it
            if second in ("SESSION", "LOCAL") and len(words) > 2:
                second = f"{second} {words[2]}"  # SET SESSION CHARACTERISTICS … and the like
            self._setting(second.lower(), None, verb=first)
            return True
        if first == "REFRESH":
            return self._refresh()
        if first in ("CREATE", "ALTER", "DROP"):
            kind_words = [w for w in words[1:] if w not in _CREATE_MODIFIERS]
            kind = kind_words[0] if kind_words else ""
            privileged = sorted(set(words[1:]) & _PRIVILEGE_WORDS)
            if kind in _ROLE_WORDS:
                self._at_start(ScopeCode.PRIVILEGE_CHANGE, f"{first} {kind} manages database roles")
            elif privileged or kind == "OWNED":
                word = (privileged or ["OWNED"])[0]
                detail = f" … {word}" if word != kind else ""
                self._at_start(
                    ScopeCode.PRIVILEGE_CHANGE,
                    f"{first} {kind}{detail} changes ownership, privileges or row-level security; "
                    "a pipeline step never does",
                )
            elif kind in ("TABLE", "VIEW", "INDEX", "MATERIALIZED"):
                self._at_start(
                    ScopeCode.STATEMENT_NOT_ALLOWED,
                    f"this form of {first} {kind} is not one a pipeline SQL step may run (allowed: create, "
                    "drop, comment, add/drop/alter/rename columns and constraints, rename to a target)",
                )
            else:
                self._at_start(ScopeCode.OBJECT_NOT_ALLOWED, self._object_message(first, kind))
            return True
        if first in ("VACUUM", "CLUSTER", "REINDEX"):
            self._at_start(
                ScopeCode.STATEMENT_NOT_ALLOWED,
                f"{first} is not run by pipeline steps (it rewrites or locks tables; VACUUM cannot run "
                "inside the step's transaction)",
            )
            return True
        return False

    def _refresh(self) -> bool:
        """``REFRESH MATERIALIZED VIEW [CONCURRENTLY] schema.name [WITH [NO] DATA]``."""
        tokens = self._rest_tokens()
        words = [t.text.upper() for t in tokens]
        index = 1
        if words[index : index + 2] == ["MATERIALIZED", "VIEW"]:
            index += 2
        else:
            return False
        if index < len(words) and words[index] == "CONCURRENTLY":
            index += 1
        name = tokens[index:]
        if len(name) >= 3 and name[1].token_type == TokenType.DOT:
            table = exp.Table(this=self._tokenident(name[2]), db=self._tokenident(name[0]))
        elif name:
            table = exp.Table(this=self._tokenident(name[0]))
        else:
            return False
        table.meta["start"] = name[0].start
        self._target(table, "REFRESH MATERIALIZED VIEW")
        return True

    @staticmethod
    def _tokenident(token: Token) -> exp.Identifier:
        quoted = token.token_type == TokenType.IDENTIFIER
        return exp.to_identifier(token.text, quoted=quoted)
