"""Every `@dash.callback`, grouped by feature, and `attach(app)` to give an app its own copy.

Dash moves callbacks registered with `@dash.callback` from module globals into whichever app
serves its first request, so a second app in the same process (tests build one per test) would
get none. We import the feature modules once, keep what they registered, and copy it into each
app that `create_app` builds. Each app therefore owns its callbacks, and nothing is shared.
"""

from __future__ import annotations

import copy
import importlib

import dash
from dash import _callback

FEATURES = ("callbacks.theme", "callbacks.preload", "callbacks.admin", "callbacks.account",
            "callbacks.overview", "callbacks.gallery", "callbacks.sharing", "callbacks.widgets",
            "callbacks.dashboard_filters",
            "callbacks.connections",
            "callbacks.dataset_editor",
            "callbacks.builder", "callbacks.editor", "callbacks.chart_exports", "callbacks.export_dialog",
            "callbacks.reports", "callbacks.data_list", "callbacks.data_upload",
            "callbacks.notifications", "callbacks.alert_dialog", "callbacks.alert_list",
            "callbacks.schedule_dialog", "callbacks.schedules")
_registered: tuple[dict, list, list] | None = None


def _collect() -> tuple[dict, list, list]:
    global _registered
    if _registered is None:
        for name in FEATURES:
            importlib.import_module(name)
        # Take everything registered globally, not only what these imports added: a feature
        # module imported earlier (a test, a preloading forkserver) has registered already, and
        # only our feature modules use @dash.callback.
        mine = dict(_callback.GLOBAL_CALLBACK_MAP)
        listed = list(_callback.GLOBAL_CALLBACK_LIST)
        scripts = list(_callback.GLOBAL_INLINE_SCRIPTS)
        _callback.GLOBAL_CALLBACK_MAP.clear()
        _callback.GLOBAL_CALLBACK_LIST.clear()
        _callback.GLOBAL_INLINE_SCRIPTS.clear()
        _registered = (mine, listed, scripts)
    return _registered


def attach(app: dash.Dash) -> None:
    """Give `app` its own copy of every feature callback."""
    callback_map, callback_list, scripts = _collect()
    for key, entry in callback_map.items():
        # Dash edits the `background` dict in place during setup, so each app gets its own.
        app.callback_map[key] = {**entry, **({"background": copy.copy(entry["background"])}
                                           if entry.get("background") else {})}
    app._callback_list.extend(copy.deepcopy(callback_list))
    app._inline_scripts.extend(scripts)
