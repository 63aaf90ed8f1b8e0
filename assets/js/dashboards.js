/* Pulseboard builder: tell unsaved changes, keep them from being lost by leaving the page, and
 * the undo and redo keys. The document itself lives in the page's stores; see callbacks/builder.py.
 */
(function () {
    "use strict";
    var unsaved = false;

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        dashboards: {
            // Graph clicks -> DB_CLICK: only a real click (a point under it) goes to the server.
            forwardClick: function () {
                var fired = window.dash_clientside.callback_context.triggered;
                if (!fired || !fired.length || !fired[0].value) { return window.dash_clientside.no_update; }
                var id = JSON.parse(fired[0].prop_id.slice(0, fired[0].prop_id.lastIndexOf(".")));
                return {w: id.w, click: fired[0].value};
            }
        },
        builder: {
            // DB_DOC, DB_SAVED, DB_UNDO, DB_REDO -> dirty badge, undo disabled, redo disabled
            track: function (doc, saved, undo, redo) {
                unsaved = !!doc && !!saved && JSON.stringify(doc) !== JSON.stringify(saved);
                document.body.dataset.unsaved = unsaved ? "1" : "0";
                guard();
                return [unsaved ? "Unsaved changes" : "All changes saved",
                        !(undo && undo.length), !(redo && redo.length)];
            }
        }
    });

    function builderOpen() {
        return !!document.getElementById("db-save");
    }

    // Back and Forward change pages through the history without unloading or clicking a link.
    // While there are unsaved changes, an extra history entry for this same page stands in
    // front of it: Back lands on it first, and we ask before really leaving.
    var guarded = false;
    function guard() {
        if (builderOpen() && unsaved && !guarded) {
            window.history.pushState({pbGuard: true}, "", window.location.href);
            guarded = true;
        }
    }
    window.addEventListener("popstate", function (event) {
        if (!guarded) { return; }
        guarded = false;
        if (!unsaved || !builderOpen()) {
            window.history.back();  // saved since: step over the stand-in entry
            return;
        }
        if (window.confirm("You have unsaved changes. Leave this dashboard without saving them?")) {
            unsaved = false;
            window.history.back();
        } else {
            event.stopImmediatePropagation();
            guard();
        }
    }, true);

    window.addEventListener("beforeunload", function (event) {
        if (builderOpen() && unsaved) {
            event.preventDefault();
            event.returnValue = "";
        }
    });

    // Links inside the app change pages without unloading; ask before leaving unsaved work.
    document.addEventListener("click", function (event) {
        var link = event.target.closest && event.target.closest("a[href]");
        if (!link || !builderOpen() || !unsaved || link.target === "_blank") { return; }
        if (link.getAttribute("href").startsWith("#")) { return; }
        if (!window.confirm("You have unsaved changes. Leave this dashboard without saving them?")) {
            event.preventDefault();
            event.stopImmediatePropagation();
        } else {
            unsaved = false;
        }
    }, true);

    document.addEventListener("keydown", function (event) {
        if (!builderOpen() || !(event.ctrlKey || event.metaKey) || event.key.toLowerCase() !== "z") { return; }
        var field = event.target && event.target.closest && event.target.closest("input, textarea, [contenteditable]");
        if (field) { return; }  // the browser's own undo inside a text field
        var button = document.getElementById(event.shiftKey ? "db-redo-btn" : "db-undo-btn");
        if (button && !button.disabled) {
            event.preventDefault();
            button.click();
        }
    });
})();
