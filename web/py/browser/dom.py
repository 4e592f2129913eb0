"""A tiny DOM builder. Text always enters the page as text nodes, never as HTML.

``h("li", {"class": "row", "data-id": "42"}, "Case ", h("b", None, title))`` builds elements with
``document.createElement`` and ``createTextNode``; attribute values are set with ``setAttribute`` (strings only).
Event handlers are attached by the caller with :func:`on`, which keeps the proxy alive for the element's life.

The small helpers every component needs live here too, so no component hand-rolls them: :func:`unique_id` (ids for
``for``/``aria-*`` references), :func:`find` / :func:`find_by_id` (``None`` when nothing matches: JS ``null`` arrives
as a falsy ``jsnull``, not ``None``), :func:`active_element`, :func:`scroll_into_view`, :func:`next_frame` and
:func:`soon` (a callback in the next animation frame / the next task).

:func:`build` makes a whole tree in one call from a nested list (``["li", {"class": "row"}, "Case ", ["b", None,
title]]``), for the large trees of the open path (a record form): each Python→JS call costs microseconds in
Pyodide, and ``h`` makes several per element. The tree crosses as one JSON string to web/js/dom.js, which uses only
createElement, setAttribute, createTextNode and appendChild (text is never parsed as HTML).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import js
from pyodide.ffi import create_once_callable, create_proxy, jsnull, to_js

document = js.document
_HANDLERS: list[Any] = []
_JS_NULL = type(jsnull)
_ids = [0]
#: Phase marks for bench/workspace.py --phases: on when the page defines ``window.caseworkPerfMarks`` before boot
#: (read once, so an unmarked page pays one bool test per mark).
PERF_MARKS = bool(getattr(js.window, "caseworkPerfMarks", False))


def h(tag: str, attrs: dict[str, Any] | None = None, *children: Any) -> Any:
    """Create an element with attributes and children (strings become text nodes; ``None`` is skipped)."""
    element = document.createElement(tag)
    if attrs:
        for name, value in attrs.items():
            if value is None or value is False:
                continue
            element.setAttribute(name, "" if value is True else str(value))
    append(element, *children)
    return element


def append(parent: Any, *children: Any) -> Any:
    """Append children to ``parent``: elements as they are, anything else as a text node."""
    for child in children:
        if child is None:
            continue
        kind = type(child)
        if kind is str or kind is int or kind is float:
            parent.appendChild(document.createTextNode(str(child)))
        elif kind is list or kind is tuple:  # the common containers, without the (slow) ABC check below
            append(parent, *child)
        elif hasattr(child, "nodeType"):
            parent.appendChild(child)
        elif isinstance(child, str | int | float):  # subclasses (an IntEnum, a StrEnum)
            parent.appendChild(document.createTextNode(str(child)))
        elif isinstance(child, Iterable):
            append(parent, *child)
        else:
            parent.appendChild(child)
    return parent


def build(spec: list | tuple) -> tuple[Any, dict[str, Any]]:
    """Build the tree ``spec`` in one call; returns ``(root element, refs)``.

    A node is ``[tag, attrs or None, *children]`` (tag ``""``: a DocumentFragment, to build several siblings at
    once). Attributes as in :func:`h` (``None``/``False`` skipped, ``True``
    empty), plus ``"$ref": name``, which puts the element in ``refs[name]`` instead of becoming an attribute. A child
    is a node, a string or number (a text node), a list of children (not starting with a string, which would
    read as a node), ``None`` (skipped) or an existing element.
    """
    nodes: list[Any] = []

    def existing(value: Any) -> dict:
        if not hasattr(value, "nodeType"):
            raise TypeError(f"build: cannot append {type(value).__name__}")
        nodes.append(value)
        return {"$node": len(nodes) - 1}

    text = json.dumps(spec, default=existing, ensure_ascii=False, separators=(",", ":"), check_circular=False)
    result = js.caseworkDom.buildJson(text, to_js(nodes) if nodes else None)
    return result.root, result.refs.to_py(depth=1)


def clear(element: Any) -> Any:
    """Remove every child of ``element``."""
    element.replaceChildren()
    return element


def text(element: Any, value: str) -> Any:
    """Set an element's text (never its HTML)."""
    element.textContent = value
    return element


def on(element: Any, event: str, handler: Callable[[Any], Any], *, capture: bool = False) -> Any:
    """Listen to a DOM event with a Python callable; returns the proxy (keep it to remove the listener).
    ``capture``: in the capture phase (hears events that do not bubble, such as ``scroll``, from descendants)."""
    proxy = create_proxy(handler)
    _HANDLERS.append(proxy)
    if capture:
        element.addEventListener(event, proxy, True)
    else:
        element.addEventListener(event, proxy)
    return proxy


def js_object(values: dict) -> Any:
    """A plain JavaScript object of ``values`` (for DOM options such as ``scrollBy``'s)."""
    return to_js(values, dict_converter=js.Object.fromEntries)


def mark(name: str) -> None:
    """``performance.mark(name)`` when phase marks are on (see ``PERF_MARKS``); nothing otherwise."""
    if PERF_MARKS:
        js.performance.mark(name)


def by_id(element_id: str) -> Any:
    """``document.getElementById`` with a clear error when the shell lacks the element."""
    element = document.getElementById(element_id)
    if element is None:
        raise LookupError(f"the page has no element #{element_id}")
    return element


def unique_id(prefix: str) -> str:
    """A page-wide unique element id ``<prefix>-<n>``."""
    _ids[0] += 1
    return f"{prefix}-{_ids[0]}"


def found(element: Any) -> Any:
    """``element``, or ``None`` for JS ``null``/``undefined`` (a DOM query that matched nothing)."""
    return None if element is None or type(element) is _JS_NULL else element


def find(root: Any, selector: str) -> Any:
    """``root.querySelector(selector)``, ``None`` when nothing matches."""
    return found(root.querySelector(selector))


def find_by_id(element_id: str) -> Any:
    """``document.getElementById``, ``None`` when the page has no such element (see :func:`by_id` to require it)."""
    return found(document.getElementById(element_id))


def active_element() -> Any:
    """The element that has the keyboard focus (``document.activeElement``)."""
    return document.activeElement


_NEAREST: Any = None


def scroll_into_view(element: Any) -> None:
    """Scroll ``element``'s containers just enough to show it (``{block: "nearest"}``)."""
    global _NEAREST
    if _NEAREST is None:
        _NEAREST = to_js({"block": "nearest"}, dict_converter=js.Object.fromEntries)
    element.scrollIntoView(_NEAREST)


def next_frame(callback: Callable[[], Any]) -> None:
    """Call ``callback()`` in the next animation frame (where the browser lays out anyway)."""
    js.requestAnimationFrame(create_once_callable(lambda _time: callback()))


def soon(callback: Callable[[], Any]) -> None:
    """Call ``callback()`` in the next task (``setTimeout(…, 0)``), after the current DOM changes took effect."""
    js.setTimeout(create_once_callable(callback), 0)
