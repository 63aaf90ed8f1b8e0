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
