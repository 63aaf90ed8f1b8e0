import dash

from components.states import coming_soon, page_header

dash.register_page(__name__, path="/reports", name="Reports", title="Reports · Pulseboard",
                   order=2)


def layout(**_query):
    return [
        page_header("Reports", "Exports and scheduled deliveries."),
        coming_soon(
            "bi-file-earmark-richtext", "Reports will collect here",
            "Every export you make, and every report delivered on a schedule, with its history.",
            ["One-click PNG, SVG, PDF, Excel and CSV from any chart",
             "Print-quality PDF reports and Excel workbooks with native charts",
             "Scheduled email reports and KPI alerts"],
        ),
    ]
