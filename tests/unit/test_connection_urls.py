"""Connection URLs: only four backends and their drivers, no option that reaches files or code,
database files only inside the allowed folder, and credentials encrypted and never shown."""

from __future__ import annotations

import traceback
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from data.connections import SourceError, UnsafeURL, kind_of, redacted, reported, validate_url
from data.secrets_box import CredentialsUnreadable, decrypt_url, encrypt_url

SECRET = "test-secret-key-that-is-long-enough-0123456789"
RAW_PASSWORD = "pa:ss@w/rd!"
PASSWORD = quote(RAW_PASSWORD, safe="")  # as it is written in a URL


@pytest.fixture
def folder(tmp_path):
    """The allowed folder, with a SQLite and a DuckDB file in it."""
    allowed = tmp_path / "sources"
    allowed.mkdir()
    (allowed / "sales.db").write_bytes(b"")
    (allowed / "sales.duckdb").write_bytes(b"")
    return allowed


@pytest.mark.parametrize(("url", "drivername"), [
    ("postgresql://alice:pw@db.example.com:5432/sales", "postgresql+psycopg"),
    ("postgresql+psycopg://alice:pw@db.example.com/sales?sslmode=verify-full", "postgresql+psycopg"),
    ("mysql://bob:pw@db.example.com:3306/sales?charset=utf8mb4", "mysql+pymysql"),
    ("mariadb+pymysql://bob:pw@db.example.com/sales", "mariadb+pymysql"),
])
def test_network_urls_get_their_one_driver(url, drivername, folder):
    assert validate_url(url, folder, False).drivername == drivername


def test_scratch_schema_search_path_is_the_one_server_option_allowed(folder):
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dpb_scratch_1"
    assert validate_url(url, folder, False).query["options"] == "-csearch_path=pb_scratch_1"


@pytest.mark.parametrize("url", ["sqlite:///sales.db", "sqlite+pysqlite:///sales.db", "duckdb:///sales.duckdb"])
def test_relative_file_is_taken_inside_the_allowed_folder(url, folder):
    checked = validate_url(url, folder, False)
    assert checked.database == str((folder / url.rpartition("/")[2]).resolve())


def test_absolute_file_inside_the_folder_is_accepted(folder):
    checked = validate_url(f"sqlite:///{folder / 'sales.db'}", folder, False)
    assert checked.drivername == "sqlite"


@pytest.mark.parametrize("url", [
    "oracle://scott:tiger@db/orcl", "mssql+pyodbc://u:p@dsn", "postgresql+psycopg2://u:p@h/db",
    "postgresql+asyncpg://u:p@h/db", "mysql+mysqldb://u:p@h/db", "sqlite+pysqlcipher:///x.db",
    "file:///etc/passwd", "http://example.com/db", "postgres://u:p@h/db",
])
def test_other_dialects_and_drivers_are_refused_with_the_allowed_list(url, folder):
    with pytest.raises(UnsafeURL, match=r"postgresql\+psycopg://, .*duckdb://"):
        validate_url(url, folder, False)


@pytest.mark.parametrize("url", [
    # SQLite URI mode and its file: URIs (mode=, vfs=, cache=, modules=)
    "sqlite:///sales.db?uri=true", "sqlite:///file:sales.db?mode=rwc&uri=true", "sqlite:///sales.db?vfs=unix",
    "sqlite:///sales.db?modules=x", "sqlite:///sales.db?mode=ro", "sqlite:///sales.db?check_same_thread=false",
    # DuckDB settings ride in the query string
    "duckdb:///sales.duckdb?allow_unsigned_extensions=true", "duckdb:///sales.duckdb?enable_external_access=true",
    "duckdb:///sales.duckdb?custom_extension_repository=http://x", "duckdb:///sales.duckdb?user=me",
    # MySQL client options that read files or run code
    "mysql://u:p@h/db?local_infile=1", "mysql://u:p@h/db?init_command=DROP+TABLE+t",
    "mysql://u:p@h/db?read_default_file=/etc/mysql/debian.cnf", "mysql://u:p@h/db?unix_socket=/run/mysqld.sock",
    "mysql://u:p@h/db?client_flag=128", "mysql://u:p@h/db?ssl_key=/etc/ssl/private/key.pem",
    "mysql://u:p@h/db?charset=utf8;DROP",
    # libpq options that read local files, reach another server or change the session
    "postgresql://u:p@h/db?options=-cdefault_transaction_read_only%3Doff",
    "postgresql://u:p@h/db?options=-csearch_path%3Dx%20-cstatement_timeout%3D0",
    "postgresql://u:p@h/db?host=/var/run/postgresql",
    "postgresql://u:p@h/db?passfile=/root/.pgpass", "postgresql://u:p@h/db?sslkey=/etc/ssl/private/k",
    "postgresql://u:p@h/db?service=prod", "postgresql://u:p@h/db?sslrootcert=/etc/passwd",
    "postgresql://u:p@h/db?sslmode=require&sslmode=disable", "postgresql://u:p@h/db?sslmode=sometimes",
])
def test_query_options_outside_the_small_safe_set_are_refused(url, folder):
    with pytest.raises(UnsafeURL, match="option"):
        validate_url(url, folder, False)


def test_a_refused_option_value_is_never_echoed(folder):
    with pytest.raises(UnsafeURL) as refused:
        validate_url(f"postgresql://alice@h/db?password={PASSWORD}", folder, False)
    assert "password" in str(refused.value) and "ss@w" not in str(refused.value)


@pytest.mark.parametrize("url", [
    "sqlite://", "sqlite:///:memory:", "duckdb:///:memory:", "duckdb:///md:my_db", "duckdb:///s3://bucket/x.duckdb",
    "sqlite:///file:sales.db", "sqlite://host/sales.db",
])
def test_in_memory_uri_style_and_remote_databases_are_refused(url, folder):
    with pytest.raises(UnsafeURL):
        validate_url(url, folder, False)


@pytest.mark.parametrize("url", ["postgresql://u:p@/db", "postgresql://u:p@h", "mysql://u:p@/db"])
def test_network_databases_need_a_host_and_a_database(url, folder):
    with pytest.raises(UnsafeURL, match="host and a database"):
        validate_url(url, folder, False)


def test_files_outside_the_folder_are_refused_unless_the_setting_allows_any_path(folder, tmp_path):
    outside = tmp_path / "private.db"
    outside.write_bytes(b"")
    for url in (f"sqlite:///{outside}", "sqlite:///../private.db", f"duckdb:///{outside}"):
        with pytest.raises(UnsafeURL, match="must be inside"):
            validate_url(url, folder, False)
    assert validate_url(f"sqlite:///{outside}", folder, True).database == str(outside.resolve())


def test_a_symlink_in_the_folder_that_points_outside_is_refused(folder, tmp_path):
    outside = tmp_path / "app.db"
    outside.write_bytes(b"")
    (folder / "innocent.db").symlink_to(outside)
    with pytest.raises(UnsafeURL, match="symbolic links"):
        validate_url("sqlite:///innocent.db", folder, False)


def test_missing_files_and_folders_are_refused_and_nothing_is_created(folder):
    with pytest.raises(UnsafeURL, match="no database file"):
        validate_url("sqlite:///new.db", folder, False)
    with pytest.raises(UnsafeURL, match="not a database file"):
        validate_url(f"duckdb:///{folder}", folder, True)
    assert not (folder / "new.db").exists()


def test_an_unparseable_url_does_not_echo_its_text(folder):
    with pytest.raises(UnsafeURL) as refused:
        validate_url(f"not a url with {PASSWORD}", folder, False)
    assert PASSWORD not in str(refused.value)


def test_redacted_shows_everything_but_the_password():
    url = f"postgresql+psycopg://alice:{PASSWORD}@db.example.com/sales"
    assert redacted(url) == "postgresql+psycopg://alice:***@db.example.com/sales"
    assert "ss@w" not in str(sa.make_url(url)) and "ss@w" not in repr(sa.make_url(url))
    assert redacted(f"garbage {PASSWORD}") == "(not a database URL)"


def test_errors_inside_reported_are_scrubbed_and_not_chained():
    url = sa.make_url(f"postgresql+psycopg://alice:{PASSWORD}@db.example.com/sales")
    raw_password = url.password
    with pytest.raises(SourceError) as failed, reported(url, "Connecting"):
        raise RuntimeError(f"could not connect with dsn user=alice password={raw_password} "
                           f"url={url.render_as_string(hide_password=False)}")
    shown = "".join(traceback.format_exception(failed.value))
    assert str(failed.value).startswith("Connecting failed: could not connect")
    assert raw_password not in shown and PASSWORD not in shown and "ss@w" not in shown
    assert failed.value.__cause__ is None and failed.value.__suppress_context__


def test_credentials_round_trip_encrypted():
    url = sa.make_url(f"postgresql+psycopg://alice:{PASSWORD}@db.example.com/sales")
    token = encrypt_url(url, SECRET)
    assert "alice" not in token and "ss@w" not in token and "db.example.com" not in token
    assert decrypt_url(token, SECRET) == url
    assert decrypt_url(token, SECRET).password == url.password


def test_a_new_secret_key_asks_for_the_credentials_again():
    token = encrypt_url("postgresql+psycopg://alice:pw@db.example.com/sales", SECRET)
    with pytest.raises(CredentialsUnreadable, match=r"SECRET_KEY has changed.*enter the connection URL"):
        decrypt_url(token, SECRET + "-rotated")
    with pytest.raises(CredentialsUnreadable):
        decrypt_url("not-a-token", SECRET)


def test_an_empty_secret_key_is_refused():
    with pytest.raises(ValueError, match="secret key"):
        encrypt_url("sqlite:///x.db", "")


@pytest.mark.parametrize(("column_type", "kind"), [
    (sa.Date(), "date"), (sa.DateTime(), "datetime"), (sa.dialects.postgresql.TIMESTAMP(), "datetime"),
    (sa.Integer(), "integer"), (sa.BigInteger(), "integer"), (sa.Numeric(10, 2), "decimal"),
    (sa.Float(), "decimal"), (sa.Boolean(), "boolean"), (sa.String(20), "text"),
    (sa.types.NullType(), "text"),
])
def test_column_types_have_a_generic_kind(column_type, kind):
    assert kind_of(column_type) == kind
