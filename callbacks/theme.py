"""The light/dark switch, remembered in localStorage and applied to <html data-bs-theme>."""

from dash import Input, Output, State, clientside_callback

from components import ids

clientside_callback(
    """
    function(clicks, theme) {
        return theme === "dark" ? "light" : "dark";
    }
    """,
    Output(ids.THEME_STORE, "data"),
    Input(ids.THEME_TOGGLE, "n_clicks"),
    State(ids.THEME_STORE, "data"),
    prevent_initial_call=True,
)

clientside_callback(
    """
    function(theme) {
        const dark = theme === "dark";
        document.documentElement.setAttribute("data-bs-theme", dark ? "dark" : "light");
        document.cookie = "pb_theme=" + (dark ? "dark" : "light") +
            "; path=/; SameSite=Lax; max-age=31536000";
        return dark ? "bi bi-sun" : "bi bi-moon-stars";
    }
    """,
    Output(ids.THEME_ICON, "className"),
    Input(ids.THEME_STORE, "data"),
)
