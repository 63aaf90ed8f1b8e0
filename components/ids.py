"""Every component id used by a callback, in one place."""

URL = "pb-url"
THEME_STORE = "pb-theme"  # also the localStorage key read before first paint
THEME_TOGGLE = "pb-theme-toggle"
THEME_ICON = "pb-theme-icon"

ADMIN_USERS_TABLE = "admin-users-table"
ADMIN_MESSAGE = "admin-message"
ADMIN_CREATE_EMAIL = "admin-create-email"
ADMIN_CREATE_NAME = "admin-create-name"
ADMIN_CREATE_ROLE = "admin-create-role"
ADMIN_CREATE_PASSWORD = "admin-create-password"
ADMIN_CREATE_SUBMIT = "admin-create-submit"
ADMIN_SECRET_MODAL = "admin-secret-modal"
ADMIN_SECRET_BODY = "admin-secret-body"
ADMIN_REFRESH = "admin-refresh"
# Pattern-matching ids for the per-user controls: {"type": ..., "user": <id>}
ADMIN_ROLE = "admin-role"
ADMIN_TOGGLE_ACTIVE = "admin-toggle-active"
ADMIN_RESET_PASSWORD = "admin-reset-password"

ACCOUNT_CURRENT = "account-current-password"
ACCOUNT_NEW = "account-new-password"
ACCOUNT_CONFIRM = "account-confirm-password"
ACCOUNT_SUBMIT = "account-submit"
ACCOUNT_MESSAGE = "account-message"

# Overview
OV_FILTERS = "ov-filters"          # Store: the filters this page was opened with (from the URL)
OV_STATE = "ov-state"              # Store: the live state ticks continue from
OV_TICK_DATA = "ov-tick-data"      # Store: what the last tick brought (applied in the browser)
OV_META = "ov-meta"                # Store: what the first load fixed (period, regions, classes)
OV_RELOAD = "ov-reload"            # Store: bumped to redraw everything
OV_TICK = "ov-tick"                # Store: a tick let through by the in-flight gate
OV_TICK_BUSY = "ov-tick-busy"      # Store: True while a tick is in flight (its running= flag)
OV_PERIOD = "ov-period"
OV_DATES = "ov-dates"
OV_DATES_WRAP = "ov-dates-wrap"
OV_REGION = "ov-region"
OV_CATEGORY = "ov-category"
OV_SEGMENT = "ov-segment"
OV_INTERVAL = "ov-interval"
OV_RATE = "ov-rate"
OV_PAUSE = "ov-pause"
OV_UPDATED = "ov-updated"
OV_STALE = "ov-stale"
OV_STREAM = "ov-stream"
OV_REGIONS = "ov-regions"
OV_MIX = "ov-mix"
OV_FORECAST = "ov-forecast"
OV_FORECAST_NOTE = "ov-forecast-note"
OV_TOP_CUSTOMERS = "ov-top-customers"
OV_TOP_PRODUCTS = "ov-top-products"
OV_HEAVY_INTERVAL = "ov-heavy-interval"
OV_PROGRESS = "ov-progress"
OV_CANCEL = "ov-cancel"
OV_HEAVY_STATUS = "ov-heavy-status"


def kpi_value(name: str) -> str:
    return f"kv-{name}"


def kpi_delta(name: str) -> str:
    return f"kd-{name}"


def kpi_spark(name: str) -> str:
    return f"ks-{name}"
