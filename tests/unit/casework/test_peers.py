"""Several browser tabs: slot choice (reload, new, duplicated), reopen offers, peer-edit bookkeeping."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from apm import NavSource, Workspace
from casework.peers import (
    BYE,
    EDITS,
    HELLO,
    PeerEdits,
    ReopenOffer,
    bye_message,
    choose_slot,
    closed_slots_to_prune,
    edits_message,
    offer_text,
    reopen_offers,
    summarize,
)
from casework.statedb import MemoryConnector, RestoreStore, user_prefix

ORIGIN = "http://127.0.0.1:8123"


def saved_slot(connector: MemoryConnector, workspace_id: str, sessions: int, stamp: str, user: str = "u1") -> None:
    ws = Workspace()
    for n in range(sessions):
        ws.open_record("incident", f"{workspace_id}-c{n}", NavSource.HOME, title=f"Case {n}")
        ws.open_record("contact", f"{workspace_id}-p{n}", NavSource.TIMELINE)
    store = RestoreStore(connector, origin=ORIGIN, user=user, workspace_id=workspace_id, clock=lambda: stamp)
    store.load()
    store.save(ws)


# --- slot choice -------------------------------------------------------------------------------


def test_a_reload_keeps_its_slot() -> None:
    choice = choose_slot("w-1", True, "w-new")
    assert (choice.workspace_id, choice.reason, choice.copy_from) == ("w-1", "own", None)


def test_a_new_browser_tab_gets_a_new_slot() -> None:
    for stored in (None, ""):
        choice = choose_slot(stored, None, "w-new")
        assert (choice.workspace_id, choice.reason, choice.copy_from) == ("w-new", "new", None)


def test_a_duplicated_browser_tab_takes_a_new_slot_starting_from_a_copy() -> None:
    choice = choose_slot("w-1", False, "w-new")
    assert (choice.workspace_id, choice.reason, choice.copy_from) == ("w-new", "duplicate", "w-1")


def test_without_any_locking_the_stored_slot_is_used() -> None:
    assert choose_slot("w-1", None, "w-new").workspace_id == "w-1"


@given(st.one_of(st.none(), st.text(max_size=5)), st.one_of(st.none(), st.booleans()))
def test_a_slot_held_elsewhere_is_never_chosen(stored: str | None, free: bool | None) -> None:
    choice = choose_slot(stored, free, "fresh-id")
    if free is False:
        assert choice.workspace_id != stored
    assert choice.workspace_id in (stored, "fresh-id")


# --- reopen offers -----------------------------------------------------------------------------


def test_offers_list_closed_workspaces_newest_first_without_live_own_or_empty_ones() -> None:
    connector = MemoryConnector()
    saved_slot(connector, "old", 2, "2026-11-27T08:00:00.000Z")
    saved_slot(connector, "newer", 3, "2026-11-27T09:30:00.000Z")
    saved_slot(connector, "live", 1, "2026-11-27T10:00:00.000Z")
    saved_slot(connector, "mine", 1, "2026-11-27T10:05:00.000Z")
    saved_slot(connector, "empty", 0, "2026-11-27T11:00:00.000Z")
    saved_slot(connector, "other-user", 4, "2026-11-27T12:00:00.000Z", user="u2")
    connector.save(user_prefix(ORIGIN, "u1") + "broken", '{"schema":1,"saved_at":"2026-11-27T13:00:00Z","data":')
    offers = reopen_offers(connector, user_prefix(ORIGIN, "u1"), live_ids={"live"}, own_id="mine")
    assert offers == [
        ReopenOffer("newer", "2026-11-27T09:30:00.000Z", 3, 6, ("Case 0", "Case 1", "Case 2")),
        ReopenOffer("old", "2026-11-27T08:00:00.000Z", 2, 4, ("Case 0", "Case 1")),
    ]
    assert offer_text(offers[0]) == "Case 0, Case 1, Case 2, saved 2026-11-27 09:30 UTC"
    unnamed = ReopenOffer("u", "2026-11-27T09:30:00.000Z", 3, 6)
    assert offer_text(unnamed) == "3 sessions, 6 tabs, saved 2026-11-27 09:30 UTC"
    named = ReopenOffer("n", "2026-11-27T09:30:00.000Z", 4, 5, ("CAS-1 Jam", "CAS-2 Refund", "Ann", "Bob"))
    assert offer_text(named, "27 Nov, 10:30") == "CAS-1 Jam, CAS-2 Refund, Ann and 1 more, saved 27 Nov, 10:30"


def test_offers_are_capped() -> None:
    connector = MemoryConnector()
    for n in range(6):
        saved_slot(connector, f"w{n}", 1, f"2026-11-27T0{n}:00:00.000Z")
    offers = reopen_offers(connector, user_prefix(ORIGIN, "u1"), live_ids=(), own_id="x", limit=3)
    assert [o.workspace_id for o in offers] == ["w5", "w4", "w3"]


def test_closed_workspaces_beyond_the_newest_ten_or_older_than_thirty_days_are_pruned() -> None:
    connector = MemoryConnector()
    prefix = user_prefix(ORIGIN, "u1")
    for n in range(12):  # closed, saved on Nov 1..12
        saved_slot(connector, f"w{n:02}", 1, f"2026-11-{n + 1:02}T08:00:00.000Z")
    saved_slot(connector, "ancient", 1, "2026-09-01T08:00:00.000Z")
    saved_slot(connector, "live-old", 1, "2026-08-01T08:00:00.000Z")
    saved_slot(connector, "mine-old", 1, "2026-08-01T08:00:00.000Z")
    connector.save(prefix + "broken", '{"schema":1,"data":')  # unreadable: left for load to quarantine
    pruned = closed_slots_to_prune(connector, prefix, live_ids={"live-old"}, own_id="mine-old",
                                   now="2026-11-28T04:00:00.000Z")
    assert sorted(pruned) == sorted([prefix + "w00", prefix + "w01", prefix + "ancient"])
    for key in pruned:
        connector.remove(key)
    assert closed_slots_to_prune(connector, prefix, {"live-old"}, "mine-old", "2026-11-28T04:00:00.000Z") == []
    # a month later, every closed one is past its keep time; live, own and unreadable slots stay
    later = closed_slots_to_prune(connector, prefix, {"live-old"}, "mine-old", "2027-01-15T00:00:00.000Z")
    assert len(later) == 10 and prefix + "broken" not in later and prefix + "live-old" not in later


@given(st.text(max_size=200))
def test_summaries_of_any_text_never_raise(text: str) -> None:
    summary = summarize(text)
    assert summary is None or (summary[0] >= 0 and summary[1] >= 0)


# --- peer edits --------------------------------------------------------------------------------


def test_records_edited_in_another_tab_are_reported_for_records_open_here() -> None:
    peers = PeerEdits("me")
    assert peers.receive(edits_message("other", [("incident", "c-1"), ("contact", "p-1")])) == EDITS
    assert peers.receive(edits_message("third", [("incident", "c-1")], kind=HELLO)) == HELLO
    found = peers.edited_elsewhere([("incident", "c-1"), ("account", "a-1")])
    assert found == {("incident", "c-1"): ("other", "third")}


def test_ids_compare_like_tab_records() -> None:
    peers = PeerEdits("me")
    peers.receive({"type": EDITS, "workspaceId": "other", "records": [["Incident", "{ABC}"]]})
    assert peers.edited_elsewhere([("incident", "abc")]) == {("incident", "abc"): ("other",)}


def test_saving_or_leaving_clears_a_peers_edits() -> None:
    peers = PeerEdits("me")
    peers.receive(edits_message("other", [("incident", "c-1")]))
    peers.receive(edits_message("other", []))  # saved: no unsaved edits any more
    assert peers.edited_elsewhere([("incident", "c-1")]) == {}
    peers.receive(edits_message("other", [("incident", "c-1")]))
    assert peers.receive(bye_message("other")) == BYE
    assert peers.edited_elsewhere([("incident", "c-1")]) == {}


def test_own_and_malformed_messages_are_ignored() -> None:
    peers = PeerEdits("me")
    assert peers.receive(edits_message("me", [("incident", "c-1")])) is None
    for bad in (None, "edits", [], {"type": "edits"}, {"type": "nope", "workspaceId": "x", "records": []},
                {"type": "edits", "workspaceId": "x", "records": "c-1"},
                {"type": "edits", "workspaceId": "", "records": []}):
        assert peers.receive(bad) is None
    peers.receive({"type": EDITS, "workspaceId": "x", "records": [["incident"], [1, 2], ["incident", "ok"]]})
    assert peers.by_peer == {"x": frozenset({("incident", "ok")})}


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children,
                                                                                      max_size=4)))
def test_any_message_never_raises(message: object) -> None:
    PeerEdits("me").receive(message)
    PeerEdits("me").receive({"type": EDITS, "workspaceId": "x", "records": message})
