"""The dashboard repository on a real database: versions, compare-and-set saves, history, shares,
public links, files, and who may do what (SQLite, and PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing

import pytest
from sqlalchemy import func, select

from auth.account import Account
from data import dashboards as store
from data.dashboard_spec import DashboardSpec, SpecError, parse_document
from data.db import Database
from data.migrate import upgrade
from data.models import DashboardShare, DashboardVersion
from data.users import find_by_email
from tests.conftest import PEOPLE, seed_users

SALES_WIDGET = {"id": "w1", "type": "line", "title": "Revenue by day", "dataset": "sales",
                "measures": ["revenue"], "dimensions": ["region"], "time_grain": "day",
                "time_range": {"relative": "last_90_days"},
                "filters": [{"field": "category", "op": "in", "value": ["Bikes"]}],
                "refresh_seconds": 30, "options": {"stacked": False}}
NOTES_WIDGET = {"id": "notes", "type": "text", "options": {"markdown": "Read **me**"}}


def sales_document(title: str = "Sales pulse", notes: bool = False) -> dict:
    """A valid dashboard document as a file would hold it; `notes` adds a second (text) widget."""
    widgets = [SALES_WIDGET] + ([NOTES_WIDGET] if notes else [])
    layout = [{"i": "w1", "x": 0, "y": 0, "w": 6, "h": 4}]
    if notes:
        layout.append({"i": "notes", "x": 6, "y": 0, "w": 6, "h": 4})
    return {"schema_version": 1, "title": title,
            "filters": {"time_range": {"relative": "last_30_days"}, "region": ["EMEA"]},
            "widgets": widgets, "layout": layout}


def sales_spec(title: str = "Sales pulse", notes: bool = False) -> DashboardSpec:
    return parse_document(sales_document(title, notes))


def accounts_of(db: Database) -> dict[str, Account]:
    """One signed-in account per entry of PEOPLE, as the web layer would build them."""
    with db.session() as session:
        return {key: Account.from_user(find_by_email(session, email))
                for key, (email, _, _) in PEOPLE.items()}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request) -> Database:
    """The app's SQLite file, or a migrated PostgreSQL schema with the same people."""
    if request.param == "sqlite":
        return request.getfixturevalue("database")
    url = request.getfixturevalue("postgres_url")
    upgrade(url)
    postgres = Database(url)
    request.addfinalizer(postgres.dispose)
    seed_users(postgres)
    return postgres


@pytest.fixture
def people(db) -> dict[str, Account]:
    return accounts_of(db)


@pytest.fixture
def shared_dashboard(db, people) -> int:
    """Alan's dashboard, shared to edit with Edith (an analyst) and with Vera (a viewer)."""
    with db.session() as session:
        record = store.create_dashboard(session, people["analyst"], sales_spec())
        store.set_share(session, people["analyst"], record.id, PEOPLE["editor"][0], "edit")
        store.set_share(session, people["analyst"], record.id, PEOPLE["viewer"][0], "edit")
    return record.id


def outcome(db: Database, action) -> str:
    """Run `action(session)` and say how it ended: "ok", "forbidden" or "not found"."""
    try:
        with db.session() as session:
            action(session)
    except store.NotFound:
        return "not found"
    except store.Forbidden:
        return "forbidden"
    return "ok"


ACTIONS = {
    "view": lambda s, who, d: store.load_dashboard(s, who, d),
    "open builder": lambda s, who, d: store.load_dashboard(s, who, d, need="edit"),
    "save": lambda s, who, d: store.save_dashboard(s, who, d, sales_spec("Renamed"), 1),
    "history": lambda s, who, d: store.list_versions(s, who, d),
    "restore": lambda s, who, d: store.restore_version(s, who, d, 1, 1),
    "export": lambda s, who, d: store.export_document(s, who, d),
    "duplicate": lambda s, who, d: store.duplicate_dashboard(s, who, d),
    "share": lambda s, who, d: store.set_share(s, who, d, PEOPLE["stranger"][0], "view"),
    "publish": lambda s, who, d: store.publish(s, who, d),
    "revoke": lambda s, who, d: store.revoke_public(s, who, d),
    "delete": lambda s, who, d: store.delete_dashboard(s, who, d),
}
EVERYTHING = dict.fromkeys(ACTIONS, "ok")
NOTHING = dict.fromkeys(ACTIONS, "not found")
EDITOR = {**EVERYTHING, **dict.fromkeys(["share", "publish", "revoke", "delete"], "forbidden")}
VIEW_ONLY = {**dict.fromkeys(ACTIONS, "forbidden"), "view": "ok", "export": "ok"}


@pytest.mark.parametrize(("who", "expected"), [
    ("analyst", EVERYTHING),  # the owner
    ("admin", EVERYTHING),
    ("editor", EDITOR),  # an analyst with an edit share
    ("viewer", VIEW_ONLY),  # a viewer with an edit share: viewers never edit or duplicate
    ("stranger", NOTHING),
    (None, NOTHING),  # anonymous: only ever through a public link
])
def test_each_person_may_do_exactly_what_their_role_and_share_allow(db, people, who, expected):
    account = people[who] if who else None
    actual = {}
    for action, run in ACTIONS.items():
        with db.session() as session:  # a fresh dashboard per action, so none affects another
            dashboard_id = store.create_dashboard(session, people["analyst"], sales_spec()).id
            store.set_share(session, people["analyst"], dashboard_id, PEOPLE["editor"][0], "edit")
            store.set_share(session, people["analyst"], dashboard_id, PEOPLE["viewer"][0], "edit")
        actual[action] = outcome(db, lambda s, run=run, d=dashboard_id: run(s, account, d))
    assert actual == expected


def test_access_levels_reported_on_the_record_match_the_rules(db, people, shared_dashboard):
    levels = {}
    for who in ("analyst", "admin", "editor", "viewer"):
        with db.session() as session:
            levels[who] = store.load_dashboard(session, people[who], shared_dashboard).access
    assert levels == {"analyst": "manage", "admin": "manage", "editor": "edit", "viewer": "view"}
    demoted_owner = dataclasses.replace(people["analyst"], role="viewer")
    deactivated_admin = dataclasses.replace(people["admin"], active=False)
    with db.session() as session:
        assert store.load_dashboard(session, demoted_owner, shared_dashboard).access == "view"
        with pytest.raises(store.NotFound):
            store.load_dashboard(session, deactivated_admin, shared_dashboard)


def test_a_view_share_shows_the_dashboard_read_only_and_unsharing_hides_it_again(db, people):
    owner, stranger = people["analyst"], people["stranger"]
    with db.session() as session:
        dashboard_id = store.create_dashboard(session, owner, sales_spec()).id
        store.set_share(session, owner, dashboard_id, PEOPLE["stranger"][0], "view")
    with db.session() as session:
        assert store.load_dashboard(session, stranger, dashboard_id).access == "view"
        with pytest.raises(store.Forbidden, match="permission to edit"):
            store.save_dashboard(session, stranger, dashboard_id, sales_spec("Mine now"), 1)
    with db.session() as session:
        assert store.set_share(session, owner, dashboard_id, PEOPLE["stranger"][0], None) is None
    with db.session() as session, pytest.raises(store.NotFound):
        store.load_dashboard(session, stranger, dashboard_id)


def test_unknown_forged_or_malformed_ids_find_nothing(db, people, shared_dashboard):
    for forged in (shared_dashboard + 1000, "abc", "1 OR 1=1", -1, 0, 10**30, None, True, 1.0, [1]):
        with db.session() as session, pytest.raises(store.NotFound) as refused:
            store.load_dashboard(session, people["admin"], forged)
        assert str(refused.value) == "This dashboard does not exist, or you do not have access to it."
    with db.session() as session:
        assert store.load_dashboard(session, people["admin"], str(shared_dashboard)).id == shared_dashboard


def test_only_analysts_and_admins_create_or_import_dashboards(db, people):
    document = json.dumps(sales_document())
    for who in ("viewer", None):
        account = people[who] if who else None
        with db.session() as session, pytest.raises(store.Forbidden):
            store.create_dashboard(session, account, sales_spec())
        with db.session() as session, pytest.raises(store.Forbidden):
            store.import_document(session, account, document)
    with db.session() as session:
        assert store.list_dashboards(session, people["admin"], "all") == []


def test_a_new_dashboard_is_version_one_owned_by_its_creator_with_one_history_row(db, people):
    with db.session() as session:
        record = store.create_dashboard(session, people["editor"], sales_spec(notes=True), "First cut")
    assert (record.version, record.owner_name, record.updated_by_name) == (1, "Edith Editor", "Edith Editor")
    assert record.access == "manage" and record.widget_count == 2 and record.spec == sales_spec(notes=True)
    assert record.title == "Sales pulse" and not record.is_public and record.public_token is None
    with db.session() as session:
        loaded = store.load_dashboard(session, people["editor"], record.id)
        history = store.list_versions(session, people["editor"], record.id)
    assert loaded == record
    assert [(v.version, v.author_name, v.message, v.restored_from) for v in history] == [
        (1, "Edith Editor", "First cut", None)]


def test_saves_append_history_and_a_restore_writes_a_new_version_naming_its_source(db, people,
                                                                                   shared_dashboard):
    owner, editor = people["analyst"], people["editor"]
    with db.session() as session:
        second = store.save_dashboard(session, editor, shared_dashboard, sales_spec(notes=True), 1, "Notes")
        third = store.save_dashboard(session, owner, shared_dashboard, sales_spec("Renamed", True), 2)
    assert (second.version, second.updated_by_name, second.widget_count) == (2, "Edith Editor", 2)
    assert (third.version, third.title, third.updated_by_name) == (3, "Renamed", "Alan Analyst")
    with db.session() as session:
        restored = store.restore_version(session, editor, shared_dashboard, 1, base_version=3)
        history = store.list_versions(session, owner, shared_dashboard)
        first = store.load_version(session, owner, shared_dashboard, 1)
        with pytest.raises(store.NotFound, match="no version 9"):
            store.load_version(session, owner, shared_dashboard, 9)
    assert restored.version == 4 and restored.spec == sales_spec() == first
    assert [(v.version, v.author_name, v.message, v.restored_from) for v in history] == [
        (4, "Edith Editor", "Restored version 1", 1),
        (3, "Alan Analyst", None, None),
        (2, "Edith Editor", "Notes", None),
        (1, "Alan Analyst", None, None),
    ]


def test_stale_save_is_refused_naming_who_saved_and_nothing_is_lost(db):
    people = accounts_of(db)
    owner, editor = people["analyst"], people["editor"]
    with db.session() as session:
        dashboard_id = store.create_dashboard(session, owner, sales_spec()).id
        store.set_share(session, owner, dashboard_id, PEOPLE["editor"][0], "edit")
    # Both open the builder at version 1; Edith saves first.
    with db.session() as session:
        owners_start = store.load_dashboard(session, owner, dashboard_id, need="edit")
        editors_start = store.load_dashboard(session, editor, dashboard_id, need="edit")
    with db.session() as session:
        winner = store.save_dashboard(session, editor, dashboard_id, sales_spec("Edith's", True),
                                      editors_start.version)
    owners_work = sales_spec("Alan's")
    with db.session() as session, pytest.raises(store.StaleVersion) as refused:
        store.save_dashboard(session, owner, dashboard_id, owners_work, owners_start.version)
    stale = refused.value
    assert (stale.author, stale.saved_at, stale.version) == ("Edith Editor", winner.updated_at, 2)
    assert f"changed by Edith Editor at {winner.updated_at:%Y-%m-%d %H:%M} UTC" in str(stale)
    # Nothing is lost: Edith's save stands, and Alan saves his work as a copy.
    with db.session() as session:
        copy = store.create_dashboard(session, owner, owners_work, "Saved as a copy")
    with db.session() as session:
        current = store.load_dashboard(session, owner, dashboard_id)
        versions = store.list_versions(session, owner, dashboard_id)
        kept = store.load_dashboard(session, owner, copy.id)
    assert current.version == 2 and current.spec == sales_spec("Edith's", True)
    assert [v.version for v in versions] == [2, 1]
    assert kept.spec == owners_work


def save_in_rounds(url: str, email: str, dashboard_id: int, rounds: int, barrier, results) -> None:
    """In its own process: each round, read the version with the other process, then both save."""
    db = Database(url)
    try:
        with db.session() as session:
            account = Account.from_user(find_by_email(session, email))
        outcomes = []
        for round_number in range(rounds):
            barrier.wait(timeout=60)
            with db.session() as session:
                base = store.load_dashboard(session, account, dashboard_id, need="edit").version
            barrier.wait(timeout=60)  # both now hold the same base version; both save at once
            try:
                with db.session() as session:
                    store.save_dashboard(session, account, dashboard_id,
                                         sales_spec(f"{email} round {round_number}"), base)
                outcomes.append("saved")
            except store.StaleVersion as stale:
                outcomes.append(f"stale: {stale.author}")
        results.put((email, outcomes))
    except BaseException as error:
        barrier.abort()
        results.put((email, repr(error)))
    finally:
        db.dispose()


def test_two_processes_saving_the_same_version_at_once_never_both_win(db):
    people = accounts_of(db)
    with db.session() as session:
        dashboard_id = store.create_dashboard(session, people["analyst"], sales_spec()).id
        store.set_share(session, people["analyst"], dashboard_id, PEOPLE["editor"][0], "edit")
    rounds = 8
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    emails = [PEOPLE["analyst"][0], PEOPLE["editor"][0]]
    processes = [context.Process(target=save_in_rounds,
                                 args=(db.url, email, dashboard_id, rounds, barrier, results))
                 for email in emails]
    for process in processes:
        process.start()
    try:
        outcomes = dict(results.get(timeout=120) for _ in processes)
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
                process.join(timeout=10)
    for email in emails:
        assert isinstance(outcomes[email], list), outcomes[email]
    names = {PEOPLE["analyst"][0]: "Alan Analyst", PEOPLE["editor"][0]: "Edith Editor"}
    for round_number in range(rounds):
        first, second = (outcomes[email][round_number] for email in emails)
        assert sorted([first, second]) in (["saved", "stale: Edith Editor"],
                                           ["saved", "stale: Alan Analyst"]), (round_number, outcomes)
        loser = emails[0] if first != "saved" else emails[1]
        winner = emails[1] if loser == emails[0] else emails[0]
        assert outcomes[loser][round_number] == f"stale: {names[winner]}"
    with db.session() as session:
        final = store.load_dashboard(session, people["admin"], dashboard_id)
        history = store.list_versions(session, people["admin"], dashboard_id)
    assert final.version == rounds + 1 and [v.version for v in history] == list(range(rounds + 1, 0, -1))


def test_sharing_lists_names_and_refuses_the_owner_oneself_unknown_emails_and_odd_permissions(
        db, people, shared_dashboard):
    owner, admin = people["analyst"], people["admin"]
    with db.session() as session:
        store.set_share(session, owner, shared_dashboard, " Editor@Example.com ", "view")
        shares = store.list_shares(session, owner, shared_dashboard)
    assert [(s.display_name, s.email, s.permission) for s in shares] == [
        ("Edith Editor", "editor@example.com", "view"), ("Vera Viewer", "vera@example.com", "edit")]
    refusals = [
        (owner, PEOPLE["analyst"][0], "view", "owner already has full access"),
        (admin, PEOPLE["admin"][0], "edit", "cannot share a dashboard with yourself"),
        (owner, "nobody@example.com", "view", "no user with the email nobody@example.com"),
        (owner, PEOPLE["stranger"][0], "own", "to view or to edit"),
    ]
    for account, email, permission, message in refusals:
        with db.session() as session, pytest.raises(store.DashboardError, match=message):
            store.set_share(session, account, shared_dashboard, email, permission)


def test_a_public_link_shows_the_dashboard_read_only_until_revoked(db, people, shared_dashboard):
    owner, stranger = people["analyst"], people["stranger"]
    with db.session() as session:
        token = store.publish(session, owner, shared_dashboard)
        assert store.publish(session, owner, shared_dashboard) == token  # re-publishing keeps the link
    assert len(token) >= 43  # 32 random bytes, base64url: 256 bits
    with db.session() as session:
        public = store.load_public(session, token)
        seen_by_stranger = store.load_dashboard(session, stranger, shared_dashboard)
        managed = store.load_dashboard(session, owner, shared_dashboard)
        gallery = store.list_dashboards(session, people["viewer"], "public")
    assert public.access == "view" and public.is_public and public.public_token is None
    assert seen_by_stranger.access == "view" and seen_by_stranger.public_token is None
    assert managed.public_token == token
    assert [(d.id, d.is_public, d.access) for d in gallery] == [(shared_dashboard, True, "view")]
    with db.session() as session:
        store.revoke_public(session, owner, shared_dashboard)
    with db.session() as session:
        for guess in (token, "", "x" * 65, token[:-1]):
            with pytest.raises(store.NotFound):
                store.load_public(session, guess)
        with pytest.raises(store.NotFound):
            store.load_dashboard(session, stranger, shared_dashboard)
        assert store.publish(session, owner, shared_dashboard) != token  # a new link, not the old one


def test_gallery_tabs_list_mine_shared_and_public_newest_first_with_literal_search(db, people):
    owner, editor, viewer = people["analyst"], people["editor"], people["viewer"]
    with db.session() as session:
        sales = store.create_dashboard(session, owner, sales_spec("Sales pulse")).id
        margin = store.create_dashboard(session, owner, sales_spec("Margin 100%_check", True)).id
        other = store.create_dashboard(session, owner, sales_spec("Other")).id
        edith_own = store.create_dashboard(session, editor, sales_spec("Edith's own")).id
        store.set_share(session, owner, margin, PEOPLE["editor"][0], "edit")
        store.publish(session, owner, other)
        store.save_dashboard(session, owner, sales, sales_spec("Sales pulse"), 1)  # newest edit

    def listed(account, tab, search=""):
        with db.session() as session:
            return [(d.id, d.access) for d in store.list_dashboards(session, account, tab, search)]

    assert listed(owner, "mine") == [(sales, "manage"), (other, "manage"), (margin, "manage")]
    assert listed(editor, "mine") == [(edith_own, "manage")]
    assert listed(editor, "shared") == [(margin, "edit")]
    assert listed(viewer, "shared") == [] and listed(viewer, "mine") == []
    assert listed(viewer, "public") == [(other, "view")]
    assert listed(people["stranger"], "public") == [(other, "view")] and listed(None, "public") == []
    assert listed(owner, "mine", "SALES") == [(sales, "manage")]
    assert listed(owner, "mine", "100%") == [(margin, "manage")]
    assert listed(owner, "mine", "%") == [(margin, "manage")]
    assert listed(owner, "mine", "_") == [(margin, "manage")]
    assert listed(owner, "mine", "nothing like it") == []
    assert [d for d, _ in listed(people["admin"], "all")] == [sales, edith_own, other, margin]
    with db.session() as session:
        summary = store.list_dashboards(session, editor, "shared")[0]
        with pytest.raises(store.Forbidden):
            store.list_dashboards(session, owner, "all")
    assert (summary.title, summary.owner_name, summary.widget_count, summary.shared_with_me,
            summary.is_public, summary.version) == ("Margin 100%_check", "Alan Analyst", 2, True, False, 1)


def test_import_ignores_ids_owner_shares_token_and_version_from_the_file(db, people):
    planted = {**sales_document(), "id": 1, "owner": "ada@example.com", "owner_id": 1,
               "shares": [{"email": "stranger@example.com", "permission": "edit"}],
               "public_token": "planted-token-planted-token", "version": 42,
               "pulseboard": {"exported_from": "elsewhere"}}
    with db.session() as session:
        record = store.import_document(session, people["editor"], json.dumps(planted).encode())
    assert (record.owner_name, record.version, record.is_public) == ("Edith Editor", 1, False)
    assert record.spec == sales_spec()
    with db.session() as session:
        assert store.list_shares(session, people["editor"], record.id) == []
        with pytest.raises(store.NotFound):
            store.load_public(session, "planted-token-planted-token")
        with pytest.raises(store.NotFound):
            store.load_dashboard(session, people["stranger"], record.id)


def test_import_of_an_invalid_document_explains_why_and_creates_nothing(db, people):
    unknown_type = {**sales_document(), "widgets": [{**SALES_WIDGET, "type": "gauge"}]}
    cases = {
        "{not json": "not valid JSON",
        "[1, 2]": "is a JSON object",
        json.dumps(unknown_type): "widgets[0].type",
        json.dumps({**sales_document(), "owner": "x", "colour": "red"}): "colour",
    }
    for text, problem in cases.items():
        with db.session() as session, pytest.raises(SpecError) as refused:
            store.import_document(session, people["analyst"], text)
        assert any(problem in line for line in refused.value.problems), refused.value.problems
    with db.session() as session:
        assert store.list_dashboards(session, people["admin"], "all") == []


def test_export_holds_the_spec_only_and_imports_back_to_the_same_document(db, people,
                                                                         shared_dashboard):
    with db.session() as session:
        store.publish(session, people["analyst"], shared_dashboard)
        text = store.export_document(session, people["viewer"], shared_dashboard)
        copy = store.import_document(session, people["editor"], text)
        again = store.export_document(session, people["editor"], copy.id)
    assert json.loads(text) == sales_spec().to_json() and text == again
    assert not {"id", "owner", "owner_id", "shares", "public_token", "version"} & set(json.loads(text))


def test_duplicate_is_a_new_dashboard_owned_by_whoever_copied_it(db, people, shared_dashboard):
    with db.session() as session:
        store.publish(session, people["analyst"], shared_dashboard)
        copy = store.duplicate_dashboard(session, people["editor"], shared_dashboard)
        named = store.duplicate_dashboard(session, people["admin"], shared_dashboard, "Ada's take")
        original = store.load_dashboard(session, people["analyst"], shared_dashboard)
        copy_shares = store.list_shares(session, people["editor"], copy.id)
    assert copy.id != shared_dashboard and (copy.owner_name, copy.version, copy.access) == (
        "Edith Editor", 1, "manage")
    assert copy.title == "Copy of Sales pulse" and not copy.is_public and copy_shares == []
    assert named.title == "Ada's take" and named.owner_name == "Ada Admin"
    assert original.version == 1 and original.title == "Sales pulse"


def test_deleting_removes_the_dashboard_with_its_history_and_shares(db, people, shared_dashboard):
    with db.session() as session:
        store.save_dashboard(session, people["editor"], shared_dashboard, sales_spec(notes=True), 1)
        store.delete_dashboard(session, people["analyst"], shared_dashboard)
    with db.session() as session:
        with pytest.raises(store.NotFound):
            store.load_dashboard(session, people["admin"], shared_dashboard)
        for table in (DashboardVersion, DashboardShare):
            left = session.scalar(select(func.count()).select_from(table)
                                  .where(table.dashboard_id == shared_dashboard))
            assert left == 0
