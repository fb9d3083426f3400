# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models, tools
from odoo.exceptions import AccessError
from odoo.tools import SQL
from odoo.tools.sql import create_index, make_index_name

from ..catalog_cache import ensure_change_log
from ..catalog_search import catalog_search
from .ipwb_schema import LAYERS

KINDS = [
    ("table", "Table"),
    ("partitioned_table", "Partitioned Table"),
    ("view", "View"),
    ("materialized_view", "Materialized View"),
    ("foreign_table", "Foreign Table"),
]

#: fields only the scanner writes (they mirror the warehouse; ipwb.warehouse.scan.TABLE_FIELDS),
#: and usage_count, derived from query-history lineage (see IpwbTable._refresh_usage_count)
SCANNED_TABLE_FIELDS = frozenset(
    {
        "usage_count",
        "connection_id",
        "schema_id",
        "schema_name",
        "name",
        "oid",
        "kind",
        "comment",
        "row_count",
        "row_count_known",
        "total_bytes",
        "view_definition",
        "active",
    }
)
#: governance fields: Architects (and administrators) only
#: fields the restricted-table lookup (``_restricted_rows``) reads
RESTRICTION_FIELDS = frozenset({"restricted", "team_id", "connection_id", "schema_name", "name"})
GOVERNANCE_TABLE_FIELDS = frozenset(
    {"owner_id", "team_id", "domain", "layer", "restricted", "slo_freshness_hours", "slo_completeness_pct"}
)
#: documentation fields: BI Engineers, Data Engineers (and above)
DOCUMENTATION_FIELDS = frozenset({"description", "tag_ids"})
#: query-history lineage older than this does not count as usage
USAGE_WINDOW_DAYS = 90


def check_field_groups(records, vals, scanned, governance):
    """Field-level write rules shared by tables and columns (superuser/scanner exempt)."""
    env = records.env
    if env.su:
        return
    fields_ = set(vals)
    if fields_ & scanned:
        raise AccessError(
            env._(
                "%(fields)s mirror the warehouse and are only changed by a catalog scan.",
                fields=", ".join(sorted(fields_ & scanned)),
            )
        )
    if fields_ & governance and not env.user.has_group("ipwb_catalog.group_ipwb_architect"):
        raise AccessError(
            env._(
                "Only Architects may change owners, teams, layers, SLOs and restrictions (%(fields)s).",
                fields=", ".join(sorted(fields_ & governance)),
            )
        )
    editors = (
        "ipwb_catalog.group_ipwb_bi_engineer",
        "ipwb_catalog.group_ipwb_data_engineer",
        "ipwb_catalog.group_ipwb_architect",
    )
    if fields_ - governance and not any(env.user.has_group(g) for g in editors):
        raise AccessError(env._("Only BI Engineers and Data Engineers may document catalog assets."))


def create_active_trigram_indexes(env, table, columns):
    """Trigram (GIN) indexes of the catalog search over active rows only.

    A warehouse where tables come and go leaves many archived tables and columns behind; in
    a full index they stay candidates of the search's LIMITed subqueries, which must then
    read past them (issue #20: p95 157 ms instead of ~23 ms after 100k tables were dropped).
    Every search subquery says ``active``, so the planner proves these partial indexes apply.
    """
    for column in columns:
        # replaces the full index Odoo made for index="trigram" (catalog 18.0.1.1.0 and older)
        env.cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(make_index_name(table, column))))
        if env.registry.has_trigram:
            create_index(
                env.cr,
                f"{table}_{column}_active_trgm_index",
                table,
                [f'"{column}" gin_trgm_ops'],
                method="gin",
                where='"active"',
            )


class IpwbTable(models.Model):
    _name = "ipwb.table"
    _description = "Warehouse Table"
    _inherit = ["mail.thread"]
    _order = "schema_name, name, id"
    _rec_name = "full_name"

    name = fields.Char(required=True, readonly=True, trim=False, tracking=True)
    schema_name = fields.Char(string="Schema", required=True, readonly=True, index=True, trim=False)
    full_name = fields.Char(compute="_compute_full_name", store=True)
    connection_id = fields.Many2one(
        "ipwb.connection", string="Warehouse", required=True, readonly=True, ondelete="cascade", index=True
    )
    schema_id = fields.Many2one(
        "ipwb.schema", string="Schema Record", readonly=True, ondelete="cascade", index=True
    )
    active = fields.Boolean(default=True, readonly=True, tracking=True, help="Archived when dropped.")
    kind = fields.Selection(KINDS, default="table", required=True, readonly=True)
    # --- mirrored from the warehouse by the scanner -----------------------------------------
    oid = fields.Char(string="OID", readonly=True, help="pg_class oid, as text (oids exceed int4).")
    comment = fields.Text(string="Database Comment", readonly=True)
    row_count = fields.Float(string="Rows (estimate)", digits=(20, 0), readonly=True)
    row_count_known = fields.Boolean(readonly=True, help="False until the table was analysed.")
    total_bytes = fields.Float(string="Size (bytes)", digits=(20, 0), readonly=True)
    size_display = fields.Char(string="Size", compute="_compute_size_display")
    view_definition = fields.Text(readonly=True)
    usage_count = fields.Integer(
        string="Queries (90 days)",
        readonly=True,
        default=0,
        help="Distinct SQL-editor queries that read this table in the last 90 days (query-history "
        "lineage); boosts the table in the catalog search.",
    )
    last_scanned = fields.Datetime(related="connection_id.last_scan_date")
    column_ids = fields.One2many("ipwb.column", "table_id", string="Columns")
    column_count = fields.Integer(compute="_compute_column_count")
    # --- governance (Architects) -----------------------------------------------------------
    layer = fields.Selection(
        LAYERS, index=True, tracking=True, help="Derived from the schema name; editable."
    )
    domain = fields.Char(index=True, tracking=True, help="Business domain, e.g. finance, sales.")
    owner_id = fields.Many2one("res.users", string="Owner", index=True, tracking=True)
    team_id = fields.Many2one(
        "res.groups",
        string="Owner Team",
        tracking=True,
        help="The domain team (a user group). A restricted table is visible only to its members "
        "and to Workbench Administrators.",
    )
    restricted = fields.Boolean(tracking=True)
    readers_display = fields.Char(
        string="Who May Read", compute="_compute_readers_display", help="Who may query this table."
    )
    enforcement_display = fields.Char(string="Enforcement", compute="_compute_readers_display")
    slo_freshness_hours = fields.Float(string="Freshness SLO (h)", tracking=True)
    slo_completeness_pct = fields.Float(string="Completeness SLO (%)", tracking=True)
    can_govern = fields.Boolean(compute="_compute_can_govern", help="The current user is an Architect.")
    # --- documentation (BI / Data Engineers) -----------------------------------------------
    description = fields.Text(help="Written by people; the database comment is separate.")
    tag_ids = fields.Many2many("ipwb.tag", string="Tags")

    _sql_constraints = [
        (
            "slo_completeness_range",
            "CHECK(slo_completeness_pct >= 0 AND slo_completeness_pct <= 100)",
            "The completeness SLO is a percentage between 0 and 100.",
        ),
        (
            "slo_freshness_positive",
            "CHECK(slo_freshness_hours >= 0)",
            "The freshness SLO cannot be negative.",
        ),
    ]

    def init(self):
        create_active_trigram_indexes(self.env, self._table, ("name", "full_name", "comment", "description"))
        ensure_change_log(self.env.cr)
        # the catalog search lists an empty query by name (ORDER BY full_name LIMIT): an ordered
        # index next to the trigram one (GIN cannot order)
        # (active tables only, like the trigram indexes: archived ones are never listed)
        self.env.cr.execute(SQL("DROP INDEX IF EXISTS ipwb_table_full_name_btree_index"))
        create_index(
            self.env.cr, "ipwb_table_full_name_active_index", self._table, ["full_name"], where='"active"'
        )
        # the record-rule subselect every search subquery repeats (``t.id IN visible``) reads the
        # active tables only: without this, each one scanned every archived table too (churn)
        create_index(self.env.cr, "ipwb_table_active_id_index", self._table, ["id"], where='"active"')
        # boosted tables (gold/platinum, owned, used) are found by a BitmapOr of layer, owner_id
        # and this partial index
        create_index(
            self.env.cr, "ipwb_table_used_index", self._table, ["usage_count"], where="usage_count > 0"
        )

    @api.depends("schema_name", "name")
    def _compute_full_name(self):
        for table in self:
            table.full_name = f"{table.schema_name}.{table.name}" if table.schema_name else table.name

    @api.depends("restricted", "team_id", "connection_id")
    def _compute_readers_display(self):
        for table in self:
            if not table.restricted:
                table.readers_display = self.env._("Every Workbench User")
            elif table.team_id:
                table.readers_display = self.env._(
                    "Members of %s and Workbench Administrators", table.team_id.sudo().display_name
                )
            else:
                table.readers_display = self.env._("Workbench Administrators only")
            connection = table.connection_id.sudo()
            if not connection.grants_enforced:
                table.enforcement_display = self.env._(
                    "Catalog only: this connection has no grants role, users' SQL runs as one shared "
                    "reader role that can read it"
                )
            elif connection.grants_synced_at:
                table.enforcement_display = self.env._(
                    "Enforced by the warehouse (grants synced %s)",
                    fields.Datetime.to_string(connection.grants_synced_at),
                )
            else:
                table.enforcement_display = self.env._(
                    "Enforced by the warehouse once grants are first synced"
                )

    @api.depends_context("uid")
    def _compute_can_govern(self):
        architect = self.env.user.has_group("ipwb_catalog.group_ipwb_architect")
        self.can_govern = architect

    @api.depends("total_bytes")
    def _compute_size_display(self):
        for table in self:
            size, unit = float(table.total_bytes or 0), "B"
            for unit in ("B", "kB", "MB", "GB", "TB"):
                if size < 1024 or unit == "TB":
                    break
                size /= 1024
            table.size_display = f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"

    @api.depends("column_ids")
    def _compute_column_count(self):
        counts = dict(
            self.env["ipwb.column"]._read_group([("table_id", "in", self.ids)], ["table_id"], ["__count"])
        )
        for table in self:
            table.column_count = counts.get(table, 0)

    def write(self, vals):
        check_field_groups(self, vals, SCANNED_TABLE_FIELDS, GOVERNANCE_TABLE_FIELDS)
        result = super().write(vals)
        if "active" in vals and not vals["active"]:
            self._archive_columns()
        if RESTRICTION_FIELDS & set(vals) and (
            {"restricted", "team_id"} & set(vals) or any(self.mapped("restricted"))
        ):
            self.env.registry.clear_cache()
        if {"restricted", "team_id"} & set(vals):
            # the warehouse's grants follow once this change commits
            self.connection_id._schedule_grants_sync()
        return result

    def _archive_columns(self):
        """Archive the columns of archived tables, so they leave the search's indexes.

        One UPDATE: a scan that archives 100k tables would otherwise load and write a million
        column records through the ORM. A table that comes back is matched by the next scan,
        which reactivates the columns still present (``diff_snapshot`` matches archived
        columns by name) and leaves those dropped meanwhile archived.
        """
        Column = self.env["ipwb.column"]
        Column.flush_model(["active", "table_id"])
        self.env.cr.execute(
            SQL(
                """UPDATE ipwb_column
                      SET active = FALSE, write_uid = %s, write_date = now() at time zone 'UTC'
                    WHERE active AND table_id = ANY(%s)""",
                self.env.uid,
                list(self.ids),
            )
        )
        Column.invalidate_model(["active", "write_uid", "write_date"])

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(self.env._("Catalog tables are created by scanning a warehouse."))
        if any(vals.get("restricted") for vals in vals_list):
            self.env.registry.clear_cache()
        return super().create(vals_list)

    def unlink(self):
        if any(self.sudo().mapped("restricted")):
            self.env.registry.clear_cache()
        return super().unlink()

    @api.model
    @tools.ormcache("connection_id")
    def _restricted_rows(self, connection_id):
        """``((schema, name, team id or 0), …)`` of a connection's restricted tables,
        archived ones included: read on every SQL run (the user's login role), so cached per
        worker. Cleared by each change it depends on (a table's restriction, team, name or
        connection; a restricted table created or deleted; a team deleted, see res.groups)
        and, through the registry's signalling, in every other worker."""
        tables = (
            self.sudo()
            .with_context(active_test=False)
            .search([("connection_id", "=", connection_id), ("restricted", "=", True)], order="id")
        )
        return tuple((t.schema_name, t.name, t.team_id.id or 0) for t in tables)

    def action_open_columns(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Columns of %s", self.full_name),
            "res_model": "ipwb.column",
            "view_mode": "list,form",
            "domain": [("table_id", "=", self.id)],
            "context": {"default_table_id": self.id},
        }

    def action_open_lineage(self):
        self.ensure_one()
        return {
            "type": "ir.actions.client",
            "tag": "ipwb_catalog.lineage_graph",
            "name": self.env._("Lineage of %s", self.full_name),
            "params": {"table_id": self.id},
        }

    # --- usage ---------------------------------------------------------------------------------
    @api.model
    def _refresh_usage_count(self, table_ids=None):
        """Recount ``usage_count`` of ``table_ids`` (every table when None), set-based in SQL.

        Usage = distinct query-history references (``source_ref``) among the lineage edges with
        ``source = 'query_history'`` read from the table (``source_table_id``) and recorded in
        the last :data:`USAGE_WINDOW_DAYS` days. Only changed rows are written. Called after
        query-history lineage is recorded and by the daily scan cron (which ages usage out).
        """
        if table_ids is not None and not table_ids:
            return
        self.env["ipwb.lineage.edge"].flush_model(["source", "source_ref", "source_table_id"])
        only = SQL("AND t.id IN %s", tuple(table_ids)) if table_ids is not None else SQL()
        self.env.cr.execute(
            SQL(
                """WITH used AS (
                       SELECT e.source_table_id AS id, count(DISTINCT e.source_ref) AS n
                         FROM ipwb_lineage_edge e
                        WHERE e.source = 'query_history' AND e.source_table_id IS NOT NULL
                          AND e.create_date >= (now() AT TIME ZONE 'UTC') - make_interval(days => %(days)s)
                        GROUP BY e.source_table_id
                   ), fresh AS (
                       SELECT t.id, COALESCE(used.n, 0) AS n
                         FROM ipwb_table t LEFT JOIN used ON used.id = t.id
                        WHERE TRUE %(only)s
                   )
                   UPDATE ipwb_table t SET usage_count = fresh.n
                     FROM fresh
                    WHERE t.id = fresh.id AND t.usage_count IS DISTINCT FROM fresh.n""",
                days=USAGE_WINDOW_DAYS,
                only=only,
            )
        )
        self.invalidate_model(["usage_count"])

    # --- search -------------------------------------------------------------------------------
    @api.model
    def search_catalog(self, query="", facets=None, limit=20):
        """Search tables and columns by name, description, comment and tag; see :mod:`.catalog_search`.

        Ranking tiers, 100 apart: exact 1000 > column 900 > prefix 800 > column 700 > substring 600
        > column 500 > fuzzy 300..399 > column fuzzy 200..299 > text 100 / column text 90. Boosts
        (at most 59 together) reorder hits inside a tier only: +20 gold/platinum, +20 owned by the
        user, and the usage boost ``min(19, ceil(log2(1 + usage_count)))`` (``usage_count``:
        distinct query-history queries reading the table in the last 90 days; see
        :meth:`_refresh_usage_count`).
        """
        return catalog_search(self, query, facets or {}, limit)
