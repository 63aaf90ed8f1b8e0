/* Pulseboard exports: a chart's menu click becomes a request that carries what only the browser
 * knows, the chart as the user sees it: its zoom and pan (the axis ranges the graph's relayout
 * left in its layout, so several zooms add up), the legend entries the user hid, and its size.
 * The server checks every part of it; see exports/collect.py.
 */
(function () {
    "use strict";

    function viewState(chart) {
        var card = document.querySelector('[data-export="' + CSS.escape(chart) + '"]');
        var graph = card && card.querySelector(".js-plotly-plot");
        if (!graph || !graph.layout) { return {}; }
        var relayout = {};
        Object.keys(graph.layout).forEach(function (key) {
            var axis = graph.layout[key];
            if (/^[xy]axis\d{0,2}$/.test(key) && axis && axis.autorange === false && Array.isArray(axis.range)) {
                relayout[key + ".range"] = axis.range.slice(0, 2);
            }
        });
        var hidden = (graph.data || []).filter(function (trace) {
            return trace.visible === "legendonly" && trace.name;
        }).map(function (trace) { return String(trace.name); });
        var full = graph._fullLayout || {};
        return {relayout: relayout, hidden: hidden, hiddenlabels: (graph.layout.hiddenlabels || []).map(String),
                size: [Math.round(full.width || 0), Math.round(full.height || 0)]};
    }

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        exports: {
            // Menu item clicks -> the page's request store: {chart, fmt, view, at}.
            request: function () {
                var fired = window.dash_clientside.callback_context.triggered;
                if (!fired || !fired.length || !fired[0].value) { return window.dash_clientside.no_update; }
                var id = JSON.parse(fired[0].prop_id.slice(0, fired[0].prop_id.lastIndexOf(".")));
                return {chart: id.chart, fmt: id.fmt, view: viewState(id.chart), at: Date.now()};
            },
            // The custom dates are only asked for when "Custom dates" is the range.
            datesDisabled: function (rangeKey) {
                return rangeKey !== "custom";
            }
        }
    });
})();
