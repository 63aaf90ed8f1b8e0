"""What every dashboard callback does first: find the dashboard the page's `DB_REF` store names
and check the signed-in user's access to it on the server. The browser can forge the store,
so nothing else is trusted; a refusal is None, and the callback then changes nothing."""

from __future__ import annotations

from auth.account import current_account
from context import cache, database
from data.dashboard_records import DashboardRecord
from data.dashboards import DashboardError, load_dashboard
from data.datasets import UnknownField, get_dataset
from data.query import QueryError, distinct_values


def dashboard_for(ref, need: str = "view") -> DashboardRecord | None:
    """The dashboard `ref` names if the signed-in user has `need` on it, else None."""
    if not isinstance(ref, dict):
        return None
    try:
        with database().session() as session:
            return load_dashboard(session, current_account(), ref.get("id"), need=need)
    except DashboardError:
        return None


def field_values(dataset: str, field: str) -> list:
    """The values a dimension takes, for filter pickers (cached for five minutes, after the
    reader's access to the dataset is checked)."""
    try:
        key = get_dataset(dataset).cache_key
        return cache().get_or_compute(f"values:{key}:{field}",
                                      lambda: distinct_values(database().engine, dataset, field), ttl=300)
    except (QueryError, UnknownField):
        return []
