"""The record bus: every write through the client reaches the views that show the record, and only those."""

from __future__ import annotations

from casework.recordbus import CREATED, DELETED, UPDATED, RecordBus, RecordChange
from casework.records import RecordClient, RecordError
from tests.unit.casework.test_records_client import FakeTransport, run


def test_listeners_get_changes_of_their_entity_set_and_record_only() -> None:
    bus = RecordBus()
    cases, one_case, anything = [], [], []
    bus.subscribe(cases.append, entity_set="incidents")
    bus.subscribe(one_case.append, entity_set="incidents", record_id="c1")
    bus.subscribe(anything.append)
    first, second = RecordChange("incidents", "c1", UPDATED), RecordChange("incidents", "c2", UPDATED)
    account = RecordChange("accounts", "a1", UPDATED)
    for change in (first, second, account):
        bus.publish(change)
    assert cases == [first, second]
    assert one_case == [first]
    assert anything == [first, second, account]


def test_related_sets_reach_lists_of_those_sets() -> None:
    bus = RecordBus()
    queue_items = []
    bus.subscribe(queue_items.append, entity_set="queueitems")
    resolved = RecordChange("incidents", "c1", UPDATED, related=("queueitems",))
    bus.publish(resolved)
    bus.publish(RecordChange("incidents", "c2", UPDATED))
    assert queue_items == [resolved]


def test_unsubscribe_and_a_failing_listener_does_not_stop_the_others() -> None:
    bus = RecordBus()
    seen = []

    def broken(_change: RecordChange) -> None:
        raise RuntimeError("view is gone")

    bus.subscribe(broken)
    unsubscribe = bus.subscribe(seen.append)
    assert bus.publish(RecordChange("tasks", "t1", CREATED)) == 2
    assert len(seen) == 1 and isinstance(bus.errors[0], RuntimeError)
    unsubscribe()
    unsubscribe()  # twice is harmless
    bus.publish(RecordChange("tasks", "t1", DELETED))
    assert len(seen) == 1 and len(bus) == 1


def test_client_writes_are_announced_with_the_record_as_saved() -> None:
    bus, seen = RecordBus(), []
    bus.subscribe(seen.append)
    saved = {"incidentid": "c1", "@odata.etag": 'W/"3"', "title": "New"}
    transport = FakeTransport(
        (201, {"taskid": "x", "activityid": "t1", "@odata.etag": 'W/"1"'}),
        (200, saved),
        (204, None),
        (200, {**saved, "statecode": 1}),
    )
    client = RecordClient(transport, csrf_token="tok", on_change=bus.publish)
    run(client.create("tasks", {"subject": "Call back"}))
    run(client.update("incidents", {"incidentid": "c1", "@odata.etag": 'W/"2"'}, {"title": "New"}))
    run(client.delete("tasks", {"activityid": "t1", "@odata.etag": 'W/"1"'}))
    run(client.resolve_case({"incidentid": "c1", "@odata.etag": 'W/"3"'}, "Fixed"))
    assert [(c.entity_set, c.record_id, c.kind) for c in seen] == [
        ("tasks", "t1", CREATED), ("incidents", "c1", UPDATED), ("tasks", "t1", DELETED),
        ("incidents", "c1", UPDATED)]
    assert seen[1].record == saved
    assert "queueitems" in seen[3].related and seen[3].record["statecode"] == 1


def test_a_failed_write_announces_nothing() -> None:
    seen = []
    transport = FakeTransport((422, {"error": {"code": "validation_failed", "message": "No", "details": {}}}))
    client = RecordClient(transport, on_change=seen.append)
    try:
        run(client.update("incidents", {"incidentid": "c1", "@odata.etag": 'W/"2"'}, {"title": ""}))
    except RecordError as error:
        assert error.status == 422
    else:
        raise AssertionError("the 422 was not raised")
    assert seen == []
