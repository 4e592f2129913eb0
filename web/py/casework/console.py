"""The developer console's logic, pure: is an input complete, run it (top-level ``await`` allowed), history per
user, Tab completion of names, saved snippets.

The page (``components.console``) owns the DOM; everything here runs under CPython in the unit tests:

* :func:`is_complete` asks :mod:`codeop` (as ``code.InteractiveConsole`` does) whether Enter should run the input
  or open a new line; top-level ``await`` is accepted (``ast.PyCF_ALLOW_TOP_LEVEL_AWAIT``).
* :class:`Interpreter` runs one complete input in its namespace, awaits it when it awaits, and returns what it
  printed, the value shown (``repr``) and a traceback as text (the console's own frames left out).
* :class:`History` keeps entries (no blank ones, no repeat of the last one, at most :data:`HISTORY_LIMIT`) with an
  Up/Down cursor; :meth:`History.to_json`/:meth:`History.from_json` store it through a ``casework.statedb``
  connector under :func:`history_key` (per origin and user).
* :func:`complete` lists :mod:`rlcompleter`'s candidates for the word before the cursor.
* :func:`validate_snippet` checks a named snippet before it is saved on the server (``/api/me/settings``).
"""

from __future__ import annotations

import ast
import codeop
import contextlib
import inspect
import io
import json
import re
import rlcompleter
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any

from casework.statedb import escape_part

FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
FILENAME = "<console>"
HISTORY_LIMIT = 500
HISTORY_KEY = "casework.console.v1"
SNIPPETS_SETTING = "consoleSnippets"
SNIPPET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}")
SNIPPET_MAX_CHARS = 20_000
SNIPPETS_MAX = 50


def _compiler() -> codeop.CommandCompiler:
    compiler = codeop.CommandCompiler()
    compiler.compiler.flags |= FLAGS
    return compiler


def is_complete(source: str) -> bool:
    """Whether ``source`` is a complete statement to run now (an invalid one is complete: running shows its
    ``SyntaxError``); ``False`` means more lines are needed (an open block, bracket or string)."""
    if not source.strip():
        return True
    lines = source.split("\n")
    if len(lines) > 1 and lines[-1].strip() == "":
        return True  # an empty last line ends a block, as in the standard REPL
    try:
        return _compiler()(source, FILENAME, "single") is not None
    except (SyntaxError, ValueError, OverflowError):
        return True


@dataclass
class Result:
    """What running one input gave: ``output`` (stdout and stderr, in order), ``value`` (``repr`` of an
    expression's value, ``None`` for statements and ``None`` values), ``error`` (a traceback as text)."""

    output: str = ""
    value: str | None = None
    error: str | None = None


class Interpreter:
    """Runs inputs in one namespace (``names``: what is pre-imported, e.g. ``apm``, ``client``, ``handle``)."""

    def __init__(self, names: dict[str, Any] | None = None) -> None:
        self.namespace: dict[str, Any] = {"__name__": "__console__", "__builtins__": __builtins__}
        self.namespace.update(names or {})

    async def run(self, source: str) -> Result:
        """Run a complete input (see :func:`is_complete`); expressions show their ``repr`` like the REPL."""
        result = Result()
        buffer = io.StringIO()
        try:
            code = _compile(tidy(source))
        except (SyntaxError, ValueError, OverflowError):
            result.error = "".join(traceback.format_exception_only(*sys.exc_info()[:2]))
            return result
        shown: list[Any] = []

        def displayhook(value: Any) -> None:
            if value is not None:
                shown.append(value)
                self.namespace["_"] = value

        saved_hook = sys.displayhook
        try:
            with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
                sys.displayhook = displayhook
                try:
                    outcome = _evaluate(code, self.namespace)
                    if inspect.isawaitable(outcome):
                        await outcome
                finally:
                    sys.displayhook = saved_hook
        except SystemExit:
            result.error = "SystemExit: the console keeps running (close its tab instead)\n"
        except BaseException as error:  # noqa: BLE001 - every failure is shown as a traceback
            result.error = _format(error)
        result.output = buffer.getvalue()
        if shown:
            try:
                result.value = "\n".join(repr(value) for value in shown)
            except Exception as error:  # a broken __repr__
                result.error = _format(error)
        return result

    def complete(self, text: str) -> list[str]:
        """Candidates for the word that ends ``text`` (see :func:`complete`)."""
        return complete(self.namespace, text)


def tidy(source: str) -> str:
    """``source`` without its trailing blank lines (the Enter that ended a block leaves an indented one, which
    does not compile), ending with one newline."""
    lines = source.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n"


def _compile(source: str) -> Any:
    # "single" runs one statement (a compound one included) and shows expression values; several statements need
    # "exec" (a pasted block), where the last expression is not shown.
    try:
        return compile(source, FILENAME, "single", flags=FLAGS, dont_inherit=True)
    except SyntaxError as error:
        if "multiple statements" not in str(error):
            raise
        tree = compile(source, FILENAME, "exec", flags=FLAGS | ast.PyCF_ONLY_AST, dont_inherit=True)
        if tree.body and isinstance(tree.body[-1], ast.Expr):  # show the last expression's value, like Jupyter
            last = ast.Interactive(body=[tree.body.pop()])
            first = compile(tree, FILENAME, "exec", flags=FLAGS, dont_inherit=True)
            second = compile(last, FILENAME, "single", flags=FLAGS, dont_inherit=True)
            return _Chain(first, second)
        return compile(tree, FILENAME, "exec", flags=FLAGS, dont_inherit=True)


class _Chain:
    """Two code objects run in order (a pasted block whose last line is an expression)."""

    def __init__(self, *codes: Any) -> None:
        self.codes = codes


def _evaluate(code: Any, namespace: dict) -> Any:
    """Run compiled input; an awaitable comes back when it awaits (top-level ``await``)."""
    if isinstance(code, _Chain):
        async def chained() -> None:
            for part in code.codes:
                outcome = eval(part, namespace)  # noqa: S307 - a developer console runs what is typed
                if inspect.isawaitable(outcome):
                    await outcome
        return chained()
    return eval(code, namespace)  # noqa: S307


def _format(error: BaseException) -> str:
    """The traceback without the console's own frames (the user's code starts at ``<console>``)."""
    frames = traceback.extract_tb(error.__traceback__)
    skip = 0
    for index, frame in enumerate(frames):
        if frame.filename == FILENAME:
            skip = index
            break
    else:
        skip = len(frames)
    tb = error.__traceback__
    for _ in range(skip):
        if tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb if skip < len(frames) else None))


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\.?$")


def word_before(text: str) -> str:
    """The dotted name that ends ``text`` (``""`` when the cursor is after a space or an operator)."""
    match = _WORD.search(text)
    return match.group(0) if match else ""


def complete(namespace: dict[str, Any], text: str) -> list[str]:
    """rlcompleter's candidates for the dotted name that ends ``text``, sorted, without duplicates (``"("`` that
    rlcompleter adds to callables is kept: it says the name is callable)."""
    word = word_before(text)
    if not word:
        return []
    completer = rlcompleter.Completer(namespace)
    found: list[str] = []
    for state in range(1000):
        try:
            candidate = completer.complete(word, state)
        except Exception:  # noqa: BLE001 - a property that raises while being listed ends the listing
            break
        if candidate is None:
            break
        if candidate not in found:
            found.append(candidate)
    return sorted(found)


def common_prefix(candidates: list[str]) -> str:
    """The longest prefix every candidate shares (what Tab inserts when there are several)."""
    if not candidates:
        return ""
    first, last = min(candidates), max(candidates)
    size = 0
    while size < len(first) and size < len(last) and first[size] == last[size]:
        size += 1
    return first[:size]


def history_key(origin: str, user: str) -> str:
    """``casework.console.v1:<origin>:<user>`` with each part escaped (one history per user and server)."""
    return f"{HISTORY_KEY}:{escape_part(origin)}:{escape_part(user)}"


@dataclass
class History:
    """Inputs run so far, oldest first, and the Up/Down cursor (``len(entries)`` = the new input being typed)."""

    entries: list[str] = field(default_factory=list)
    limit: int = HISTORY_LIMIT
    cursor: int = 0
    _draft: str = ""

    def __post_init__(self) -> None:
        self.entries = self.entries[-self.limit:]
        self.cursor = len(self.entries)

    def add(self, source: str) -> None:
        """Remember a run input (not blank ones, not the same as the last one); the cursor goes to the end."""
        text = tidy(source).rstrip("\n")
        if text.strip() and (not self.entries or self.entries[-1] != text):
            self.entries.append(text)
            del self.entries[:-self.limit]
        self.cursor = len(self.entries)
        self._draft = ""

    def previous(self, current: str) -> str | None:
        """The entry before the cursor (``current``, the unsent input, is kept for :meth:`next`); ``None`` at
        the oldest."""
        if self.cursor == 0:
            return None
        if self.cursor == len(self.entries):
            self._draft = current
        self.cursor -= 1
        return self.entries[self.cursor]

    def next(self) -> str | None:
        """The entry after the cursor, the unsent input past the newest, ``None`` when already there."""
        if self.cursor >= len(self.entries):
            return None
        self.cursor += 1
        return self._draft if self.cursor == len(self.entries) else self.entries[self.cursor]

    def to_json(self) -> str:
        return json.dumps({"entries": self.entries})

    @classmethod
    def from_json(cls, text: str | None, limit: int = HISTORY_LIMIT) -> History:
        """A history from :meth:`to_json`'s text; anything unreadable gives an empty history."""
        try:
            data = json.loads(text) if text else {}
            entries = [entry for entry in data.get("entries", []) if isinstance(entry, str)]
        except (ValueError, AttributeError, TypeError):
            entries = []
        return cls(entries, limit)


class SnippetError(ValueError):
    """A refused snippet (its name or size)."""


def validate_snippet(name: object, source: object, saved: dict[str, str]) -> tuple[str, str]:
    """Check a snippet to save (``saved``: the ones already saved); returns ``(name, source)``."""
    if not isinstance(name, str) or not SNIPPET_NAME.fullmatch(name.strip()):
        raise SnippetError("A snippet name is 1 to 64 letters, digits, spaces, '_', '.' or '-'.")
    if not isinstance(source, str) or not source.strip():
        raise SnippetError("A snippet needs some code.")
    if len(source) > SNIPPET_MAX_CHARS:
        raise SnippetError(f"A snippet is at most {SNIPPET_MAX_CHARS} characters.")
    name = name.strip()
    if name not in saved and len(saved) >= SNIPPETS_MAX:
        raise SnippetError(f"At most {SNIPPETS_MAX} snippets; delete one first.")
    return name, source


def parse_snippets(value: object) -> dict[str, str]:
    """The saved snippets from the setting's value (anything malformed is left out)."""
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}
