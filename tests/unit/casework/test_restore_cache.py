"""The incremental snapshot writer gives exactly the text of dehydrate + json.dumps, whatever happened in between."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from apm import NavSource, Workspace
from apm.snapshot import dehydrate, rehydrate
from casework.restore_cache import SnapshotWriter
from casework.statedb import MemoryConnector, RestoreStore, StorageFull

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "apm"))
import test_apm_state_machine as machine  # noqa: E402 - the model's own state machine (tests/unit/apm)


def full_text(ws: Workspace, views=None, extras=None) -> str:
    data = dehydrate(ws, saved_at="", view_state=views, extras=extras)["data"]
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def busy_workspace() -> Workspace:
    ws = Workspace()
    for n in range(3):
        ws.open_record("incident", f"c-{n}", NavSource.HOME, title=f"Case {n} é")
        ws.create_tab("msdyn_search", {"searchText": f"q{n}"})
        ws.open_record("contact", f"p-{n}", NavSource.TIMELINE, attributes={"fullname": "Ann"})
    return ws


def test_the_text_is_the_full_text_and_follows_every_change():
    ws = busy_workspace()
    writer = SnapshotWriter()
    views = {tab_id: {"scroll": n, "draft": {"text": "ü" * n}} for n, tab_id in enumerate(ws.tabs)}
    extras = {sid: {"script": {"step": 1}} for sid in ws.sessions}
    assert writer.body(ws, views, extras) == (full_text(ws, views, extras), ())
    tab_id = next(t for t in ws.tabs if ws.tabs[t].can_close and not ws.tabs[t].is_anchor)
    ws.set_tab_title(tab_id, "Renamed")
    views[tab_id]["draft"]["text"] = "typed in place"  # a page mutating its state in place is seen too
    session_id = ws.focused_session_id
    ws.update_context(session_id, {"caseTitle": "New"})
    ws.focus_session("home")
    assert writer.body(ws, views, extras) == (full_text(ws, views, extras), ())
    ws.close_tab(tab_id)
    del views[tab_id]
    assert writer.body(ws, views, None) == (full_text(ws, views), ())


def test_entries_that_are_not_json_objects_are_skipped_with_the_stores_notes():
    ws = busy_workspace()
    tab_id = next(iter(ws.tabs))
    text, skipped = SnapshotWriter().body(ws, {tab_id: {"n": float("nan")}, "gone": {}}, {"home": [1]})
    assert text == full_text(ws)
    assert skipped == (f"The view state of tab {tab_id!r} is not a JSON object and was not saved.",
                       "The extras of session 'home' is not a JSON object and was not saved.")


def test_the_store_saves_incrementally_and_still_trims_when_storage_is_full():
    ws = busy_workspace()
    connector = MemoryConnector()
    store = RestoreStore(connector, origin="http://x", user="u", workspace_id="w")
    store.load()
    views = {tab_id: {"draft": {"text": "x" * 2000}, "touched_at": n} for n, tab_id in enumerate(ws.tabs)}
    assert store.save(ws, views).reason == "saved"
    assert json.loads(connector.data[store.key])["data"] == json.loads(full_text(ws, views))
    assert store.save(ws, views).reason == "unchanged"
    connector.capacity = connector.used() - 3000
    result = store.save(ws, {**views, next(iter(ws.tabs)): {"draft": {"text": "y" * 2000}}})
    assert result and result.trimmed
    restored = rehydrate(connector.data[store.key])
    assert not restored.quarantine and set(restored.workspace.tabs) == set(ws.tabs)


def test_a_write_refused_for_room_falls_back_to_the_full_path():
    class FullOnce(MemoryConnector):
        def save(self, key, text):
            if not self.writes:
                self.writes += 1
                raise StorageFull("no room")
            super().save(key, text)

    ws = busy_workspace()
    store = RestoreStore(FullOnce(), origin="http://x", user="u", workspace_id="w")
    store.load()
    tab_id = next(iter(ws.tabs))
    result = store.save(ws, {tab_id: {"draft": {"a": 1}}})
    assert result.reason == "saved" and not result.trimmed  # the full path's own attempt fitted
    assert store.connector.data[store.key].endswith(full_text(ws, {tab_id: {"draft": {"a": 1}}}) + "}")


class WriterMachine(machine.WorkspaceMachine):
    """Every state reachable by the model's API (and view states changed anew or in place) gives the full text."""

    @rule(pick=machine.PICK, draft=st.dictionaries(st.text(max_size=3), st.integers() | st.text(max_size=3)),
          in_place=st.booleans())
    def edit_view_state(self, pick, draft, in_place):
        tab_id = self.tab_id(pick)
        views = self.__dict__.setdefault("views", {})
        if tab_id not in self.ws.tabs:
            return
        if in_place and tab_id in views:
            views[tab_id]["draft"] = draft
        else:
            views[tab_id] = {"draft": draft}

    @invariant()
    def incremental_text_is_the_full_text(self):
        writer = self.__dict__.setdefault("writer", SnapshotWriter())
        views = {k: v for k, v in self.__dict__.get("views", {}).items() if k in self.ws.tabs}
        assert writer.body(self.ws, views) == (full_text(self.ws, views), ())


WriterMachine.TestCase.settings = settings(
    max_examples=30, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_writer_state_machine = WriterMachine.TestCase
