// plotly.js with only the traces Pulseboard's widgets draw on screen: the same version as the
// Python plotly package (7.1 pairs with plotly.js 4.1.1), so figures mean the same on both sides.
var Plotly = require("plotly.js/lib/core");

Plotly.register([
    require("plotly.js/lib/scatter"),   // line, area, scatter, sparklines (core includes it)
    require("plotly.js/lib/bar"),
    require("plotly.js/lib/pie"),
    require("plotly.js/lib/heatmap"),
    require("plotly.js/lib/indicator"), // KPI cards
]);

window.Plotly = Plotly;
