"""Apply Alembic migrations from code: `upgrade(url)` is what `make migrate` and the tests run."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str | None = None) -> Config:
    """Return the project's Alembic config, pointed at `url` when one is given."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "data" / "migrations"))
    config.attributes["configure_logging"] = False
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def main() -> None:
    """`python -m data.migrate`: upgrade DATABASE_URL (default: the SQLite file in instance/)."""
    from settings import Settings

    settings = Settings.load()
    if settings.database_url.startswith("sqlite"):
        settings.instance_path.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    from sqlalchemy.engine import make_url

    print(f"Database is at the latest migration: {make_url(settings.database_url).render_as_string()}")


if __name__ == "__main__":
    main()
