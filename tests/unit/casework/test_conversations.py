"""Conversation logic of the workspace: countdowns, transcripts in order, typing throttle, page-API filters."""

from __future__ import annotations

import pytest

from casework import conversations as cv

NOW = cv.parse_time_ms("2026-12-01T10:00:00Z")


def test_countdown_and_wait_from_server_times():
    assert cv.seconds_left("2026-12-01T10:00:45Z", NOW) == 45
    assert cv.seconds_left("2026-12-01T10:00:00.500+00:00", NOW) == 1  # a part second still counts
    assert cv.seconds_left("2026-12-01T09:59:00Z", NOW) == 0
    assert cv.seconds_left(None, NOW) == 0
    assert cv.duration_text("2026-12-01T09:59:30Z", NOW) == "30 s"
    assert cv.duration_text("2026-12-01T09:57:00Z", NOW) == "3 min"
    assert cv.duration_text("2026-12-01T07:55:00Z", NOW) == "2 h 5 min"
    assert cv.duration_text("garbage", NOW) == ""


def test_transcript_keeps_each_message_once_in_sequence_order():
    t = cv.Transcript()
    assert t.add({"sequence": 2, "text": "b"})
    assert t.add({"sequence": 1, "text": "a"})
    assert not t.add({"sequence": 2, "text": "b again"})
    assert t.position(3) == 2 and t.position(1) == 0
    assert [m["text"] for m in t.ordered()] == ["a", "b"]


def test_delivery_marks_move_forward_only():
    t = cv.Transcript()
    t.add({"sequence": 1, "deliverystate": "sent"})
    assert t.mark(1, "read")
    assert not t.mark(1, "delivered")  # a late "delivered" after "read"
    assert t.messages[1]["deliverystate"] == "read"
    assert t.mark(1, "failed")
    assert not t.mark(9, "read")


def test_typing_is_sent_at_most_every_two_seconds():
    throttle = cv.TypingThrottle()
    assert throttle.should_send(0)
    assert not throttle.should_send(1500)
    assert throttle.should_send(2000)
    throttle.reset()  # a message was sent: the next keystroke announces typing again
    assert throttle.should_send(2100)


def test_session_context_names_the_customer():
    context = cv.session_context({"conversationid": "c-1", "customername": "", "customerhandle": "+155501",
                                  "channel": "sms"})
    assert context["customerName"] == "+155501" and context["conversationId"] == "c-1"


def test_get_conversations_filter():
    assert cv.conversations_filter({"status": [3, 2]}, "u-1") == \
        "ownerid eq 'u-1' and (statuscode eq 3 or statuscode eq 2)"
    assert cv.conversations_filter(None, None) == ""
    with pytest.raises(ValueError):
        cv.conversations_filter({"agentId": "x' or 1 eq 1"}, None)
    with pytest.raises(ValueError):
        cv.conversations_filter({"status": "2"}, None)


def test_omnichannel_shape_has_the_reference_defaults():
    shaped = cv.omnichannel_conversation({"conversationid": "c", "channel": "chat", "statuscode": 2,
                                          "createdon": "t"}, "session-3")
    assert shaped["msdyn_ocliveworkitemid"] == "c" and shaped["msdyn_lastsessionid"] == "session-3"
    assert shaped["StatusCode"] == 2 and shaped["CreatedOn"] == "t"


def test_each_channel_opens_its_own_session_template_with_the_conversation_anchor():
    from apm.model import Workspace

    assert cv.session_template_for("sms") == "msdyn_sms_session"
    assert cv.session_template_for("teams") == "msdyn_teams_session"
    assert cv.session_template_for("nosuch") == cv.session_template_for(None) == "msdyn_chat_session"
    assert len(set(cv.SESSION_TEMPLATES)) == 7
    for channel in ("chat", "sms", "whatsapp", "facebook", "line", "wechat", "teams"):
        ws = Workspace()
        session_id = ws.create_session(cv.session_template_for(channel), cv.session_context(
            {"conversationid": f"conv-{channel}", "customername": "Ann Lee", "channel": channel}))
        session = ws.session(session_id)
        assert session.template_name == f"msdyn_{channel}_session"
        assert session.title == "Ann Lee"
        tabs = [ws.tab(t) for t in session.tab_ids]
        assert [t.template_name for t in tabs] == [cv.CONVERSATION_TAB, cv.SUMMARY_TAB]
        assert tabs[0].params["recordId"] == tabs[1].params["recordId"] == f"conv-{channel}"


def test_quick_replies_fill_their_slugs_once_and_filter_by_words_and_language():
    records = [{"quickreplyid": "q1", "title": "Greeting", "text": "Hello {customerName}, I am {agentName}.",
                "languagecode": 1033},
               {"quickreplyid": "q2", "title": "Case created", "text": "I opened case {caseTitle} for you.",
                "languagecode": 1033},
               {"quickreplyid": "q3", "title": "Bonjour", "text": "Bonjour {customerName}", "languagecode": 1036},
               {"quickreplyid": "", "title": "broken", "text": "x"}, "junk"]
    replies = [r for r in map(cv.QuickReply.from_record, records) if r]
    assert [r.id for r in replies] == ["q1", "q2", "q3"]
    context = cv.quick_reply_context({"customername": "{agentName} Lee", "conversationid": "c1", "channel": "sms"},
                                     "Agent Two")
    text, unknown = cv.fill_quick_reply(replies[0], context)
    assert text == "Hello {agentName} Lee, I am Agent Two." and unknown == ()  # a name is data, not a slug
    text, unknown = cv.fill_quick_reply(replies[1], context)
    assert unknown == ("caseTitle",) and text == "I opened case for you."
    assert cv.fill_quick_reply(replies[1], {**context, "caseTitle": "CAS-01001"})[0] == \
        "I opened case CAS-01001 for you."
    assert [r.id for r in cv.matching_quick_replies(replies, "CASE")] == ["q2"]
    assert [r.id for r in cv.matching_quick_replies(replies, language=1036)] == ["q3"]
    assert [r.id for r in cv.matching_quick_replies(replies)] == ["q3", "q2", "q1"]


def test_closing_a_conversation_session_asks_only_while_active_and_closes_a_wrapped_up_one():
    assert cv.close_action(2) == "ask"
    assert cv.close_action(5) == "close"
    assert [cv.close_action(s) for s in (1, 3, 4, None, "2")] == [None] * 5
    assert "offered to another agent" in cv.leave_text("chat")
    assert "waiting for the customer" in cv.leave_text("sms")


def test_transfer_targets_list_queues_then_agents_with_presence():
    targets = cv.transfer_targets({"queues": [{"queueid": "q1", "name": "Billing"}, {"name": "no id"}],
                                   "agents": [{"systemuserid": "u1", "fullname": "Ada", "presence": "Available",
                                               "available": True},
                                              {"systemuserid": "u2", "fullname": "Bo", "presence": "Away",
                                               "available": False}, "junk"]})
    assert [(t.kind, t.id, t.label, t.available) for t in targets] == [
        ("queue", "q1", "Billing", True), ("agent", "u1", "Ada (Available)", True),
        ("agent", "u2", "Bo (Away)", False)]
    assert cv.transfer_targets(None) == []
