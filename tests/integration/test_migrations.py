"""Alembic migrations: up to head and back to base on SQLite and PostgreSQL, in step with the ORM."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

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
