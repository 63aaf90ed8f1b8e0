import dash

from components.states import coming_soon, page_header

dash.register_page(__name__, path="/", name="Overview", title="Overview · Pulseboard", order=0)


def layout(**_query):
    return [
        page_header("Overview", "A live picture of the business."),
        coming_soon(
            "bi-activity", "Live KPIs are on their way",
            "The demo business is loaded and its live feed is running. This page will show it.",
            ["Revenue, orders, average order value, margin, forecast attainment, active customers",
             "Revenue per minute streaming in as orders arrive",
             "Revenue by region, category mix, forecast versus actual, top customers and products",
             "Filters for period, region, category and segment that live in the URL"],
        ),
    ]
