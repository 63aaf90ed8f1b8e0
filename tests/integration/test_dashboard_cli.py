"""Dashboards as files on the command line: import, export and list, through Flask's CLI runner."""

from __future__ import annotations

import json

from data import dashboards as store
from data.dashboard_spec import parse_document
from tests.integration.test_dashboard_store import SALES_WIDGET, accounts_of, sales_document


def run(app, *args: str):
    return app.server.test_cli_runner().invoke(args=["dashboards", *args])


def write(tmp_path, name: str, document: dict | str) -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document, indent=2))
    return str(path)


def test_import_prints_only_the_new_id_and_the_owner_is_the_given_user(app, database, tmp_path):
    file = write(tmp_path, "sales.json", {**sales_document(), "id": 77, "owner": "ada@example.com"})
    result = run(app, "import", file, "--owner", "Editor@Example.com")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().isdigit() and result.stdout == f"{int(result.stdout)}\n"
    with database.session() as session:
        record = store.load_dashboard(session, accounts_of(database)["editor"], int(result.stdout))
    assert (record.owner_name, record.version, record.access) == ("Edith Editor", 1, "manage")


def test_export_writes_exactly_the_imported_document_to_stdout(app, tmp_path):
    canonical = parse_document(sales_document(notes=True)).to_json()
    file = write(tmp_path, "sales.json", canonical)
    dashboard_id = run(app, "import", file, "--owner", "alan@example.com").stdout.strip()
    exported = run(app, "export", dashboard_id)
    assert exported.exit_code == 0, exported.output
    assert exported.stdout == json.dumps(canonical, indent=2) + "\n"
    # And back again: the exported file imports to a dashboard that exports identically.
    again = write(tmp_path, "again.json", exported.stdout)
    second_id = run(app, "import", again, "--owner", "alan@example.com").stdout.strip()
    assert second_id != dashboard_id and run(app, "export", second_id).stdout == exported.stdout


def test_list_shows_id_title_owner_and_version_of_every_dashboard(app, tmp_path):
    first = run(app, "import", write(tmp_path, "a.json", sales_document("Sales pulse")),
                "--owner", "alan@example.com").stdout.strip()
    second = run(app, "import", write(tmp_path, "b.json", sales_document("Edith's board")),
                 "--owner", "editor@example.com").stdout.strip()
    result = run(app, "list")
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["id", "title", "owner", "version", "updated", "(UTC)"]
    assert rows[0].split()[:5] == [second, "Edith's", "board", "Edith", "Editor"]
    assert rows[1].split()[:6] == [first, "Sales", "pulse", "Alan", "Analyst", "1"]
    assert len(rows) == 2


def test_export_of_an_unknown_dashboard_fails_with_a_message(app):
    result = run(app, "export", "999")
    assert result.exit_code == 1 and result.stdout == ""
    assert "does not exist" in result.output


def test_import_of_a_malformed_file_fails_clearly_and_creates_nothing(app, tmp_path):
    unknown_type = {**sales_document(), "widgets": [{**SALES_WIDGET, "type": "gauge"}]}
    failures = [
        (write(tmp_path, "broken.json", "{not json"), "alan@example.com", "not valid JSON"),
        (write(tmp_path, "gauge.json", unknown_type), "alan@example.com", "widgets[0].type"),
        (write(tmp_path, "good.json", sales_document()), "nobody@example.com",
         "no user with the email nobody@example.com"),
        (write(tmp_path, "good.json", sales_document()), "vera@example.com",
         "Only analysts and admins can import dashboards"),
    ]
    for file, owner, message in failures:
        result = run(app, "import", file, "--owner", owner)
        assert result.exit_code == 1 and result.stdout == "", result.output
        assert message in result.output
    assert "The file is not a valid dashboard" in run(app, "import", failures[1][0], "--owner",
                                                      "alan@example.com").output
    assert "No dashboards yet" in run(app, "list").stdout
