"""Which PostgreSQL functions a user statement may call.

Two lists, kept as data so a reviewer can read them in one place:

* :data:`DENIED` — functions refused whatever the mode, grouped by the reason code the
  classifier reports. They reach outside the statement: the server's file system,
  other databases (dblink), other sessions (signals), server configuration, or they run
  SQL text given as a string (so the classifier could not see what runs).
* :data:`STRICT_ALLOWED` — in *strict* mode, the only functions sqlglot does not model
  itself that may be called. Functions sqlglot models as typed nodes (``SUM``, ``LOWER``,
  ``DATE_TRUNC``, …) are built-in computations and are allowed unless denied.

``pg_sleep``/``pg_sleep_for``/``pg_sleep_until`` are deliberately *not* denied: the
statement timeout bounds them (and the timeout tests rely on them); strict mode refuses
them because they are not in the allow-list.
"""

from __future__ import annotations

from ipwb.sql.pglex import fold
from ipwb.sql.reasons import ReasonCode

#: reason code -> exact function names (lower case)
DENIED: dict[ReasonCode, frozenset[str]] = {
    ReasonCode.SERVER_FILE_ACCESS: frozenset(
        {
            "pg_read_file",
            "pg_read_binary_file",
            "pg_stat_file",
            "pg_ls_dir",
            "pg_ls_logdir",
            "pg_ls_waldir",
            "pg_ls_tmpdir",
            "pg_ls_archive_statusdir",
            "pg_ls_logicalmapdir",
            "pg_ls_logicalsnapdir",
            "pg_ls_replslotdir",
            "pg_current_logfile",
            "lo_import",
            "lo_export",
            # adminpack
            "pg_file_write",
            "pg_file_rename",
            "pg_file_unlink",
            "pg_file_sync",
            "pg_logdir_ls",
            "pg_file_read",
        }
    ),
    ReasonCode.REMOTE_ACCESS: frozenset({"postgres_fdw_get_connections"}),
    ReasonCode.CONFIG_CHANGE: frozenset(
        {"set_config", "pg_reload_conf", "pg_rotate_logfile", "pg_rotate_logfile_old"}
    ),
    ReasonCode.BACKEND_SIGNAL: frozenset({"pg_terminate_backend", "pg_cancel_backend", "pg_signal_backend"}),
    ReasonCode.DYNAMIC_SQL: frozenset(
        {
            "query_to_xml",
            "query_to_xmlschema",
            "query_to_xml_and_xmlschema",
            "cursor_to_xml",
            "cursor_to_xmlschema",
            "ts_stat",
            "ts_rewrite",
            "database_to_xml",
            "database_to_xmlschema",
            "database_to_xml_and_xmlschema",
        }
    ),
    ReasonCode.ADMIN_FUNCTION: frozenset(
        {
            "pg_switch_wal",
            "pg_create_restore_point",
            "pg_backup_start",
            "pg_backup_stop",
            "pg_start_backup",
            "pg_stop_backup",
            "pg_promote",
            "pg_wal_replay_pause",
            "pg_wal_replay_resume",
            "pg_create_physical_replication_slot",
            "pg_create_logical_replication_slot",
            "pg_drop_replication_slot",
            "pg_copy_physical_replication_slot",
            "pg_copy_logical_replication_slot",
            "pg_replication_slot_advance",
            "pg_logical_slot_get_changes",
            "pg_logical_slot_get_binary_changes",
            "pg_logical_slot_peek_changes",
            "pg_logical_slot_peek_binary_changes",
            "pg_logical_emit_message",
            "pg_import_system_collations",
            "pg_log_backend_memory_contexts",
            "pg_notify",
            "pg_current_xact_id",
            "txid_current",
            "pg_export_snapshot",
            "pg_stat_statements_reset",
            "pg_prewarm",
            "pg_nextoid",
            "pg_truncate_visibility_map",
        }
    ),
    ReasonCode.SEQUENCE_WRITE: frozenset({"nextval", "setval"}),
    ReasonCode.LARGE_OBJECT_WRITE: frozenset(
        {
            "lo_create",
            "lo_creat",
            "lo_unlink",
            "lo_put",
            "lo_from_bytea",
            "lo_open",
            "lowrite",
            "lo_truncate",
            "lo_truncate64",
        }
    ),
}

#: reason code -> name prefixes (whole families: dblink_*, pg_advisory_*, …)
DENIED_PREFIXES: dict[ReasonCode, tuple[str, ...]] = {
    ReasonCode.REMOTE_ACCESS: ("dblink", "postgres_fdw"),
    ReasonCode.ADMIN_FUNCTION: ("pg_stat_reset", "pg_replication_origin"),
    ReasonCode.ADVISORY_LOCK: ("pg_advisory", "pg_try_advisory"),
}

_STRICT_ALLOWED_NAMES = """
    abs acos age array_agg array_append array_cat array_length array_lower array_position
    array_positions array_prepend array_remove array_replace array_to_json array_to_string
    array_upper ascii asin atan atan2 avg bit_and bit_length bit_or bool_and bool_or btrim
    cardinality cbrt ceil ceiling char_length character_length chr clock_timestamp coalesce
    col_description concat concat_ws corr cos count covar_pop covar_samp cume_dist
    current_database current_date current_schema current_schemas current_setting
    current_time current_timestamp current_user date_bin date_part date_trunc decode degrees
    dense_rank div encode every exp extract first_value floor format format_type
    gen_random_uuid generate_series generate_subscripts greatest has_column_privilege
    has_schema_privilege has_table_privilege initcap isfinite json_agg json_array_elements
    json_array_elements_text json_array_length json_build_array json_build_object json_each
    json_each_text json_extract_path json_extract_path_text json_object json_object_agg
    json_object_keys json_populate_record json_strip_nulls json_typeof jsonb_agg
    jsonb_array_elements jsonb_array_elements_text jsonb_array_length jsonb_build_array
    jsonb_build_object jsonb_each jsonb_each_text jsonb_extract_path jsonb_extract_path_text
    jsonb_insert jsonb_object jsonb_object_agg jsonb_object_keys jsonb_path_exists
    jsonb_path_match jsonb_path_query jsonb_path_query_array jsonb_path_query_first
    jsonb_populate_record jsonb_pretty jsonb_set jsonb_strip_nulls jsonb_typeof
    justify_days justify_hours justify_interval lag last_value lead least left length
    ln localtime localtimestamp log log10 lower lpad ltrim make_date make_interval
    make_time make_timestamp make_timestamptz max md5 min mod mode now nth_value ntile
    nullif num_nonnulls num_nulls obj_description octet_length overlay percent_rank
    percentile_cont percentile_disc pg_get_constraintdef pg_get_expr pg_get_indexdef
    pg_get_viewdef pg_relation_size pg_size_pretty pg_table_size pg_total_relation_size
    pg_indexes_size pg_typeof pi position power quote_ident quote_literal quote_nullable
    radians random rank regexp_count regexp_instr regexp_like regexp_match regexp_matches
    regexp_replace regexp_split_to_array regexp_split_to_table regexp_substr regr_avgx
    regr_avgy regr_count regr_intercept regr_r2 regr_slope regr_sxx regr_sxy regr_syy
    repeat replace reverse right round row_number row_to_json rpad rtrim scale sha224
    sha256 sha384 sha512 sign similarity sin split_part sqrt starts_with statement_timestamp
    stddev stddev_pop stddev_samp string_agg string_to_array strpos substr substring sum
    tan timeofday to_char to_date to_hex to_json to_jsonb to_number to_timestamp
    transaction_timestamp translate trim trunc unaccent unnest upper var_pop var_samp
    variance version width_bucket word_similarity
"""
STRICT_ALLOWED: frozenset[str] = frozenset(_STRICT_ALLOWED_NAMES.split())

#: schemas whose functions strict mode accepts when a call is schema-qualified
STRICT_SCHEMAS: frozenset[str] = frozenset({"pg_catalog"})


def denial(name: str) -> ReasonCode | None:
    """The reason code refusing a call to function ``name``, or ``None``.

    ``name`` is the canonical name (:mod:`ipwb.sql.canonical`: PostgreSQL has already
    folded unquoted names). The comparison also ignores ASCII case, which PostgreSQL
    does not do for a quoted name: ``"SET_CONFIG"()`` is not ``set_config()`` there, but
    no query needs such a name and refusing it costs nothing. In whatever schema the
    call is qualified with, a denied name is refused.

    >>> denial("PG_READ_FILE")
    <ReasonCode.SERVER_FILE_ACCESS: 'server_file_access'>
    >>> denial("dblink_exec").value
    'remote_access'
    >>> denial("lower") is None
    True
    """
    lowered = fold(name)
    for code, names in DENIED.items():
        if lowered in names:
            return code
    for code, prefixes in DENIED_PREFIXES.items():
        if lowered.startswith(prefixes):
            return code
    return None
