"""Alembic migrations: up to head and back to base on SQLite and PostgreSQL, in step with the ORM."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from data import delivery_models  # noqa: F401  (its tables are part of Base.metadata)
from data.migrate import downgrade, upgrade
from data.models import Base

APP_TABLES = set(Base.metadata.tables)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'migrations.db'}"


def table_names(url: str) -> set[str]:
    """The tables that exist at `url` right now."""
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def schema_differences(url: str) -> list:
    """What Alembic's autogenerate would change to make the database match the ORM metadata."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()


def assert_upgrade_then_downgrade_round_trips(url: str) -> None:
    """Head creates every ORM table; base removes them all; head again rebuilds them."""
    upgrade(url)
    assert table_names(url) == APP_TABLES | {"alembic_version"}
    upgrade(url)  # already at head: nothing to do, nothing fails
    downgrade(url)
    assert table_names(url) <= {"alembic_version"}
    upgrade(url)
    assert table_names(url) == APP_TABLES | {"alembic_version"}


def test_sqlite_upgrades_to_head_and_downgrades_to_base_leaving_no_tables(sqlite_url):
    assert_upgrade_then_downgrade_round_trips(sqlite_url)


def test_sqlite_schema_after_migrations_matches_the_orm_models(sqlite_url):
    upgrade(sqlite_url)
    assert schema_differences(sqlite_url) == []


@pytest.mark.postgres
def test_postgres_upgrades_to_head_and_downgrades_to_base_leaving_no_tables(postgres_url):
    assert_upgrade_then_downgrade_round_trips(postgres_url)


@pytest.mark.postgres
def test_postgres_schema_after_migrations_matches_the_orm_models(postgres_url):
    upgrade(postgres_url)
    assert schema_differences(postgres_url) == []


def _seed_at_0002(url: str) -> dict[str, list[tuple]]:
    """Users, dashboards, their versions and shares written with plain SQL at revision 0002 (the
    schema before exports); returns every row of those tables, to compare after upgrading."""
    upgrade(url, "0002")
    engine = sa.create_engine(url)
    created = "2026-11-01 09:30:00"
    document = '{"schema_version":1,"title":"Sales pulse","widgets":[],"layout":[]}'
    try:
        with engine.begin() as connection:
            for user_id, email, role in ((1, "ana@example.com", "analyst"), (2, "vic@example.com", "viewer")):
                connection.execute(
                    sa.text(
                        "INSERT INTO users (id, email, display_name, password_hash, role, active, "
                        "created_at) VALUES (:id, :email, :name, 'x', :role, true, :at)"
                    ),
                    {"id": user_id, "email": email, "name": email.split("@")[0], "role": role, "at": created},
                )
            connection.execute(
                sa.text(
                    "INSERT INTO dashboards (id, title, owner_id, document, version, created_at, "
                    "updated_at, updated_by_id, public_token) "
                    "VALUES (1, 'Sales pulse', 1, :doc, 2, :at, :at, 1, 'tok-123')"
                ),
                {"doc": document, "at": created},
            )
            for version in (1, 2):
                connection.execute(
                    sa.text(
                        "INSERT INTO dashboard_versions (dashboard_id, version, document, author_id, "
                        "created_at, message, restored_from) VALUES (1, :v, :doc, 1, :at, :msg, NULL)"
                    ),
                    {"v": version, "doc": document, "at": created, "msg": f"save {version} — ünïcode"},
                )
            connection.execute(
                sa.text(
                    "INSERT INTO dashboard_shares (dashboard_id, user_id, permission) VALUES (1, 2, 'view')"
                )
            )
        return _rows(engine)
    finally:
        engine.dispose()


def _rows(engine) -> dict[str, list[tuple]]:
    with engine.connect() as connection:
        return {
            table: [tuple(row) for row in connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))]
            for table in ("users", "dashboards", "dashboard_versions", "dashboard_shares")
        }


def assert_upgrade_keeps_dashboards(url: str) -> None:
    before = _seed_at_0002(url)
    upgrade(url)
    engine = sa.create_engine(url)
    try:
        assert _rows(engine) == before
        assert {"export_jobs", "export_presets"} <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_sqlite_upgrade_from_before_exports_keeps_dashboards_versions_and_shares(sqlite_url):
    assert_upgrade_keeps_dashboards(sqlite_url)


@pytest.mark.postgres
def test_postgres_upgrade_from_before_exports_keeps_dashboards_versions_and_shares(postgres_url):
    assert_upgrade_keeps_dashboards(postgres_url)
