"""The PostgreSQL session store's SQL (ipwb.deploy.session_store) on a real server.

The Odoo wrapper (addons/ipwb_session_db) is exercised end to end by
tests/integration/test_deploy_several_servers.py."""

from __future__ import annotations

import base64
import doctest
import os
import threading
from collections.abc import Iterator

import psycopg2
import pytest

from ipwb.deploy import attachments
from ipwb.deploy import session_store as store
from ipwb.errors import ConfigurationError


def _key() -> str:
    return base64.urlsafe_b64encode(os.urandom(63)).decode()


@pytest.fixture
def conn(scratch_db: str) -> Iterator[psycopg2.extensions.connection]:
    connection = psycopg2.connect(scratch_db)
    with connection, connection.cursor() as cur:
        store.ensure_table(cur)
    try:
        yield connection
    finally:
        connection.close()


def _age(conn: psycopg2.extensions.connection, sid: str, seconds: int) -> None:
    with conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE ipwb_http_session SET updated_at = now() - make_interval(secs => %s) WHERE sid = %s",
            (seconds, sid),
        )


def test_save_load_overwrite_and_delete(conn: psycopg2.extensions.connection) -> None:
    sid = _key()
    with conn, conn.cursor() as cur:
        assert store.load(cur, sid, 3600) is None
        store.save(cur, sid, {"uid": 2, "context": {"lang": "en_US"}})
        store.save(cur, sid, {"uid": 2, "context": {"lang": "fil_PH"}})
        assert store.load(cur, sid, 3600) == {"uid": 2, "context": {"lang": "fil_PH"}}
        assert store.count(cur) == 1
        assert store.delete(cur, [sid, "not-a-key"]) == 1
        assert store.load(cur, sid, 3600) is None


def test_rotation_replaces_the_key_atomically(conn: psycopg2.extensions.connection) -> None:
    old, new = _key(), _key()
    with conn, conn.cursor() as cur:
        store.save(cur, old, {"uid": None})
        store.rotate(cur, old, new, {"uid": 7})
        assert store.load(cur, old, 3600) is None
        assert store.load(cur, new, 3600) == {"uid": 7}
    with pytest.raises(ValueError, match="invalid session key"), conn, conn.cursor() as cur:
        store.rotate(cur, new, "short", {"uid": 7})
    with conn, conn.cursor() as cur:  # the failed rotation rolled back: the session survives
        assert store.load(cur, new, 3600) == {"uid": 7}


def test_expired_session_is_refused_then_collected(conn: psycopg2.extensions.connection) -> None:
    live, idle = _key(), _key()
    with conn, conn.cursor() as cur:
        store.save(cur, live, {"uid": 1})
        store.save(cur, idle, {"uid": 2})
    _age(conn, idle, 7200)
    with conn, conn.cursor() as cur:
        assert store.load(cur, idle, 3600) is None, "an idle session is refused before the GC runs"
        assert store.load(cur, idle, 10800) == {"uid": 2}, "a longer lifetime keeps it"
        assert store.vacuum(cur, 3600) == 1
        assert store.load(cur, idle, 10800) is None
        assert store.load(cur, live, 3600) == {"uid": 1}


@pytest.mark.parametrize(
    "bad",
    ["", "x" * 83, "x" * 85, "../" + "a" * 81, "a" * 83 + "%", "a" * 83 + "\n", "' OR 1=1 --" + "a" * 73],
)
def test_bad_keys_are_refused(conn: psycopg2.extensions.connection, bad: str) -> None:
    assert not store.is_valid_key(bad)
    with conn, conn.cursor() as cur:
        assert store.load(cur, bad, 3600) is None
        assert store.delete(cur, [bad]) == 0
        with pytest.raises(ValueError, match="invalid session key") as raised:
            store.save(cur, bad, {"uid": 1})
        assert bad not in str(raised.value) or bad == "", "the refused key is not echoed"
    with conn, conn.cursor() as cur:
        assert store.count(cur) == 0


def test_revocation_by_identifier_needs_a_real_prefix(conn: psycopg2.extensions.connection) -> None:
    # keys sharing their first characters, one with "_" where a LIKE wildcard would match
    first = "ab_" + _key()[3:]
    second = "abX" + first[3:]
    with conn, conn.cursor() as cur:
        store.save(cur, first, {"uid": 1})
        store.save(cur, second, {"uid": 1})
        assert store.delete_by_identifiers(cur, ["ab", "a" * 41, "%" * 42]) == 0
        assert store.delete_by_identifiers(cur, [first[:42]]) == 1
        assert store.load(cur, first, 3600) is None
        assert store.load(cur, second, 3600) == {"uid": 1}


def test_servers_creating_the_table_concurrently(scratch_db: str) -> None:
    errors: list[BaseException] = []

    def create() -> None:
        try:
            with psycopg2.connect(scratch_db) as connection, connection.cursor() as cur:
                store.ensure_table(cur)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_settings_are_validated() -> None:
    assert store.parse_store("") == "file"
    assert attachments.parse_location("db") == "db"
    with pytest.raises(ConfigurationError, match="ipwb_session_store"):
        store.parse_store("files")
    with pytest.raises(ConfigurationError, match="IPWB_ATTACHMENT_LOCATION"):
        attachments.parse_location("s3://bucket")


@pytest.mark.parametrize("module", [store, attachments])
def test_doctests(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted > 0 and result.failed == 0
