/* Start loading plotly.js as soon as a page is requested, not when its first graph mounts.
 *
 * dcc.Graph loads plotly.js lazily: only once the page's callback has answered and a graph is
 * rendered does it add the script, and compiling plotly.js then delays every graph. Started at
 * navigation instead, plotly.js compiles while the server is still computing the page. dcc.Graph
 * takes `window.Plotly` if it is set (through Promise.resolve, so a promise of it works too):
 * while the script loads, window.Plotly is that promise, and plotly.js replaces it with itself
 * as it runs, so the script is never added twice. Only the pages that draw graphs ask for it (the
 * Overview and a dashboard's view or builder): the others need not pay for compiling it.
 */
(function () {
    "use strict";
    var GRAPH_PAGES = /^\/(dashboards\/\d+(\/edit)?\/?)?$/;

    function preload(pathname) {
        var url = window._dashPlotlyJSURL;  // set in the page's head (app.py)
        if (window.Plotly || !url || !GRAPH_PAGES.test(pathname || "")) { return; }
        window.Plotly = new Promise(function (resolve, reject) {
            var script = document.createElement("script");
            script.src = url;
            script.async = true;
            script.onload = function () { resolve(window.Plotly); };
            script.onerror = function (error) { window.Plotly = undefined; reject(error); };
            document.body.appendChild(script);
        });
        // On failure a graph mounted meanwhile fails as it would had its own load failed; one
        // mounted later loads the script itself.
        window.Plotly.catch(function () {});
    }
    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        plotly: {
            // ids.URL pathname -> nothing: fires with the page's own callback, at every navigation.
            preload: function (pathname) { preload(pathname); return window.dash_clientside.no_update; }
        }
    });
})();
