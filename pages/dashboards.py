import dash

from components.states import coming_soon, page_header

dash.register_page(__name__, path="/dashboards", name="Dashboards",
                   title="Dashboards · Pulseboard", order=1)


def layout(**_query):
    return [
        page_header("Dashboards", "Build, share and version your own dashboards."),
        coming_soon(
            "bi-grid-1x2", "The dashboard builder is coming",
            "Compose dashboards from charts, KPI cards, tables and notes on a drag-and-resize grid.",
            ["Mine, shared with me and public dashboards, with search",
             "Every save kept as a version you can preview and restore",
             "Sharing with teammates and read-only public links",
             "Dashboards as JSON files you can keep in git"],
        ),
    ]
