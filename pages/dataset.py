import dash
from dash import dcc

from auth.account import current_account
from components import ids
from components.dataset_editor import (
    columns_card,
    dataset_header,
    definition_card,
    editor_card,
    facts_of,
    no_access,
    page_body,
    preview_cards,
)
from context import database
from data.connections import kind_of
from data.dataset_store import NoAccess, get_dataset_info
from data.datasets import BUILT_IN, Dataset

# No order: exact paths under /data (such as /data/connections, which has one) match before this template.
dash.register_page(__name__, path_template="/data/<name>", name="Dataset", title="Dataset · Pulseboard")


def built_in(dataset: Dataset) -> list:
    types = {column.name: kind_of(column.type) for column in dataset.table.columns}
    definition = definition_card(dataset.time_column, list(dataset.dimensions.values()),
                                 list(dataset.measures.values()), types)
    return page_body(dataset_header(dataset.label, ["Built in", "demo data"], editable=False), definition,
                     columns_card(list(types.items()), dataset.time_column), [])


def layout(name=None, **_query):
    if name in BUILT_IN:
        return built_in(BUILT_IN[name])
    try:
        with database().session() as session:
            info = get_dataset_info(session, current_account(), name)
    except NoAccess as error:
        return no_access(str(error))
    definition = info.definition
    types = definition.column_types()
    header = dataset_header(info.label, facts_of(info.source, info.row_count, info.refreshed_at,
                                                 info.owner_name), info.may_manage)
    stores = [dcc.Store(id=ids.DS_REF, data={"name": info.name}),
              dcc.Store(id=ids.DS_COLUMNS, data=types)]
    if info.may_manage:
        # The draft is filled by the editor's controls as they mount, which also draws the preview.
        stores.append(dcc.Store(id={"type": ids.DS_DRAFT, "mode": "edit"}))
        body = editor_card(definition)
    else:
        draft = definition.model_dump(mode="json", include={"time_column", "dimensions", "measures"})
        stores.append(dcc.Store(id={"type": ids.DS_DRAFT, "mode": "read"}, data=draft))
        body = definition_card(definition.time_column, definition.dimensions, definition.measures, types)
    columns = columns_card(list(types.items()), definition.time_column)
    return [*stores, *page_body(header, body, columns, preview_cards())]
