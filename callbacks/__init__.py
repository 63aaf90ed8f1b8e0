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

FEATURES = ("callbacks.theme", "callbacks.admin", "callbacks.account", "callbacks.overview")
_registered: tuple[dict, list, list] | None = None


def _collect() -> tuple[dict, list, list]:
    global _registered
    if _registered is None:
        before = set(_callback.GLOBAL_CALLBACK_MAP)
        for name in FEATURES:
            importlib.import_module(name)
        mine = {k: v for k, v in _callback.GLOBAL_CALLBACK_MAP.items() if k not in before}
        outputs = set(mine)
        listed = [cb for cb in _callback.GLOBAL_CALLBACK_LIST if cb["output"] in outputs]
        scripts = list(_callback.GLOBAL_INLINE_SCRIPTS)
        for key in mine:
            _callback.GLOBAL_CALLBACK_MAP.pop(key)
        _callback.GLOBAL_CALLBACK_LIST[:] = [
            cb for cb in _callback.GLOBAL_CALLBACK_LIST if cb["output"] not in outputs]
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
