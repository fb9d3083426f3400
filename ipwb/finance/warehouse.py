"""The finance domain's warehouse side: bronze JSON rows, the silver/gold build, fingerprints.

Bronze keeps every *version* of every extracted Odoo record as a ``jsonb`` row:
``(source_id, version)`` is the key, ``version`` a hash of the payload (and of the parent
version for move lines), ``load_seq`` orders the loads. A record that changes gets a new
row; a re-run that brings an unchanged record adds nothing; a record that comes back to an
earlier state gets that version's ``load_seq`` bumped, so "the latest version" is always the
row with the highest ``load_seq``. A record that left the scope (an unposted or cancelled
move, a deleted record) is written as a *tombstone* (``is_deleted``) so silver drops it.

Watermarks (``fin_watermark``) hold the last ``(write_date, id)`` seen per entity and
``read_from``: the start of the oldest Odoo transaction open when the last extraction read
(less a margin), from which the next one reads *inclusive*; versions make the overlap free.

Silver and gold are rebuilt from bronze by :mod:`ipwb.finance.marts`. Every name a caller
can influence is checked against :data:`IDENTIFIER`.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras
from psycopg2 import sql

from ipwb.errors import ConfigurationError
from ipwb.finance.versions import canonical_json, row_version

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,40}$")

#: extracted Odoo models, as bronze entity names (table ``odoo_<entity>``)
ENTITIES: tuple[str, ...] = (
    "res_company",
    "res_partner",
    "account_tax",
    "account_move",
    "account_move_line",
    "account_payment",
    "hr_expense",
)

SILVER_TABLES: tuple[str, ...] = (
    "fin_companies",
    "fin_partners",
    "fin_taxes",
    "fin_invoices",
    "fin_invoice_lines",
    "fin_tax_amounts",
    "fin_tax_tag_amounts",
    "fin_payments",
    "fin_expenses",
)

GOLD_TABLES: tuple[str, ...] = (
    "fin_vat_2550m",
    "fin_vat_2550q",
    "fin_ewt_payee_atc",
    "fin_1601eq",
    "fin_qap",
    "fin_sawt",
    "fin_slsp_sales",
    "fin_slsp_purchases",
    "fin_expense_spend",
    "fin_filers",
    "fin_payees",
    "fin_atc",
    "fin_0619e",
)


#: gold table → (description, key columns): what the catalog and its not-null checks get
GOLD_DOCS: dict[str, tuple[str, tuple[str, ...]]] = {
    "fin_vat_2550m": (
        "Monthly VAT return (BIR 2550M) by return line.",
        ("company_id", "period_month", "line_code"),
    ),
    "fin_vat_2550q": (
        "Quarterly VAT return (BIR 2550Q) by return line.",
        ("company_id", "quarter", "line_code"),
    ),
    "fin_ewt_payee_atc": (
        "Expanded withholding on purchases by month, payee and ATC (1601-EQ, QAP, 2307 detail).",
        ("company_id", "period_month", "payee_tin", "atc"),
    ),
    "fin_1601eq": (
        "Quarterly remittance of creditable taxes withheld (BIR 1601-EQ) by ATC.",
        ("company_id", "quarter", "atc"),
    ),
    "fin_qap": ("Quarterly alphalist of payees (QAP).", ("company_id", "quarter", "payee_tin", "atc")),
    "fin_sawt": (
        "Summary alphalist of taxes withheld by customers (SAWT).",
        ("company_id", "quarter", "payor_tin", "atc"),
    ),
    "fin_slsp_sales": (
        "Summary list of sales (SLSP) by quarter and customer TIN.",
        ("company_id", "quarter", "customer_tin"),
    ),
    "fin_slsp_purchases": (
        "Summary list of purchases (SLSP) by quarter and supplier TIN.",
        ("company_id", "quarter", "supplier_tin"),
    ),
    "fin_expense_spend": (
        "Employee expense spend by month, employee, department and category.",
        ("company_id", "period_month", "employee_id", "category"),
    ),
    "fin_filers": ("Each company's BIR identity: registered name, TIN + branch, RDO code.", ("company_id",)),
    "fin_payees": ("Partners as BIR lists name them: TIN + branch, names, address.", ("partner_id",)),
    "fin_atc": ("Expanded withholding ATCs and their nature of payment.", ("atc", "tax_rate")),
    "fin_0619e": ("Monthly EWT remittance (BIR 0619-E) by ATC.", ("company_id", "period_month", "atc")),
}

#: views of the ``bi`` schema (the BI tool's contract) → the gold table each exposes
BI_VIEWS: dict[str, str] = {
    "vat_return_monthly": "fin_vat_2550m",
    "vat_return_quarterly": "fin_vat_2550q",
    "withholding_by_payee": "fin_ewt_payee_atc",
    "withholding_remittance_1601eq": "fin_1601eq",
    "withholding_alphalist_qap": "fin_qap",
    "withheld_by_customers_sawt": "fin_sawt",
    "summary_list_sales": "fin_slsp_sales",
    "summary_list_purchases": "fin_slsp_purchases",
    "expense_spend": "fin_expense_spend",
    "filers": "fin_filers",
    "payees": "fin_payees",
    "withholding_atc": "fin_atc",
    "withholding_remittance_0619e": "fin_0619e",
}


@dataclasses.dataclass(frozen=True)
class FinanceSchemas:
    """Warehouse schemas the domain writes to; ``suffix`` isolates a test or a sandbox.

    >>> FinanceSchemas(suffix="t1").gold
    'gold_t1'
    >>> FinanceSchemas().bronze
    'bronze'
    >>> FinanceSchemas(staging=True).gold, FinanceSchemas(staging=True).silver
    ('gold_stage', 'silver')

    ``staging`` names the schema where a pipeline builds gold before the reconciliation
    publishes it (:func:`ipwb.finance.marts.publish_gold`); the other layers are shared.
    """

    suffix: str = ""
    staging: bool = False

    def __post_init__(self) -> None:
        if self.suffix and not IDENTIFIER.match(self.suffix):
            raise ConfigurationError(
                f"Invalid schema suffix {self.suffix!r}: use lower-case letters, digits and _"
            )

    def _name(self, layer: str) -> str:
        return f"{layer}_{self.suffix}" if self.suffix else layer

    @property
    def bronze(self) -> str:
        return self._name("bronze")

    @property
    def silver(self) -> str:
        return self._name("silver")

    @property
    def gold(self) -> str:
        return self._name("gold") + ("_stage" if self.staging else "")

    @property
    def gold_stage(self) -> str:
        """Where gold is built before it is published."""
        return self._name("gold") + "_stage"

    def staged(self) -> FinanceSchemas:
        """The same schemas with gold replaced by its staging schema."""
        return dataclasses.replace(self, staging=True)

    @property
    def bi(self) -> str:
        return self._name("bi")

    def all(self) -> tuple[str, ...]:
        return (self.bronze, self.silver, self._name("gold"), self.bi, self.gold_stage)

    def identifiers(self) -> dict[str, sql.Composable]:
        return {
            "bronze": sql.Identifier(self.bronze),
            "silver": sql.Identifier(self.silver),
            "gold": sql.Identifier(self.gold),
            "bi": sql.Identifier(self.bi),
        }


@dataclasses.dataclass(frozen=True)
class SourceRow:
    """One extracted record: its Odoo id, ``write_date``, payload, and tombstone flag."""

    source_id: int
    write_date: datetime.datetime | None
    payload: Mapping[str, Any]
    deleted: bool = False
    #: version of the parent record (a move line's move), part of this row's version
    parent_version: str | None = None

    @property
    def version(self) -> str:
        return row_version(self.payload, self.deleted, self.parent_version)


@dataclasses.dataclass(frozen=True)
class Watermark:
    """Last ``(write_date, id)`` loaded; ``read_from``: where the next extraction reads from."""

    entity: str
    write_date: datetime.datetime | None = None
    last_id: int = 0
    read_from: datetime.datetime | None = None


def _check_entity(entity: str) -> None:
    if entity not in ENTITIES:
        raise ConfigurationError(f"Unknown finance entity {entity!r} (known: {', '.join(ENTITIES)})")


def _bronze_table(schemas: FinanceSchemas, entity: str) -> sql.Identifier:
    _check_entity(entity)
    return sql.Identifier(schemas.bronze, f"odoo_{entity}")


def _load_seq(schemas: FinanceSchemas) -> sql.Composable:
    # nextval() takes a regclass given as text; the schema name is a checked identifier.
    return sql.SQL("nextval({})").format(sql.Literal(f"{schemas.bronze}.fin_load_seq"))


def ensure_bronze(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, readers: Sequence[str] = ()
) -> None:
    """Create the domain's schemas, bronze tables and watermark table (idempotent).

    ``readers`` (e.g. the catalog's read-only role) may read bronze, silver and gold,
    including tables created later by the connected role.
    """
    with conn.cursor() as cur:
        for schema in schemas.all():
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        for reader in readers:
            for schema in (schemas.bronze, schemas.silver, schemas._name("gold"), schemas.gold_stage):
                names = {"schema": sql.Identifier(schema), "role": sql.Identifier(reader)}
                cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {schema} TO {role}").format(**names))
                cur.execute(
                    sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}").format(**names)
                )
                cur.execute(
                    sql.SQL(
                        "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {role}"
                    ).format(**names)
                )
        cur.execute(
            sql.SQL("CREATE SEQUENCE IF NOT EXISTS {}").format(sql.Identifier(schemas.bronze, "fin_load_seq"))
        )
        for entity in ENTITIES:
            table = _bronze_table(schemas, entity)
            cur.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {table} ("
                    " source_id bigint NOT NULL,"
                    " version text NOT NULL,"
                    " parent_version text,"
                    " source_write_date timestamp,"
                    " is_deleted boolean NOT NULL DEFAULT false,"
                    " payload jsonb NOT NULL,"
                    " load_seq bigint NOT NULL DEFAULT {seq},"
                    " loaded_at timestamptz NOT NULL DEFAULT now(),"
                    " PRIMARY KEY (source_id, version))"
                ).format(table=table, seq=_load_seq(schemas))
            )
            cur.execute(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (source_id, load_seq DESC)").format(
                    sql.Identifier(f"odoo_{entity}_latest"), table
                )
            )
            # what changed since the last silver build (ipwb.finance.silver)
            cur.execute(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (load_seq)").format(
                    sql.Identifier(f"odoo_{entity}_load_seq"), table
                )
            )
        # the lines of a move, for an incremental silver build
        cur.execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (((payload ->> 'move_id')::bigint))").format(
                sql.Identifier("odoo_account_move_line_move"), _bronze_table(schemas, "account_move_line")
            )
        )
        cur.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {0} ("
                " entity text PRIMARY KEY,"
                " last_write_date timestamp,"
                " last_id bigint NOT NULL DEFAULT 0,"
                " updated_at timestamptz NOT NULL DEFAULT now());"
                " ALTER TABLE {0} ADD COLUMN IF NOT EXISTS read_from timestamp"
            ).format(sql.Identifier(schemas.bronze, "fin_watermark"))
        )


def get_watermark(conn: psycopg2.extensions.connection, schemas: FinanceSchemas, entity: str) -> Watermark:
    _check_entity(entity)
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL("SELECT last_write_date, last_id, read_from FROM {} WHERE entity = %s").format(
                sql.Identifier(schemas.bronze, "fin_watermark")
            ),
            (entity,),
        )
        row = cur.fetchone()
    return Watermark(entity, row[0], int(row[1]), row[2]) if row else Watermark(entity)


def set_watermark(conn: psycopg2.extensions.connection, schemas: FinanceSchemas, mark: Watermark) -> None:
    """Advance an entity's watermark (never backwards: a stale run cannot rewind it)."""
    _check_entity(mark.entity)
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL(
                "INSERT INTO {t} AS w (entity, last_write_date, last_id) VALUES (%s, %s, %s)"
                " ON CONFLICT (entity) DO UPDATE SET last_write_date = excluded.last_write_date,"
                " last_id = excluded.last_id, updated_at = now()"
                " WHERE w.last_write_date IS NULL OR (excluded.last_write_date, excluded.last_id)"
                "      > (w.last_write_date, w.last_id)"
            ).format(t=sql.Identifier(schemas.bronze, "fin_watermark")),
            (mark.entity, mark.write_date, mark.last_id),
        )
        if mark.read_from is not None:  # moves on even when no record changed
            query = "UPDATE {} SET read_from = %s WHERE entity = %s AND (read_from IS NULL OR read_from < %s)"
            cur.execute(
                sql.SQL(query).format(sql.Identifier(schemas.bronze, "fin_watermark")),
                (mark.read_from, mark.entity, mark.read_from),
            )


def upsert_rows(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, entity: str, rows: Iterable[SourceRow]
) -> int:
    """Load rows into bronze; returns how many new versions were recorded.

    A row whose version is already the latest of its record is skipped (re-runs add
    nothing); an older version coming back becomes the latest again.
    """
    table = _bronze_table(schemas, entity)
    values = [
        (
            row.source_id,
            row.version,
            row.parent_version,
            row.write_date,
            row.deleted,
            canonical_json(row.payload),
        )
        for row in rows
    ]
    if not values:
        return 0
    with conn.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS fin_stage (source_id bigint, version text, parent_version text,"
            " source_write_date timestamp, is_deleted boolean, payload jsonb) ON COMMIT DROP"
        )
        cur.execute("TRUNCATE fin_stage")
        psycopg2.extras.execute_values(cur, "INSERT INTO fin_stage VALUES %s", values, page_size=1000)
        cur.execute(
            sql.SQL(
                "INSERT INTO {table}"
                " (source_id, version, parent_version, source_write_date, is_deleted, payload)"
                " SELECT DISTINCT ON (s.source_id) s.source_id, s.version, s.parent_version,"
                "        s.source_write_date, s.is_deleted, s.payload"
                " FROM fin_stage s"
                " LEFT JOIN LATERAL (SELECT t.version FROM {table} t WHERE t.source_id = s.source_id"
                "                    ORDER BY t.load_seq DESC LIMIT 1) cur ON true"
                " WHERE cur.version IS DISTINCT FROM s.version"
                " ORDER BY s.source_id"
                " ON CONFLICT (source_id, version) DO UPDATE SET load_seq = {seq}, loaded_at = now()"
            ).format(table=table, seq=_load_seq(schemas))
        )
        inserted = cur.rowcount
        cur.execute("TRUNCATE fin_stage")
    return int(inserted)


def live_rows_lack(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, entity: str, keys: Sequence[str]
) -> bool:
    """Whether some live latest row of ``entity`` lacks one of ``keys`` in its payload (extracted
    before the payload had it: the extraction then re-reads the entity in full)."""
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL(
                "SELECT 1 FROM (SELECT DISTINCT ON (source_id) is_deleted, payload FROM {}"
                " ORDER BY source_id, load_seq DESC) latest"
                " WHERE NOT is_deleted AND NOT payload ?& %s LIMIT 1"
            ).format(_bronze_table(schemas, entity)),
            (list(keys),),
        )
        return cur.fetchone() is not None


def live_source_ids(conn: psycopg2.extensions.connection, schemas: FinanceSchemas, entity: str) -> set[int]:
    """Ids whose latest bronze version is not a tombstone (to find records deleted in Odoo)."""
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL(
                "SELECT source_id FROM (SELECT DISTINCT ON (source_id) source_id, is_deleted FROM {}"
                " ORDER BY source_id, load_seq DESC) latest WHERE NOT is_deleted"
            ).format(_bronze_table(schemas, entity))
        )
        return {int(r[0]) for r in cur.fetchall()}


def latest_versions(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, entity: str, ids: Sequence[int]
) -> dict[int, str]:
    """Latest bronze version per source id, for the given ids."""
    if not ids:
        return {}
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL(
                "SELECT DISTINCT ON (source_id) source_id, version FROM {} WHERE source_id = ANY(%s)"
                " ORDER BY source_id, load_seq DESC"
            ).format(_bronze_table(schemas, entity)),
            (list(ids),),
        )
        return {int(r[0]): str(r[1]) for r in cur.fetchall()}


def drop_schemas(conn: psycopg2.extensions.connection, schemas: FinanceSchemas) -> None:
    """Drop a suffixed (test/sandbox) set of schemas; the default schemas are never dropped."""
    if not schemas.suffix:
        raise ConfigurationError("Refusing to drop the shared bronze/silver/gold schemas")
    with conn.cursor() as cur:
        for schema in schemas.all():
            cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
