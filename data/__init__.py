"""Storage and queries: engine and session, ORM models, migrations, demo data and the demo feed.

Nothing in this package imports Dash or Flask.
"""
