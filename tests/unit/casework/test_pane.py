"""The productivity pane's per-session state and the profile's tools (casework.pane)."""

from casework.pane import PaneState, profile_tools


def test_profile_tools_keep_rail_order_and_drop_unknown_ids():
    assert profile_tools({"productivityTools": ["knowledge", "notes", "smartassist"]}) == ["smartassist", "knowledge"]
    assert profile_tools({"productivityTools": ["macros", "agentscripts"]}) == ["agentscripts", "macros"]
    assert profile_tools({}) == ["smartassist", "knowledge"]  # the reference's default profile
    assert profile_tools({"productivityTools": "smartassist"}) == ["smartassist", "knowledge"]
    assert profile_tools({"productivityTools": []}) == []


def test_choosing_a_tool_opens_it_and_choosing_it_again_collapses():
    tools = ["smartassist", "knowledge"]
    state = PaneState()
    assert state.shown_tool(tools) == "smartassist" and not state.open
    state = state.choose("knowledge", tools)
    assert state == PaneState(open=True, tool="knowledge")
    assert state.choose("smartassist", tools) == PaneState(open=True, tool="smartassist")
    assert state.choose("knowledge", tools) == PaneState(open=False, tool="knowledge")
    assert state.choose("macros", tools) == state  # not in the profile: nothing happens


def test_state_round_trips_and_bad_saved_data_falls_back():
    tools = ["smartassist", "knowledge"]
    state = PaneState(open=True, tool="knowledge")
    assert PaneState.from_json(state.to_json(), tools) == state
    assert PaneState.from_json({"open": True, "tool": "macros"}, tools) == PaneState(open=True, tool=None)
    assert PaneState.from_json({"open": "yes", "tool": 3}, tools) == PaneState()
    assert PaneState.from_json(None, tools) == PaneState()
    assert PaneState.from_json({"open": True}, []) == PaneState()  # no tools: never open
