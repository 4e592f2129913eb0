"""The developer console's logic: when Enter runs, what running shows, history, completion, snippet checks."""

from __future__ import annotations

import asyncio

import pytest

from casework.console import (
    History,
    Interpreter,
    SnippetError,
    common_prefix,
    complete,
    history_key,
    is_complete,
    parse_snippets,
    validate_snippet,
    word_before,
)
from casework.statedb import MemoryConnector
from tests.support.aio import run


@pytest.mark.parametrize("source", ["1 + 1", "x = 3", "await thing()", "for i in range(3):\n    print(i)\n",
                                    "def f(:", "print('a')\n"])
def test_complete_inputs_run_on_enter(source):
    assert is_complete(source)


@pytest.mark.parametrize("source", ["for i in range(3):", "def f():\n    return 1", "x = (1,", "s = '''a",
                                    "async def f():\n    await g()"])
def test_open_blocks_brackets_and_strings_need_more_lines(source):
    assert not is_complete(source)


def test_expression_value_is_shown_as_repr_and_kept_as_underscore():
    console = Interpreter({"names": ["a"]})
    result = run(console.run("names + ['b']"))
    assert (result.value, result.error, result.output) == ("['a', 'b']", None, "")
    assert console.namespace["_"] == ["a", "b"]
    assert run(console.run("None")).value is None


def test_statements_keep_their_names_and_print_goes_to_output():
    console = Interpreter()
    run(console.run("x = 40"))
    result = run(console.run("print(x + 2)"))
    assert result.output == "42\n" and result.value is None


def test_top_level_await_runs_in_the_running_loop():
    async def fetch(value):
        await asyncio.sleep(0)
        return value * 2

    console = Interpreter({"fetch": fetch})
    result = run(console.run("await fetch(21)"))
    assert result.value == "42"
    run(console.run("y = await fetch(1)"))
    assert console.namespace["y"] == 2


def test_a_multi_line_block_and_a_pasted_block_run():
    console = Interpreter()
    result = run(console.run("for i in range(2):\n    print(i)\n"))
    assert result.output == "0\n1\n"
    ended = run(console.run("for i in range(2):\n    print(i)\n    "))  # Enter left an indented empty line
    assert ended.output == "0\n1\n" and ended.error is None
    pasted = run(console.run("a = 1\nb = 2\na + b"))
    assert pasted.value == "3" and pasted.error is None


def test_an_exception_is_a_traceback_from_the_users_code_and_the_console_goes_on():
    console = Interpreter()
    run(console.run("def boom():\n    raise KeyError('nope')\n"))
    result = run(console.run("boom()"))
    assert result.error.startswith("Traceback (most recent call last):")
    assert 'File "<console>"' in result.error and "KeyError: 'nope'" in result.error
    assert "casework" not in result.error  # the console's own frames are left out
    assert run(console.run("1")).value == "1"


def test_a_syntax_error_is_shown_not_raised():
    result = run(Interpreter().run("def f(:"))
    assert "SyntaxError" in result.error and result.value is None


def test_exit_does_not_stop_the_page():
    result = run(Interpreter().run("raise SystemExit"))
    assert "SystemExit" in result.error


def test_history_up_down_keeps_the_unsent_input():
    history = History()
    for source in ("a = 1", "b = 2", "b = 2", "   ", "c = 3"):
        history.add(source)
    assert history.entries == ["a = 1", "b = 2", "c = 3"]  # no repeat of the last, no blank
    assert history.previous("typing") == "c = 3"
    assert history.previous("ignored") == "b = 2"
    assert history.previous("") == "a = 1"
    assert history.previous("") is None  # the oldest
    assert history.next() == "b = 2"
    assert history.next() == "c = 3"
    assert history.next() == "typing"  # back to what was being typed
    assert history.next() is None


def test_history_is_bounded_and_survives_storage_per_user():
    history = History(limit=3)
    for number in range(5):
        history.add(f"x = {number}")
    assert history.entries == ["x = 2", "x = 3", "x = 4"]
    store = MemoryConnector()
    store.save(history_key("http://127.0.0.1:8000", "agent1"), history.to_json())
    again = History.from_json(store.fetch(history_key("http://127.0.0.1:8000", "agent1")), limit=3)
    assert again.entries == history.entries and again.previous("") == "x = 4"
    assert store.fetch(history_key("http://127.0.0.1:8000", "agent2")) is None  # another user's is separate
    assert History.from_json("{not json").entries == []


def test_completion_of_names_attributes_and_keywords():
    class Client:
        def fetch_record(self):
            pass

        timeout = 3

    namespace = {"client": Client(), "clock": 1}
    assert {"class ", "client", "clock", "classmethod("} <= set(complete(namespace, "cl"))  # keywords, builtins
    assert complete(namespace, "cli") == ["client"]
    assert [c.rstrip("()") for c in complete(namespace, "x = client.fe")] == ["client.fetch_record"]
    assert complete(namespace, "client.ti") == ["client.timeout"]
    assert complete(namespace, "1 + ") == []
    assert word_before("print(client.fe") == "client.fe"
    assert common_prefix(["client.fetch(", "client.feed"]) == "client.fe"
    assert common_prefix([]) == ""


def test_snippets_are_checked_before_saving():
    assert validate_snippet(" open cases ", "print(1)", {}) == ("open cases", "print(1)")
    with pytest.raises(SnippetError):
        validate_snippet("", "print(1)", {})
    with pytest.raises(SnippetError):
        validate_snippet("<script>", "print(1)", {})
    with pytest.raises(SnippetError):
        validate_snippet("empty", "  ", {})
    full = {f"s{n}": "1" for n in range(50)}
    with pytest.raises(SnippetError):
        validate_snippet("one more", "1", full)
    assert validate_snippet("s1", "2", full) == ("s1", "2")  # replacing one is fine
    assert parse_snippets({"a": "1", "b": 2}) == {"a": "1"} and parse_snippets(None) == {}
