import dash

from components.overview import overview_body
from components.states import page_header
from context import cache, database, now
from data.datasets import FORECAST, SALES
from data.overview import KPIS
from data.overview_filters import OverviewFilters, filter_options, filters_to_json
from data.periods import PERIODS

dash.register_page(__name__, path="/", name="Overview", title="Overview · Pulseboard", order=0)


def layout(**query):
    options = filter_options(database().engine, cache())
    filters = OverviewFilters.from_query(query, {name: set(values) for name, values in options.items()})
    labels = [(name, (FORECAST if name == "attainment_pct" else SALES).measure(name).label)
              for name in KPIS]
    return [
        page_header("Overview", "A live picture of the business. Filters live in the URL, so "
                                "any view can be bookmarked and shared."),
        *overview_body(filters_to_json(filters), options, PERIODS, labels, now().date().isoformat()),
    ]
