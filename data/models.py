"""ORM models: the app's own tables (users, sign-in failures, dashboards, exports, datasets and
connected databases) and the demo business."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES = ("admin", "analyst", "viewer")


def utcnow() -> dt.datetime:
    """Naive UTC now: every timestamp in the database is naive UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class LoginFailure(Base):
    """One failed sign-in, keyed by account and by address; old rows are pruned on write."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)


class Dashboard(Base):
    """A dashboard: its current document (canonical JSON), owner, version and public link.

    `version` is the compare-and-set counter of every save; `title` mirrors the document's title
    so the gallery can search without reading documents.
    """

    __tablename__ = "dashboards"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    document: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    public_token: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)


class DashboardVersion(Base):
    """One saved version of a dashboard's document; history is only ever appended to."""

    __tablename__ = "dashboard_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    dashboard_id: Mapped[int] = mapped_column(ForeignKey("dashboards.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    message: Mapped[str | None] = mapped_column(String(500), nullable=True)
    restored_from: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        UniqueConstraint("dashboard_id", "version", name="uq_dashboard_versions_dashboard_version"),
    )


class DashboardShare(Base):
    """A dashboard shared with one user, to view or to edit."""

    __tablename__ = "dashboard_shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    dashboard_id: Mapped[int] = mapped_column(ForeignKey("dashboards.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    permission: Mapped[str] = mapped_column(String(8))

    __table_args__ = (
        UniqueConstraint("dashboard_id", "user_id", name="uq_dashboard_shares_dashboard_user"),
    )


class SourceConnection(Base):
    """A database an admin connected (data/connections.py). `url_token` is the SQLAlchemy URL,
    password included, encrypted with a key derived from SECRET_KEY (data/secrets_box.py); it
    never leaves the server. `display_url` is the same URL with the password masked."""

    __tablename__ = "source_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    backend: Mapped[str] = mapped_column(String(16))  # postgresql, mysql, sqlite or duckdb
    url_token: Mapped[str] = mapped_column(Text)
    display_url: Mapped[str] = mapped_column(String(1000))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class DatasetRecord(Base):
    """A user's dataset: where its rows live and what it declares (`definition`, the JSON of
    data/dataset_definition.DatasetDefinition).

    `source` is "upload" (a table of the app's own database, `relation`), "table" (a table or
    view of a connected database) or "sql" (a read-only SELECT on one). `revision` goes up with
    every import, so cached answers of the rows before it are never served after.
    """

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    source: Mapped[str] = mapped_column(String(8))
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("source_connections.id", ondelete="RESTRICT"), nullable=True, index=True)
    relation: Mapped[str | None] = mapped_column(String(400), nullable=True)
    sql: Mapped[str | None] = mapped_column(Text, nullable=True)
    definition: Mapped[str] = mapped_column(Text)
    row_count: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    refreshed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class DatasetShare(Base):
    """A dataset shared with one user, who may then build widgets on it."""

    __tablename__ = "dataset_shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    __table_args__ = (UniqueConstraint("dataset_id", "user_id", name="uq_dataset_shares_dataset_user"),)


class ExportJob(Base):
    """One export a user asked for: what, in which format, how it went, and its file.

    `file_name` is the name the browser downloads; `stored_name` is the file under the exports
    folder, present only once the export finished (it is written under a temporary name and
    renamed). `dashboard_id` is None for Overview charts; downloads obey the dashboard's access.
    A running export touches `heartbeat_at` every few seconds: one whose heartbeat stops (its
    worker was killed) is marked failed.
    """

    __tablename__ = "export_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    dashboard_id: Mapped[int | None] = mapped_column(
        ForeignKey("dashboards.id", ondelete="SET NULL"), nullable=True, index=True)
    dashboard_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    subject: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(16))  # "chart" or "dashboard"
    format: Mapped[str] = mapped_column(String(8))
    template: Mapped[str] = mapped_column(String(16))
    options: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16), default="running")
    error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    file_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    stored_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    size_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class ExportPreset(Base):
    """A user's export choices: the last ones used (`name` None) or a named preset."""

    __tablename__ = "export_presets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))  # "" holds the last choices
    options: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_export_presets_user_name"),)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    segment: Mapped[str] = mapped_column(String(40))
    region: Mapped[str] = mapped_column(String(40))
    country: Mapped[str] = mapped_column(String(60))
    signup_date: Mapped[dt.date] = mapped_column(Date)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40))
    sub_category: Mapped[str] = mapped_column(String(40))
    unit_price: Mapped[float] = mapped_column(Float)
    unit_cost: Mapped[float] = mapped_column(Float)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_date: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(20))
    promotion: Mapped[str | None] = mapped_column(String(40), nullable=True)


class OrderLine(Base):
    """One row per order line: the fact table behind the `sales` dataset.

    Dimension names are stored on the line (denormalised) so that every aggregation is a
    single-table group-by on indexed columns, with no joins on the hot path. A return is a
    line of its own with negative quantity, revenue and cost, dated when the goods came back.
    """

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    order_date: Mapped[dt.datetime] = mapped_column(DateTime)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    region: Mapped[str] = mapped_column(String(40))
    country: Mapped[str] = mapped_column(String(60))
    segment: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40))
    sub_category: Mapped[str] = mapped_column(String(40))
    product: Mapped[str] = mapped_column(String(120))
    customer: Mapped[str] = mapped_column(String(120))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[float] = mapped_column(Float)
    discount: Mapped[float] = mapped_column(Float)
    revenue: Mapped[float] = mapped_column(Float)
    cost: Mapped[float] = mapped_column(Float)
    gross_profit: Mapped[float] = mapped_column(Float)
    is_return: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_order_lines_order_date", "order_date"),
        Index("ix_order_lines_order_id", "order_id"),
        Index("ix_order_lines_region", "region", "order_date"),
        Index("ix_order_lines_country", "country", "order_date"),
        Index("ix_order_lines_segment", "segment", "order_date"),
        Index("ix_order_lines_category", "category", "order_date"),
        Index("ix_order_lines_sub_category", "sub_category", "order_date"),
        Index("ix_order_lines_product", "product", "order_date"),
        Index("ix_order_lines_customer", "customer_id", "order_date"),
    )


class ForecastMonth(Base):
    """Monthly revenue forecast per region and category, with the actual kept alongside.

    The demo feed adds each new line's revenue to the matching month's `actual_revenue` in
    the same transaction as the line, so forecast versus actual never drifts from the facts.
    """

    __tablename__ = "forecast"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)
    region: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40))
    forecast_revenue: Mapped[float | None] = mapped_column(Float, nullable=True)
    actual_revenue: Mapped[float] = mapped_column(Float, default=0.0)

    __table_args__ = (
        UniqueConstraint("month", "region", "category", name="uq_forecast_month_region_category"),
    )
