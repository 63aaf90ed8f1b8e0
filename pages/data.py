import dash

from components.states import coming_soon, page_header

dash.register_page(__name__, path="/data", name="Data", title="Data · Pulseboard", order=3)


def layout(**_query):
    return [
        page_header("Data", "Datasets, uploads and database connections."),
        coming_soon(
            "bi-database", "Bring your own data",
            "The built-in demo datasets, sales and forecast, are ready. Your own data comes next.",
            ["CSV and Excel uploads with type detection and a preview",
             "Connections to PostgreSQL, MySQL, SQLite and DuckDB",
             "A semantic layer of measures and dimensions, with every aggregation in the database"],
        ),
    ]
