"""Admins' SQL is parsed, not pattern-matched: exactly one SELECT passes, and anything that
writes, locks, reaches files or other connections, or hides a second statement is refused."""

from __future__ import annotations

import pytest

from data.readonly_sql import UnsafeSQL, _limited, validate_select


@pytest.mark.parametrize(("dialect", "sql"), [
    (None, "SELECT region, SUM(revenue) FROM sales GROUP BY region"),
    ("postgresql", "WITH recent AS (SELECT * FROM sales WHERE day > now() - interval '7 days') "
                   "SELECT region, count(*) FROM recent GROUP BY 1"),
    ("postgresql", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) "
                   "SELECT * FROM n"),
    ("postgresql", "SELECT amount::numeric, 'a;b' AS text, $$x$$ FROM orders WHERE note LIKE '%DELETE%'"),
    ("postgresql", "(SELECT 1) UNION (SELECT 2)"),
    ("postgresql", "SELECT pg_sleep(0)"),
    ("mysql", "SELECT `region`, DATE_FORMAT(`day`, '%Y-%m') FROM `sales`"),
    ("mariadb", "SELECT 1 /* a plain comment */ + 1"),
    ("sqlite", "SELECT strftime('%Y', day), sqlite_version() FROM sales"),
    ("duckdb", "SELECT * FROM main.sales LIMIT 10"),
    ("duckdb", "FROM sales SELECT region"),
])
def test_one_select_is_accepted(dialect, sql):
    assert validate_select(sql, dialect) == sql


def test_the_select_comes_back_without_surrounding_comments_and_semicolons():
    sql = "-- revenue by region\nSELECT region /* inner */ FROM sales -- trailing\n;  ; -- done"
    assert validate_select(sql, "postgresql") == "SELECT region /* inner */ FROM sales"


@pytest.mark.parametrize(("dialect", "sql", "reason"), [
    ("postgresql", "INSERT INTO t VALUES (1)", "Only SELECT"),
    ("postgresql", "UPDATE t SET a = 1", "Only SELECT"),
    ("postgresql", "DELETE FROM t", "Only SELECT"),
    ("postgresql", "DROP TABLE t", "Only SELECT"),
    ("postgresql", "CREATE TABLE t AS SELECT 1", "Only SELECT"),
    ("postgresql", "TRUNCATE t", "Only SELECT"),
    ("postgresql", "COPY t TO PROGRAM 'rm -rf /'", "Only SELECT"),
    ("postgresql", "SET statement_timeout = 0", "Only SELECT"),
    ("postgresql", "CALL refresh()", "Only SELECT"),
    ("postgresql", "DO $$ BEGIN DELETE FROM t; END $$", "Only SELECT"),
    ("postgresql", "EXPLAIN ANALYZE DELETE FROM t", "Only SELECT"),
    ("postgresql", "VALUES (1)", "Only SELECT"),
    ("postgresql", "LOCK TABLE t", "Only SELECT"),
    ("sqlite", "PRAGMA query_only = OFF", "Only SELECT"),
    ("sqlite", "ATTACH DATABASE '/tmp/x.db' AS x", "Only SELECT"),
    ("duckdb", "ATTACH 'other.duckdb'", "Only SELECT"),
    ("duckdb", "INSTALL httpfs", "Only SELECT"),
    ("duckdb", "LOAD httpfs", "Only SELECT"),
    ("postgresql", "SELECT 1; DELETE FROM t", "exactly one"),
    ("postgresql", "SELECT 1; SELECT 2", "exactly one"),
    ("postgresql", "", "exactly one"),
    ("postgresql", "WITH gone AS (DELETE FROM t RETURNING *) SELECT * FROM gone", "DELETE"),
    ("postgresql", "WITH x AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM x", "INSERT"),
    ("postgresql", "WITH x AS (UPDATE t SET a = 2 RETURNING *) SELECT * FROM x", "UPDATE"),
    ("postgresql", "SELECT * INTO copy_of_t FROM t", "INTO"),
    ("mysql", "SELECT 1 INTO @x", "INTO"),
    ("mysql", "SELECT * FROM t INTO OUTFILE '/tmp/x'", "could not be read"),
    ("postgresql", "SELECT * FROM t FOR UPDATE", "Locking"),
    ("postgresql", "SELECT * FROM t FOR SHARE", "Locking"),
    ("mysql", "SELECT * FROM t LOCK IN SHARE MODE", "Locking"),
    ("postgresql", "SELECT pg_read_file('/etc/passwd')", "pg_read_file"),
    ("postgresql", "SELECT pg_catalog.pg_read_binary_file('/etc/passwd')", "pg_read_binary_file"),
    ("postgresql", "SELECT * FROM pg_ls_dir('.')", "pg_ls_dir"),
    ("postgresql", "SELECT lo_import('/etc/passwd')", "lo_import"),
    ("postgresql", "SELECT lo_export(1, '/tmp/x')", "lo_export"),
    ("postgresql", "SELECT * FROM dblink('host=x', 'DELETE FROM t') AS r(a int)", "dblink"),
    ("postgresql", "SELECT query_to_xml('DELETE FROM t', true, true, '')", "query_to_xml"),
    ("postgresql", "SELECT set_config('statement_timeout', '0', false)", "set_config"),
    ("postgresql", "SELECT nextval('orders_id_seq')", "nextval"),
    ("postgresql", "SELECT pg_terminate_backend(123)", "pg_terminate_backend"),
    ("postgresql", "SELECT pg_advisory_lock(1)", "pg_advisory_lock"),
    ("mysql", "SELECT LOAD_FILE('/etc/passwd')", "load_file"),
    ("sqlite", "SELECT load_extension('/tmp/evil.so')", "load_extension"),
    ("sqlite", "SELECT writefile('/tmp/x', 'y')", "writefile"),
    ("duckdb", "SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
    ("duckdb", "SELECT * FROM read_parquet('s3://bucket/x.parquet')", "read_parquet"),
    ("duckdb", "SELECT * FROM read_json_auto('https://example.com/x.json')", "read_json_auto"),
    ("duckdb", "SELECT * FROM glob('/etc/*')", "glob"),
    ("duckdb", "SELECT * FROM query('DROP TABLE t')", "query"),
    ("duckdb", "SELECT * FROM sqlite_scan('/tmp/app.db', 'users')", "sqlite_scan"),
    ("duckdb", "SELECT * FROM '/etc/passwd'", "looks like a file"),
    ("duckdb", "SELECT * FROM 'https://example.com/data.csv'", "looks like a file"),
    ("duckdb", "SELECT * FROM \"sales.csv\"", "looks like a file"),
    ("mysql", "SELECT 1 /*!, (SELECT 1 FROM t FOR UPDATE) */", "Executable comments"),
    ("mariadb", "SELECT 1 /*M!100000 , 2 */", "Executable comments"),
    ("postgresql", "SELECT (", "could not be read"),
])
def test_anything_but_one_read_only_select_is_refused(dialect, sql, reason):
    with pytest.raises(UnsafeSQL, match=reason):
        validate_select(sql, dialect)


def test_a_dialect_without_support_is_refused():
    with pytest.raises(UnsafeSQL, match="not supported"):
        validate_select("SELECT 1", "oracle")


def test_overlong_text_is_refused_before_parsing():
    with pytest.raises(UnsafeSQL, match="longer than"):
        validate_select("SELECT " + "1 + " * 30_000 + "1")


@pytest.mark.parametrize(("paramstyle", "statement", "parameters"), [
    ("pyformat", "SELECT * FROM (\nSELECT 'a%%' -- c\n) AS pulseboard_selected LIMIT %(row_limit)s",
     {"row_limit": 5}),
    ("qmark", "SELECT * FROM (\nSELECT 'a%' -- c\n) AS pulseboard_selected LIMIT ?", (5,)),
    ("numeric_dollar", "SELECT * FROM (\nSELECT 'a%' -- c\n) AS pulseboard_selected LIMIT $1", (5,)),
])
def test_the_select_is_wrapped_with_a_bound_row_limit(paramstyle, statement, parameters):
    assert _limited("SELECT 'a%' -- c", paramstyle, 5) == (statement, parameters)
