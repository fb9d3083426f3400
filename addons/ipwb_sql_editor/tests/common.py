# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Shared fixtures: workbench users per group and known tables in the test warehouse.

The tables are created through the writer role of the server configuration (the
warehouse is a separate database, so they outlive each test's rollback; creation is
idempotent). ``warehouse_fingerprint`` hashes everything a hostile statement could
change, so a test can assert the warehouse is unchanged.
"""

import glob

from odoo.addons.ipwb_catalog.warehouse_grants import grants_config

from odoo.tests import new_test_user

from ipwb.warehouse.connection import connect

FIXTURE_SQL = """
CREATE TABLE IF NOT EXISTS gold.ipwb_test_accounts (
    id integer PRIMARY KEY, owner text NOT NULL, balance numeric(12, 2) NOT NULL, opened date
);
INSERT INTO gold.ipwb_test_accounts (id, owner, balance, opened)
SELECT g, 'owner ' || g, g * 1.25, DATE '2024-01-01' + g FROM generate_series(1, 120) AS g
ON CONFLICT (id) DO NOTHING;
INSERT INTO gold.ipwb_test_accounts VALUES (500, 'O''Brien', 7.00, NULL) ON CONFLICT (id) DO NOTHING;
CREATE TABLE IF NOT EXISTS gold.ipwb_test_sentinel (id integer PRIMARY KEY, token text NOT NULL);
INSERT INTO gold.ipwb_test_sentinel VALUES (1, 'sentinel') ON CONFLICT (id) DO NOTHING;
CREATE OR REPLACE FUNCTION gold.ipwb_test_evil() RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM gold.ipwb_test_sentinel;
    RETURN 1;
END $$;
"""

FINGERPRINT_SQL = """
SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
    SELECT 'acct:' || a::text AS x FROM gold.ipwb_test_accounts a
    UNION ALL SELECT 'sentinel:' || s::text FROM gold.ipwb_test_sentinel s
    UNION ALL SELECT concat_ws(':', 'rel', n.nspname, c.relname, c.relkind::text, c.relacl::text)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('public', 'bronze', 'silver', 'gold', 'platinum')
    UNION ALL SELECT 'role:' || rolname || ':' || rolsuper || ':' || coalesce(rolconfig::text, '')
        FROM pg_roles
    UNION ALL SELECT 'proc:' || p.oid::regprocedure::text
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname IN ('public', 'gold', 'silver')
) parts
"""


def writer_config(env):
    return env.ref("ipwb_catalog.connection_embedded_warehouse")._warehouse_writer_config()


def run_as_writer(env, sql, params=None):
    conn = connect(writer_config(env))
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


def ensure_fixture_tables(env):
    run_as_writer(env, FIXTURE_SQL)


def warehouse_fingerprint(env):
    """Fingerprint read as the grants role (the owner may not list roles: hardening)."""
    hostile_files = sorted(glob.glob("/tmp/ipwb_hostile_*"))
    config = grants_config(env.ref("ipwb_catalog.connection_embedded_warehouse")) or writer_config(env)
    conn = connect(config)
    try:
        with conn.cursor() as cur:
            cur.execute(FINGERPRINT_SQL)
            return cur.fetchone()[0], hostile_files
    finally:
        conn.close()


class SqlUsersMixin:
    """Creates one user per relevant group (call from setUpClass)."""

    @classmethod
    def _create_sql_users(cls):
        cls.connection = cls.env.ref("ipwb_catalog.connection_embedded_warehouse")
        cls.alice = new_test_user(cls.env, "ipwb_sql_alice", groups="ipwb_catalog.group_ipwb_user")
        cls.bob = new_test_user(cls.env, "ipwb_sql_bob", groups="ipwb_catalog.group_ipwb_user")
        cls.bianca = new_test_user(cls.env, "ipwb_sql_bianca", groups="ipwb_catalog.group_ipwb_bi_engineer")
        cls.dan = new_test_user(cls.env, "ipwb_sql_dan", groups="ipwb_catalog.group_ipwb_data_engineer")
        cls.erin = new_test_user(cls.env, "ipwb_sql_erin", groups="ipwb_catalog.group_ipwb_data_engineer")
        cls.outsider = new_test_user(cls.env, "ipwb_sql_outsider", groups="base.group_user")
        ensure_fixture_tables(cls.env)
        # the users' warehouse roles exist before any fingerprint is taken
        for user in (cls.alice, cls.bob, cls.bianca, cls.dan, cls.erin):
            cls.connection.with_user(user)._user_warehouse_config()
