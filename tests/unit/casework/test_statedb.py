"""Restore storage: connector, keys, load/quarantine, save refused before load, storage-full trimming, debouncer."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apm import NavSource, Workspace
from apm.snapshot import SCHEMA_VERSION, dehydrate, workspace_problems
from casework.statedb import (
    KEY_PREFIX,
    Debouncer,
    MemoryConnector,
    RestoreStore,
    StorageFull,
    escape_part,
    list_workspaces,
    restore_key,
    unescape_part,
    user_prefix,
)

ORIGIN = "https://casework.example:8443"


class Clock:
    """An injectable clock giving increasing ISO timestamps."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"2026-11-27T21:{self.n // 60:02d}:{self.n % 60:02d}.000Z"


def make_store(connector=None, *, workspace_id="w-1", user="agent-7", **kwargs) -> RestoreStore:
    return RestoreStore(
        connector if connector is not None else MemoryConnector(),
        origin=ORIGIN,
        user=user,
        workspace_id=workspace_id,
        clock=kwargs.pop("clock", Clock()),
        **kwargs,
    )


def busy_workspace(sessions: int = 3, tabs: int = 3) -> Workspace:
    ws = Workspace()
    for n in range(sessions):
        ws.open_record("incident", f"c-{n}", NavSource.HOME, title=f"Case {n}")
        for m in range(tabs):
            ws.open_record("contact", f"p-{n}-{m}", NavSource.TIMELINE)
    return ws


# --- Connector ------------------------------------------------------------------------------


def test_memory_connector_fetches_saves_removes_and_lists_by_prefix():
    c = MemoryConnector()
    assert c.fetch("a") is None
    c.save("a:1", "x")
    c.save("a:2", "y")
    c.save("b:1", "z")
    assert c.fetch("a:1") == "x" and c.list("a:") == ["a:1", "a:2"]
    c.remove("a:1")
    c.remove("missing")
    assert c.list("a:") == ["a:2"]


def test_memory_connector_with_a_capacity_raises_storage_full_and_writes_nothing():
    c = MemoryConnector(capacity=40)
    c.save("k", "0123456789")  # 22 bytes in UTF-16
    with pytest.raises(StorageFull):
        c.save("j", "0123456789")
    assert c.list("") == ["k"]
    c.save("k", "01234567890123456")  # replacing counts only the new size
    assert c.used() == 36


# --- Keys ------------------------------------------------------------------------------------


def test_keys_are_namespaced_by_origin_user_and_workspace():
    key = restore_key(ORIGIN, "agent-7", "w-1")
    assert key == f"{KEY_PREFIX}:https%3A//casework.example%3A8443:agent-7:w-1"
    assert key.startswith(user_prefix(ORIGIN, "agent-7"))
    assert restore_key(ORIGIN, "agent-8", "w-1") != key
    assert restore_key("https://other.example", "agent-7", "w-1") != key


@given(st.text())
def test_key_parts_escape_and_unescape(text):
    assert ":" not in escape_part(text)
    assert unescape_part(escape_part(text)) == text


def test_two_agents_on_one_machine_never_see_each_other():
    c = MemoryConnector()
    mine, theirs = make_store(c, user="ann"), make_store(c, user="bob")
    mine.load(), theirs.load()
    ws = busy_workspace(1, 1)
    assert mine.save(ws)
    assert theirs.load().fresh
    assert [w.workspace_id for w in theirs.list_workspaces()] == []


# --- Load -------------------------------------------------------------------------------------


def test_save_is_refused_until_load_has_finished():
    c = MemoryConnector()
    store = make_store(c)
    result = store.save(busy_workspace(1, 1))
    assert not result and result.saved is False and result.reason == "not_restored"
    assert c.data == {}
    store.load()
    assert store.save(busy_workspace(1, 1)).reason == "saved"


def test_load_then_save_then_load_restores_the_workspace_and_view_state():
    c = MemoryConnector()
    store = make_store(c)
    assert store.load().fresh
    ws = busy_workspace()
    views = {"tab-2": {"draft": {"subject": "half"}, "touched_at": 3}}
    result = store.save(ws, views, {"session-1": {"script": 2}})
    assert result.reason == "saved" and result.size == len(c.fetch(store.key))
    text = c.fetch(store.key)
    assert text.startswith(f'{{"schema":{SCHEMA_VERSION},"saved_at":"2026-')
    again = make_store(c).load()
    assert again.workspace.snapshot() == ws.snapshot()
    assert again.view_state == views and again.extras == {"session-1": {"script": 2}}
    assert not again.fresh and not again.quarantine


def test_non_ascii_text_is_stored_as_is_to_spare_the_quota():
    c = MemoryConnector()
    store = make_store(c)
    store.load()
    ws = busy_workspace(1, 0)
    ws.set_session_title("session-1", "Café 日本")
    store.save(ws, {"tab-1": {"draft": "résumé"}})
    text = c.fetch(store.key)
    assert "Café 日本" in text and "résumé" in text and "\\u" not in text
    assert make_store(c).load().workspace.sessions["session-1"].title == "Café 日本"


def test_an_unchanged_workspace_is_not_written_again():
    c = MemoryConnector()
    store = make_store(c)
    store.load()
    ws = busy_workspace(1, 1)
    assert store.save(ws).reason == "saved"
    writes = c.writes
    assert store.save(ws).reason == "unchanged" and c.writes == writes
    ws.focus_session("home")
    assert store.save(ws).reason == "saved" and c.writes == writes + 1


def test_corrupt_data_is_quarantined_never_deleted_and_the_rest_restored():
    c = MemoryConnector()
    store = make_store(c)
    store.load()
    ws = busy_workspace(2, 1)
    store.save(ws)
    payload = json.loads(c.fetch(store.key))
    payload["data"]["sessions"][2]["template_name"] = "msdyn_retired"
    raw = json.dumps(payload)
    c.save(store.key, raw)
    reload = make_store(c)
    result = reload.load()
    assert result.quarantine and not result.fresh
    assert list(result.workspace.sessions) == ["home", "session-1"]
    assert reload.quarantine_key == f"{store.key}:quarantine:{escape_part(payload['saved_at'])}"
    assert c.fetch(reload.quarantine_key) == raw
    # The next save overwrites the slot, never the quarantine; a second reload does not duplicate it.
    assert reload.save(result.workspace)
    assert c.fetch(reload.quarantine_key) == raw
    assert make_store(c).load().quarantine is False
    assert reload.quarantine_keys() == [reload.quarantine_key]


def test_truncated_text_is_quarantined_under_a_timestamp_and_boot_goes_on():
    c = MemoryConnector()
    store = make_store(c)
    c.save(store.key, '{"schema":1,"saved_at":"2026-11-27T20:00:00.000Z","data":{"sess')
    result = store.load()
    assert result.fresh and result.quarantine and workspace_problems(result.workspace) == []
    assert c.fetch(store.quarantine_key).endswith('"sess')
    assert store.quarantine_key.endswith(":quarantine:2026-11-27T20%3A00%3A00.000Z")
    c.save(store.key, "garbage that has no date")
    store2 = make_store(c, clock=lambda: "T-now")
    store2.load()
    assert store2.quarantine_key == f"{store.key}:quarantine:T-now"
    assert len(store2.quarantine_keys()) == 2


def test_different_raw_texts_with_the_same_stamp_get_their_own_quarantine_keys():
    c = MemoryConnector()
    for text in ("bad one", "bad two", "bad one"):
        store = make_store(c, clock=lambda: "same")
        c.save(store.key, text)
        store.load()
    assert len(store.quarantine_keys()) == 2


def test_a_future_schema_is_kept_aside_and_a_fresh_workspace_is_used():
    c = MemoryConnector()
    store = make_store(c)
    raw = json.dumps({"schema": SCHEMA_VERSION + 5, "saved_at": "2030-01-01T00:00:00Z", "data": {"x": 1}})
    c.save(store.key, raw)
    result = store.load()
    assert result.fresh and result.quarantine and "newer version" in result.dropped[0]
    assert c.fetch(store.quarantine_key) == raw


def test_when_the_quarantine_itself_does_not_fit_the_raw_text_stays_in_memory():
    c = MemoryConnector()
    store = make_store(c)
    c.save(store.key, "x" * 100)
    c.capacity = c.used() + 10
    result = store.load()
    assert result.quarantine and store.unkept_text == "x" * 100
    assert "could not be kept aside" in result.dropped[-1]


def test_a_connector_that_throws_on_read_gives_a_fresh_workspace_and_allows_saving():
    class Broken(MemoryConnector):
        def fetch(self, key):
            raise PermissionError("SecurityError: storage disabled")

    store = make_store(Broken())
    result = store.load()
    assert result.fresh and "could not be read" in result.dropped[0]
    assert store.restored


def test_load_uses_todays_limits_and_templates():
    c = MemoryConnector()
    store = make_store(c)
    store.load()
    store.save(busy_workspace(5, 5))
    result = make_store(c, max_sessions=3, max_tabs=2).load()
    assert len(result.workspace.sessions) == 3
    assert all(len(s.tab_ids) <= 2 for s in result.workspace.sessions.values())
    assert result.quarantine


# --- Save: bad entries and storage full --------------------------------------------------------------


def test_view_state_entries_that_are_not_json_are_skipped_not_fatal():
    c = MemoryConnector()
    store = make_store(c)
    store.load()
    ws = busy_workspace(1, 1)
    views = {"tab-1": {"ok": True}, "tab-2": {"bad": {1, 2}}, "tab-404": {"gone": 1}, "home-dashboard": "text"}
    result = store.save(ws, views, {"session-1": {"n": float("nan")}})
    assert result.reason == "saved" and len(result.skipped) == 3
    assert make_store(c).load().view_state == {"tab-1": {"ok": True}}


def test_storage_full_trims_the_oldest_drafts_first_and_reports_them():
    ws = busy_workspace(2, 2)
    base = len(json.dumps(dehydrate(ws, saved_at="x")))
    views = {
        "tab-1": {"draft": "a" * 400, "touched_at": 30, "scroll": 1},
        "tab-2": {"draft": "b" * 400, "touched_at": 10},
        "tab-3": {"draft": "c" * 400, "touched_at": 20},
        "tab-4": {"filter": "open"},
    }
    c = MemoryConnector()
    store = make_store(c)
    store.load()
    # Room for the workspace and roughly one draft.
    c.capacity = 2 * (len(store.key) + base + 600)
    result = store.save(ws, views)
    assert result.reason == "saved"
    assert [t.split("'")[1] for t in result.trimmed] == ["tab-2", "tab-3"]
    saved = make_store(c).load().view_state
    assert saved["tab-1"]["draft"] == "a" * 400
    assert "draft" not in saved["tab-2"] and "draft" not in saved["tab-3"] and saved["tab-4"] == {"filter": "open"}
    assert views["tab-2"]["draft"] == "b" * 400  # the live view state is untouched


def test_storage_full_with_equal_ages_trims_the_largest_draft_first():
    ws = busy_workspace(1, 1)
    views = {"tab-1": {"draft": "a" * 100}, "tab-2": {"draft": "b" * 900}}
    c = MemoryConnector()
    store = make_store(c)
    store.load()
    c.capacity = 2 * (len(store.key) + len(json.dumps(dehydrate(ws, saved_at="x"))) + 400)
    result = store.save(ws, views)
    assert result and len(result.trimmed) == 1 and "'tab-2'" in result.trimmed[0]


def test_storage_full_beyond_drafts_drops_view_state_then_extras_then_gives_up():
    ws = busy_workspace(1, 1)
    c = MemoryConnector()
    store = make_store(c)
    store.load()
    bare = len(json.dumps(dehydrate(ws, saved_at="x")))
    c.capacity = 2 * (len(store.key) + bare + 60)
    result = store.save(ws, {"tab-1": {"filter": "x" * 500}}, {"session-1": {"pane": "y" * 500}})
    assert result and len(result.trimmed) == 2
    assert "view state" in result.trimmed[0] and "productivity" in result.trimmed[1]
    c.capacity = 10
    ws.focus_session("home")
    result = store.save(ws)
    assert not result and result.reason == "storage_full"


def test_a_connector_error_on_save_is_reported_not_raised():
    class Broken(MemoryConnector):
        def save(self, key, text):
            raise OSError("disk")

    store = make_store(Broken())
    store.load()
    result = store.save(busy_workspace(1, 1))
    assert not result and result.reason == "error" and "disk" in result.error


def test_listeners_hear_every_write_and_cannot_break_it():
    c = MemoryConnector()
    store = make_store(c)
    heard = []
    store.subscribe(lambda kind, key: heard.append(kind))
    store.subscribe(lambda kind, key: 1 / 0)
    c.save(store.key, "junk")
    store.load()
    store.save(busy_workspace(1, 1))
    store.remove()
    assert heard == ["quarantined", "saved", "removed"]
    assert c.fetch(store.key) is None and store.quarantine_keys()


# --- Several browser tabs -------------------------------------------------------------------------------


def test_each_browser_tab_restores_its_own_slot_and_closed_ones_are_listed_newest_first():
    c = MemoryConnector()
    clock = Clock()
    first, second = make_store(c, workspace_id="w:1", clock=clock), make_store(c, workspace_id="w-2", clock=clock)
    first.load(), second.load()
    one, two = busy_workspace(1, 0), busy_workspace(2, 0)
    first.save(one)
    second.save(two)
    c.save(f"{first.key}:quarantine:x", "junk")
    listed = first.list_workspaces()
    assert [(w.workspace_id, w.saved_at) for w in listed] == [
        ("w-2", "2026-11-27T21:00:02.000Z"),
        ("w:1", "2026-11-27T21:00:01.000Z"),
    ]
    assert list_workspaces(c, user_prefix(ORIGIN, "agent-7")) == listed
    assert make_store(c, workspace_id="w:1").load().workspace.snapshot() == one.snapshot()
    assert make_store(c, workspace_id="w-2").load().workspace.snapshot() == two.snapshot()


def test_listing_tolerates_slots_it_cannot_read():
    c = MemoryConnector()
    prefix = user_prefix(ORIGIN, "agent-7")
    c.save(prefix + "a", "not json")
    c.save(prefix + "b", json.dumps({"data": {}, "saved_at": "2026-01-01"}))
    assert [(w.workspace_id, w.saved_at) for w in list_workspaces(c, prefix)] == [("b", "2026-01-01"), ("a", None)]


# --- Debouncer ------------------------------------------------------------------------------------------


def test_debouncer_waits_for_quiet_then_is_due():
    d = Debouncer(delay_ms=250, max_wait_ms=None)
    assert not d.pending and not d.due(0) and d.next_due(0) is None
    d.touch(1000)
    assert d.pending and not d.due(1249) and d.due(1250)
    assert d.next_due(1100) == 150
    d.touch(1200)
    assert not d.due(1300) and d.due(1450)
    d.done()
    assert not d.pending and not d.due(10_000)


def test_debouncer_saves_at_the_latest_after_max_wait_while_changes_keep_coming():
    d = Debouncer(delay_ms=250, max_wait_ms=1000)
    for now in range(0, 1000, 100):
        d.touch(now)
        assert not d.due(now)
    d.touch(1000)
    assert d.due(1000) and d.next_due(1000) == 0


@settings(max_examples=100)
@given(st.lists(st.floats(0, 5000, allow_nan=False), min_size=1, max_size=20))
def test_debouncer_is_due_exactly_delay_after_the_last_touch_or_max_wait_after_the_first(times):
    times = sorted(times)
    d = Debouncer(delay_ms=250, max_wait_ms=2000)
    for t in times:
        d.touch(t)
    expected = min(times[-1] + 250, times[0] + 2000)
    assert d.due_at() == expected
    assert d.due(expected) and not d.due(expected - 0.001)


def test_dropped_notes_become_one_short_notice():
    from casework.statedb import dropped_message

    assert dropped_message(["tab t-9 (unknown template)"]) == (
        "Your workspace was restored, except: tab t-9 (unknown template).")
    many = dropped_message([f"note {n}" for n in range(5)])
    assert many == "Your workspace was restored, except: note 0; note 1; note 2; and 2 more."
