"""The push client: each event applied once, resume after the last id, messages in order, back-off reconnects."""

from __future__ import annotations

import json

import pytest

from casework.push import Backoff, PushClient, push_url


class FakeSocket:
    def __init__(self, url, on_open, on_message, on_close):
        self.url, self.on_open, self.on_message, self.on_close = url, on_open, on_message, on_close
        self.closed = False

    def close(self):
        self.closed = True

    def send(self, frame):
        self.on_message(json.dumps(frame))


class Rig:
    def __init__(self, after=None):
        self.sockets: list[FakeSocket] = []
        self.timers: list[tuple[float, object]] = []
        self.client = PushClient(self.open, self.timer, after=after)
        self.applied: list[dict] = []
        self.client.on("*", self.applied.append)

    def open(self, url, on_open, on_message, on_close):
        socket = FakeSocket(url, on_open, on_message, on_close)
        self.sockets.append(socket)
        return socket

    def timer(self, delay, callback):
        entry = (delay, callback)
        self.timers.append(entry)
        return lambda: entry in self.timers and self.timers.remove(entry)

    def fire_timer(self):
        _delay, callback = self.timers.pop(0)
        callback()

    @property
    def socket(self):
        return self.sockets[-1]


def event(event_id, kind="typing", conversation="c1", **data):
    return {"id": event_id, "type": kind, "conversationId": conversation, "data": data}


def test_first_connection_asks_only_new_events_and_resume_asks_after_the_last_id():
    rig = Rig()
    rig.client.start()
    assert rig.socket.url == "api/push"
    rig.socket.on_open()
    rig.socket.send({"type": "hello", "after": 40})
    rig.socket.send(event(41))
    rig.socket.send(event(42))
    rig.socket.on_close(1006)
    assert rig.client.state == "waiting"
    rig.fire_timer()
    assert rig.socket.url == "api/push?after=42"


def test_resume_without_any_event_starts_from_the_hello_id():
    rig = Rig()
    rig.client.start()
    rig.socket.send({"type": "hello", "after": 7})
    rig.socket.on_close(1006)
    rig.fire_timer()
    assert rig.socket.url == "api/push?after=7"


def test_an_event_sent_twice_is_applied_once():
    rig = Rig(after=10)
    rig.client.start()
    rig.socket.send(event(11))
    rig.socket.send(event(11))
    rig.socket.send(event(9))
    assert [e["id"] for e in rig.applied] == [11]


def test_a_message_sequence_already_applied_is_not_applied_again():
    rig = Rig(after=0)
    rig.client.start()
    rig.client.log.seen_message("c1", 3)  # read with the transcript over REST
    rig.socket.send(event(1, "message.created", sequence=3, text="old"))
    rig.socket.send(event(2, "message.created", sequence=4, text="new"))
    rig.socket.send(event(3, "message.created", conversation="c2", sequence=1, text="other"))
    assert [e["data"]["text"] for e in rig.applied] == ["new", "other"]


def test_listeners_by_type_and_unsubscribe():
    rig = Rig(after=0)
    offers = []
    off = rig.client.on("offer.created", offers.append)
    rig.client.start()
    rig.socket.send(event(1, "offer.created"))
    rig.socket.send(event(2, "typing"))
    off()
    rig.socket.send(event(3, "offer.created"))
    assert [e["id"] for e in offers] == [1]
    assert len(rig.applied) == 3


def test_backoff_doubles_to_a_cap_and_resets_after_hello():
    rig = Rig()
    rig.client.start()
    for _ in range(8):
        rig.socket.on_close(1006)
        rig.fire_timer()
    delays = []
    rig.client.backoff = Backoff(500, 4000)
    for _ in range(5):
        rig.socket.on_close(1006)
        delays.append(rig.timers[0][0])
        rig.fire_timer()
    assert delays == [500, 1000, 2000, 4000, 4000]
    rig.socket.send({"type": "hello", "after": 1})
    rig.socket.on_close(1006)
    assert rig.timers[0][0] == 500


def test_a_refused_connection_does_not_retry():
    rig = Rig()
    rig.client.start()
    rig.socket.on_close(4401)
    assert rig.client.state == "stopped"
    assert rig.timers == []


def test_frames_of_an_old_socket_are_ignored_and_stop_cancels_the_reconnect():
    rig = Rig(after=0)
    rig.client.start()
    old = rig.socket
    old.on_close(1006)
    rig.fire_timer()
    old.send(event(5))  # a late frame of the dropped socket
    assert rig.applied == []
    rig.socket.on_close(1006)
    rig.client.stop()
    assert rig.timers == []
    assert rig.client.state == "stopped"


def test_a_failing_listener_does_not_starve_the_others():
    rig = Rig(after=0)
    errors = []
    rig.client.on_error = errors.append
    rig.client.on("typing", lambda _e: 1 / 0)
    rig.client.start()
    rig.socket.send(event(1))
    assert len(rig.applied) == 1 and isinstance(errors[0], ZeroDivisionError)


@pytest.mark.parametrize("text", ["not json", "[]", json.dumps({"id": "x", "type": "typing"})])
def test_malformed_frames_are_ignored(text):
    rig = Rig(after=0)
    rig.client.start()
    rig.socket.on_message(text)
    assert rig.applied == []


def test_push_url():
    assert push_url(None) == "api/push"
    assert push_url(12) == "api/push?after=12"


def test_a_resync_after_a_trimmed_log_goes_on_from_the_servers_id_and_tells_listeners():
    rig = Rig(after=3)
    resyncs = []
    rig.client.on("resync", resyncs.append)
    rig.client.start()
    rig.socket.send({"type": "resync", "after": 90, "trimmedThrough": 50})
    assert rig.client.log.last_id == 90 and rig.client.resyncs == 1
    assert [f["type"] for f in resyncs] == ["resync"] and resyncs[0]["trimmedThrough"] == 50
    rig.socket.send(event(80, "typing"))  # older than where the server said it goes on: not applied
    rig.socket.send(event(91, "typing"))
    assert [e.get("id") for e in rig.applied] == [None, 91]  # the resync frame (for "*"), then 91
    rig.socket.on_close(1006)
    rig.fire_timer()
    assert rig.socket.url.endswith("after=91")
