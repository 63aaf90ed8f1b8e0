import dash
from dash import dcc, html

dash.register_page(__name__, path="/404", title="Not found · Pulseboard")


def layout(**_query):
    return html.Div(
        [html.Div("404", className="pb-404-code"),
         html.H1("This page doesn't exist", className="pb-404-title"),
         html.P("The link may be old, or the page may have moved.", className="pb-404-text"),
         dcc.Link("Back to the overview", href="/", className="btn btn-primary")],
        className="pb-404", id="pb-not-found",
    )
