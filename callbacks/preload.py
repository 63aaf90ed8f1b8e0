"""Load plotly.js while each page's own callback runs on the server (assets/js/plotly_preload.js)."""

from dash import ClientsideFunction, Input, clientside_callback

from components import ids

clientside_callback(ClientsideFunction("plotly", "preload"), Input(ids.URL, "pathname"))
