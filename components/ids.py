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

# Dashboards: the view and the builder. DB_REF holds {"id": <dashboard id>, "mode": "view"|"edit"};
# every callback re-checks it against the signed-in user, since the browser can forge it.
DB_REF = "db-ref"
DB_DOC = "db-doc"                  # Store: the working document (builder) or the saved one (view)
DB_SAVED = "db-saved"              # Store: the document as last saved, to tell unsaved changes
DB_BASE = "db-base-version"        # Store: the version the editor started from
DB_UNDO = "db-undo"
DB_REDO = "db-redo"
DB_SELECTED = "db-selected"
DB_DRAFT = "db-draft"              # Store: the editor's validated widget, applied to the document
DB_FILTERS = "db-filters"          # Store: the dashboard filters in force (view: this session only)
DB_CROSS = "db-cross"              # Store: cross-filters from clicks
DB_FILTERS_MIRROR = "db-filters-mirror"  # {"type": ..., "page": "edit"}: the builder's copy of DB_FILTERS
DB_CLICK = "db-click"              # Store: the last click on a graph, {"w": widget id, "click": ...}
DB_GRID = "db-grid"
DB_MESSAGE = "db-message"
DB_CHIPS = "db-chips"
# Pattern-matching ids, {"type": ..., "w": <widget id>}
W_SPEC = "w-spec"
W_GRAPH = "w-graph"
W_TABLE = "w-table"
W_TEXT = "w-text"
W_ERROR = "w-error"
W_INTERVAL = "w-interval"
W_STATE = "w-state"
W_EDIT = "w-edit"
W_REMOVE = "w-remove"

# Dashboard gallery and sharing (components/gallery.py, components/sharing.py)
GAL_TABS = "gal-tabs"
GAL_SEARCH = "gal-search"
GAL_LIST = "gal-list"
GAL_MESSAGE = "gal-message"
SHARE_OPEN = "share-open"
SHARE_MODAL = "share-modal"
DB_DOWNLOAD_JSON = "db-download-json"
DB_DOWNLOAD = "db-download"
W_BODY = "w-body"
# The view's cards are drawn on the server with the page; their ids differ so that only the
# builder's cards draw themselves as they mount.
WV_SPEC = "wv-spec"
WV_BODY = "wv-body"
WV_STATE = "wv-state"
WV_NOTE = "wv-note"
WV_INTERVAL = "wv-interval"
W_NOTE = "w-note"
DB_TIME = "db-time"
DB_ADD_FIELD = "db-add-field"
DB_ADD_VALUES = "db-add-values"
DB_ADD_APPLY = "db-add-apply"
CHIP_REMOVE = "chip-remove"        # {"type": CHIP_REMOVE, "kind": "time"|"dim"|"cross", "key": ...}

# Builder
DB_TITLE = "db-title"
DB_COMPACT = "db-compact"
DB_UNDO_BTN = "db-undo-btn"
DB_REDO_BTN = "db-redo-btn"
DB_SAVE = "db-save"
DB_SAVE_MESSAGE = "db-save-message"
DB_DIRTY = "db-dirty"
DB_STALE_MODAL = "db-stale-modal"
DB_STALE_TEXT = "db-stale-text"
DB_SAVE_COPY = "db-save-copy"
DB_HISTORY_OPEN = "db-history-open"
DB_HISTORY = "db-history"
DB_HISTORY_LIST = "db-history-list"
DB_PREVIEW_BANNER = "db-preview-banner"
DB_PALETTE_SEEN = "db-palette-seen"  # Store: palette clicks already applied, by widget type
PALETTE_ADD = "palette-add"        # {"type": PALETTE_ADD, "kind": <widget type>}
HIST_PREVIEW = "hist-preview"      # {"type": HIST_PREVIEW, "v": <version>}
HIST_RESTORE = "hist-restore"
ED_PANEL = "ed-panel"
ED_EMPTY = "ed-empty"
ED_TYPE = "ed-type"
ED_TITLE = "ed-title"
ED_DATASET = "ed-dataset"
ED_MEASURES = "ed-measures"
ED_DIMENSIONS = "ed-dimensions"
ED_GRAIN = "ed-grain"
ED_RANGE = "ed-range"
ED_DATES = "ed-dates"
ED_FILTERS = "ed-filters"          # Store: the widget's own filters being edited
ED_FILTER_LIST = "ed-filter-list"
ED_FILTER_FIELD = "ed-filter-field"
ED_FILTER_OP = "ed-filter-op"
ED_FILTER_VALUES = "ed-filter-values"
ED_FILTER_ADD = "ed-filter-add"
ED_FILTER_REMOVE = "ed-filter-remove"  # {"type": ED_FILTER_REMOVE, "n": <index>}
ED_SORT = "ed-sort"
ED_SORT_DESC = "ed-sort-desc"
ED_LIMIT = "ed-limit"
ED_STYLE = "ed-style"              # Checklist: stacked, horizontal, donut, legend
ED_XLABEL = "ed-xlabel"
ED_YLABEL = "ed-ylabel"
ED_COLORS = "ed-colors"
ED_FORMAT = "ed-format"
ED_MARKDOWN = "ed-markdown"
ED_REFRESH = "ed-refresh"
ED_ERROR = "ed-error"

# Gallery and sharing dialogs (components/gallery.py, components/sharing.py)
GAL_REFRESH = "gal-refresh"              # Store: bumped to redraw the list after a change
GAL_NEW_OPEN = "gal-new-open"
GAL_NEW_MODAL = "gal-new-modal"
GAL_NEW_TITLE = "gal-new-title"
GAL_NEW_SUBMIT = "gal-new-submit"
GAL_NEW_CANCEL = "gal-new-cancel"
GAL_NEW_MESSAGE = "gal-new-message"
GAL_IMPORT = "gal-import"                # dcc.Upload
GAL_DELETE_MODAL = "gal-delete-modal"
GAL_DELETE_BODY = "gal-delete-body"
GAL_DELETE_TARGET = "gal-delete-target"  # Store: the id asked about (checked again on confirm)
GAL_DELETE_CONFIRM = "gal-delete-confirm"
GAL_DELETE_CANCEL = "gal-delete-cancel"
GAL_DUPLICATE = "gal-duplicate"
GAL_DELETE = "gal-delete"
SHARE_BODY = "share-body"                # filled when the dialog opens, for managers only
SHARE_MESSAGE = "share-message"
SHARE_REFRESH = "share-refresh"          # Store: bumped to redraw the dialog after a change
SHARE_EMAIL = "share-email"
SHARE_NEW_PERMISSION = "share-new-permission"
SHARE_ADD = "share-add"
SHARE_PUBLIC_SWITCH = "share-public-switch"
SHARE_PUBLIC_URL = "share-public-url"
DB_DOWNLOAD_ERROR = "db-download-error"  # Toast: why a download did not happen
SHARE_PERMISSION = "share-permission"
SHARE_REMOVE = "share-remove"

# Exports (components/exports.py, callbacks/chart_exports.py, callbacks/export_dialog.py, pages/reports.py)
X_CHART = "x-chart"            # {"type": X_CHART, "page": ..., "chart": key, "fmt": fmt}: a menu item
X_REQUEST = "x-request"        # {"type": X_REQUEST, "page": ...}: Store, the chart export asked for
X_DOWNLOAD = "x-download"      # {"type": X_DOWNLOAD, "page": ...}: dcc.Download
X_TOAST = "x-toast"            # {"type": X_TOAST, "page": ...}: why an export did not happen
X_BUSY = "x-busy"              # {"type": X_BUSY, "page": ...}: shown while a chart export runs
XD_OPEN = "xd-open"            # the dashboard's Export button
XD_MODAL = "xd-modal"
XD_FORMAT = "xd-format"
XD_TEMPLATE = "xd-template"
XD_PAGE_SIZE = "xd-page-size"
XD_ORIENTATION = "xd-orientation"
XD_WIDGETS = "xd-widgets"
XD_RANGE = "xd-range"          # "" keeps the dashboard's range, a relative key, or "custom"
XD_DATES = "xd-dates"
XD_PRESET = "xd-preset"        # Dropdown of the user's presets
XD_PRESET_NAME = "xd-preset-name"
XD_PRESET_SAVE = "xd-preset-save"
XD_PRESET_DELETE = "xd-preset-delete"
XD_PRESETS_CHANGED = "xd-presets-changed"  # Store: bumped after a preset is saved or deleted
XD_START = "xd-start"
XD_REQUEST = "xd-request"      # Store: {key, ticket}, the signed request Start hands the background job
XD_CANCEL = "xd-cancel"
XD_CLOSE = "xd-close"
XD_PROGRESS = "xd-progress"
XD_STATUS = "xd-status"
XD_DOWNLOAD = "xd-download"
XP_REFRESH = "xp-refresh"      # Reports page: Store bumped after a delete
XP_TABLE = "xp-table"
XP_EVERYONE = "xp-everyone"
XP_DELETE = "xp-delete"        # {"type": XP_DELETE, "job": id}
XP_MESSAGE = "xp-message"

# --- /data: the dataset list, uploads and sharing (callbacks/data_*.py) ---
DATA_LIST = "data-list"                  # the table of datasets, drawn by callbacks/data_list.py
DATA_REFRESH = "data-refresh"            # Store: changed to redraw the list after a change
DATA_MESSAGE = "data-message"
DATA_SHARE = "data-share"                # {"type": DATA_SHARE, "d": name}: a row's Share button
DATA_DELETE = "data-delete"              # {"type": DATA_DELETE, "d": name}: a row's Delete button
DATA_SHARE_MODAL = "data-share-modal"
DATA_SHARE_TARGET = "data-share-target"  # Store: the dataset the dialog is for (checked again on use)
DATA_SHARE_TITLE = "data-share-title"
DATA_SHARE_PEOPLE = "data-share-people"
DATA_SHARE_EMAIL = "data-share-email"
DATA_SHARE_ADD = "data-share-add"
DATA_SHARE_MESSAGE = "data-share-message"
DATA_UNSHARE = "data-unshare"            # {"type": DATA_UNSHARE, "email": ...}
DATA_DELETE_MODAL = "data-delete-modal"
DATA_DELETE_BODY = "data-delete-body"
DATA_DELETE_TARGET = "data-delete-target"  # Store: the dataset asked about (checked again on confirm)
DATA_DELETE_CONFIRM = "data-delete-confirm"
DATA_DELETE_CANCEL = "data-delete-cancel"
DATA_UPLOAD = "data-upload"              # dcc.Upload
DATA_UPLOAD_ID = "data-upload-id"        # Store: the server's id of the uploaded file (checked again)
DATA_UPLOAD_MESSAGE = "data-upload-message"
DATA_PANEL = "data-panel"                # the preview and import settings, shown once a file is in
DATA_FILE_SUMMARY = "data-file-summary"
DATA_SHEET = "data-sheet"
DATA_SHEET_WRAP = "data-sheet-wrap"
DATA_COLUMNS = "data-columns"            # the per-column controls
DATA_COL_NAME = "data-col-name"          # {"type": DATA_COL_NAME, "c": position}
DATA_COL_KIND = "data-col-kind"          # {"type": DATA_COL_KIND, "c": position}
DATA_COL_INCLUDE = "data-col-include"    # {"type": DATA_COL_INCLUDE, "c": position}
DATA_ROWS = "data-rows"                  # the first rows, in a grid
DATA_TIME_COLUMN = "data-time-column"
DATA_MODE = "data-mode"                  # "new", "append" or "replace"
DATA_TARGET = "data-target"              # the dataset to append to or replace
DATA_TARGET_WRAP = "data-target-wrap"
DATA_NEW_WRAP = "data-new-wrap"
DATA_NAME = "data-name"
DATA_TITLE = "data-title"
DATA_DISCARD = "data-discard"
DATA_IMPORT = "data-import"
DATA_CANCEL = "data-cancel"
DATA_PROGRESS = "data-progress"
DATA_STATUS = "data-status"
DATA_REQUEST = "data-request"            # Store: {key, ticket}, the signed request Import hands the job

# --- /data/<name>: a dataset's definition editor (callbacks/dataset_editor.py) ---
# DS_REF holds {"name": <dataset name>}; every callback re-checks it against the signed-in user.
DS_REF = "ds-ref"
DS_COLUMNS = "ds-columns"          # Store: column -> type, for the option lists only (never trusted)
# Store: the definition being edited, as the controls say (unvalidated), {"type": DS_DRAFT, "mode": "edit"};
# a reader's page has {"mode": "read"}, the saved one, which no callback writes (so the preview runs at once).
DS_DRAFT = "ds-draft"
DS_TIME = "ds-time"
DS_DIMENSIONS = "ds-dimensions"    # the rows of dimensions
DS_MEASURES = "ds-measures"        # the rows of measures
DS_ADD_DIMENSION = "ds-add-dimension"
DS_ADD_MEASURE = "ds-add-measure"
DS_SAVE = "ds-save"
DS_MESSAGE = "ds-message"          # what a save did
DS_PROBLEM = "ds-problem"          # what is wrong with the draft, as it changes
DS_SAMPLE = "ds-sample"            # the draft's measures over the whole table and by month
DS_ROWS = "ds-rows"                # the first rows of the source
# Pattern-matching ids, {"type": ..., "row": <row key>}
DS_DIM_NAME = "ds-dim-name"
DS_DIM_LABEL = "ds-dim-label"
DS_DIM_COLUMN = "ds-dim-column"
DS_DIM_REMOVE = "ds-dim-remove"
DS_M_NAME = "ds-m-name"
DS_M_LABEL = "ds-m-label"
DS_M_KIND = "ds-m-kind"            # "column" or "ratio"
DS_M_COLUMN = "ds-m-column"
DS_M_AGGREGATION = "ds-m-aggregation"
DS_M_NUMERATOR = "ds-m-numerator"
DS_M_DENOMINATOR = "ds-m-denominator"
DS_M_FORMAT = "ds-m-format"
DS_M_CURRENCY = "ds-m-currency"
DS_M_BETTER = "ds-m-better"
DS_M_REMOVE = "ds-m-remove"
DS_M_OF_COLUMN = "ds-m-of-column"  # the part of a row shown for a measure of a column
DS_M_OF_RATIO = "ds-m-of-ratio"    # the part shown for a ratio
DS_M_CURRENCY_WRAP = "ds-m-currency-wrap"

# --- /data/connections: SQL connections, admins only (callbacks/connections.py) ---
# No id here ever holds a URL with its password, except CN_URL, which the admin types and the
# server never writes back (it only clears it).
CN_MESSAGE = "cn-message"          # what an action on the list or the form did
CN_REFRESH = "cn-refresh"          # Store: bumped after a connection is saved or deleted
CN_LIST = "cn-list"                # the table of connections (redacted URLs)
CN_DELETE = "cn-delete"            # {"type": CN_DELETE, "connection": id}
CN_NAME = "cn-name"
CN_URL = "cn-url"                  # password input: sent once by Test and by Save
CN_TEST = "cn-test"
CN_TEST_RESULT = "cn-test-result"  # the server's version, or the error with the password scrubbed
CN_SAVE = "cn-save"
CN_SOURCE = "cn-source"            # the saved connection a dataset is made from (its id)
CN_KIND = "cn-kind"                # Tabs: "table" or "sql"
CN_RELATION = "cn-relation"        # a table or view, as the JSON list [schema, name]
CN_SQL = "cn-sql"
CN_RUN = "cn-run"
CN_PREVIEW = "cn-preview"          # the table's columns, or the SELECT's first rows
CN_TIME_COLUMN = "cn-time-column"
CN_DATASET_NAME = "cn-dataset-name"
CN_DATASET_TITLE = "cn-dataset-title"
CN_CREATE = "cn-create"
CN_CREATE_MESSAGE = "cn-create-message"

# Schedules: the "Schedule report" dialog and the Schedules tab of /reports (prefix SC_)
# The dialog (components/schedule_dialog.py, callbacks/schedule_dialog.py). Every value the browser
# sends back (the context store included) is checked again on the server.
SC_OPEN = "sc-open"               # {"type": SC_OPEN, "page": "dashboard"}: "Schedule report" on a dashboard
SC_TARGET = "sc-target"           # Store: {"dashboard": id} of the page the dialog is on (None on /reports)
SC_CONTEXT = "sc-context"         # Store: {"dashboard", "schedule"} the open dialog is for
SC_BROWSER_TZ = "sc-browser-tz"   # Store: the browser's IANA timezone (a clientside callback reads it)
SC_MODAL = "sc-modal"
SC_TITLE = "sc-title"
SC_DASHBOARD = "sc-dashboard"     # which dashboard the report is of (text)
SC_FORMATS = "sc-formats"
SC_TEMPLATE = "sc-template"
SC_PAGE_SIZE = "sc-page-size"
SC_ORIENTATION = "sc-orientation"
SC_RANGE = "sc-range"
SC_WIDGETS = "sc-widgets"
SC_USERS = "sc-users"
SC_EMAILS = "sc-emails"
SC_EMAILS_WRAP = "sc-emails-wrap"
SC_EMAILS_NOTE = "sc-emails-note"
SC_SUBJECT = "sc-subject"
SC_FREQUENCY = "sc-frequency"
SC_WEEKDAY = "sc-weekday"
SC_WEEKDAY_WRAP = "sc-weekday-wrap"
SC_DAY = "sc-day"
SC_DAY_WRAP = "sc-day-wrap"
SC_CRON = "sc-cron"
SC_CRON_WRAP = "sc-cron-wrap"
SC_TIME = "sc-time"
SC_TIME_WRAP = "sc-time-wrap"
SC_TIMEZONE = "sc-timezone"
SC_MISSED = "sc-missed"
SC_PREVIEW = "sc-preview"         # the next runs, as the recurrence stands
SC_MESSAGE = "sc-message"
SC_SAVE = "sc-save"
SC_CANCEL = "sc-cancel"
SC_SAVED = "sc-saved"             # Store: bumped after a save, so the Schedules tab redraws
SC_TOAST = "sc-toast"             # what a save did, once the dialog has closed
# The Schedules tab (components/schedules.py, callbacks/schedules.py)
SC_LIST = "sc-list"
SC_LIST_REFRESH = "sc-list-refresh"  # Store: bumped after an action
SC_LIST_MESSAGE = "sc-list-message"
SC_EVERYONE = "sc-everyone"
SC_POLL = "sc-poll"               # Interval: on while a run the user started is still going
SC_EDIT = "sc-edit"               # {"type": ..., "schedule": id}: reopens the dialog
SC_PAUSE = "sc-pause"             # {"type": ..., "schedule": id}: pause or resume
SC_SEND = "sc-send"               # {"type": ..., "schedule": id}: send now
SC_HISTORY = "sc-history"         # {"type": ..., "schedule": id}: the run history
SC_DELETE = "sc-delete"           # {"type": ..., "schedule": id}: asks first
SC_DELETE_MODAL = "sc-delete-modal"
SC_DELETE_BODY = "sc-delete-body"
SC_DELETE_TARGET = "sc-delete-target"  # Store: the id asked about (checked again on confirm)
SC_DELETE_CONFIRM = "sc-delete-confirm"
SC_DELETE_CANCEL = "sc-delete-cancel"
SC_HISTORY_MODAL = "sc-history-modal"
SC_HISTORY_TARGET = "sc-history-target"  # Store: the schedule whose history is open (checked on each read)
SC_HISTORY_BODY = "sc-history-body"
# -- SC block: add schedule ids above this line --

# Alerts and notifications: the alert dialog, the Alerts tab of /reports, the bell (prefix AL_, NT_)
AL_PANEL = "al-panel"             # the Alerts tab's content
# The alert dialog (components/alert_dialog.py, callbacks/alert_dialog.py). Every value the
# browser sends back (the target store included) is checked again on the server.
AL_OPEN = "al-open"               # {"type": AL_OPEN, "w": <widget id>}: "Create alert" in a widget's menu
AL_TARGET = "al-target"           # Store: {"dashboard": id} of the page the dialog is on (None on /reports)
AL_CONTEXT = "al-context"         # Store: {"dashboard", "widget", "alert"} the open dialog is for
AL_MODAL = "al-modal"
AL_TITLE = "al-title"
AL_WIDGET = "al-widget"           # which dashboard and widget the alert watches (text)
AL_NAME = "al-name"
AL_MEASURE = "al-measure"
AL_CURRENT = "al-current"         # the measure's current value, as the widget shows it
AL_CONDITION = "al-condition"
AL_THRESHOLD = "al-threshold"
AL_THRESHOLD_LABEL = "al-threshold-label"
AL_THRESHOLD_WRAP = "al-threshold-wrap"
AL_BAND_WRAP = "al-band-wrap"
AL_SIGMAS = "al-sigmas"
AL_PERIODS = "al-periods"
AL_GRAIN = "al-grain"
AL_GRAIN_WRAP = "al-grain-wrap"
AL_EVERY = "al-every"
AL_USERS = "al-users"
AL_EMAILS = "al-emails"
AL_EMAILS_WRAP = "al-emails-wrap"
AL_MESSAGE = "al-message"
AL_SAVE = "al-save"
AL_CANCEL = "al-cancel"
AL_SAVED = "al-saved"             # Store: bumped after a save, so the Alerts tab redraws
AL_TOAST = "al-toast"             # what a save did, once the dialog has closed
# The Alerts tab (components/alert_list.py, callbacks/alert_list.py)
AL_LIST = "al-list"
AL_LIST_REFRESH = "al-list-refresh"  # Store: bumped after an action
AL_LIST_MESSAGE = "al-list-message"
AL_SNOOZE = "al-snooze"           # {"type": AL_SNOOZE, "alert": id, "for": "1h" | "1d" | "1w"}
AL_UNSNOOZE = "al-unsnooze"       # {"type": ..., "alert": id}
AL_PAUSE = "al-pause"             # {"type": ..., "alert": id}: pause or resume
AL_EDIT = "al-edit"               # {"type": ..., "alert": id}: reopens the dialog
AL_DELETE = "al-delete"           # {"type": ..., "alert": id}: asks first
AL_DELETE_MODAL = "al-delete-modal"
AL_DELETE_BODY = "al-delete-body"
AL_DELETE_TARGET = "al-delete-target"  # Store: the id asked about (checked again on confirm)
AL_DELETE_CONFIRM = "al-delete-confirm"
AL_DELETE_CANCEL = "al-delete-cancel"
# The bell in the navbar (components/notifications.py, callbacks/notifications.py)
NT_BELL = "nt-bell"
NT_BADGE = "nt-badge"
NT_COUNT = "nt-count"             # Store: the unread count shown, so an unchanged tick does nothing
NT_INTERVAL = "nt-interval"
NT_POPOVER = "nt-popover"
NT_LIST = "nt-list"
NT_MARK_ALL = "nt-mark-all"
# -- AL block: add alert and notification ids above this line --
