"""Parsing of caller-supplied parameters (``appContext``, ``sessionContext``, ``parametersStr``).

The JavaScript bridge turns a ``Map`` into a list of ``[key, value]`` pairs or a
dict before calling in; everything that reaches the model is copied into plain
JSON-compatible Python values here, so the state never aliases caller objects
and can always be saved as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from .errors import invalid_input

_MAX_DEPTH = 32


def parse_parameters(value: object, *, what: str = "parameters") -> dict:
    """Turns the accepted parameter forms into a fresh ``dict``.

    Accepted forms: ``None`` (empty), a mapping with string keys, a list or
    tuple of ``[key, value]`` pairs (a later duplicate key wins, as in
    ``new Map(pairs)``), or a JSON string of either (the ``parametersStr`` form;
    an empty or blank string is empty).

    Args:
        value: The parameters in one of the accepted forms.
        what: Name used in error messages, e.g. ``"appContext"``.

    Returns:
        A new dict of JSON-compatible values (nested values are copied too).

    Raises:
        ValidationError: ``invalid_input`` for anything else, invalid JSON,
            non-string keys, or values that are not JSON-compatible.
    """
    if value is None:
        return {}
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise invalid_input(f"{what} is not valid JSON: {exc}.") from None
        if value is None:
            return {}
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        items = []
        for index, pair in enumerate(value):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise invalid_input(f"{what}[{index}] must be a [key, value] pair.")
            items.append((pair[0], pair[1]))
    else:
        raise invalid_input(
            f"{what} must be an object, a list of [key, value] pairs or a JSON string, not {type(value).__name__}."
        )
    result = {}
    for key, item in items:
        if not isinstance(key, str):
            raise invalid_input(f"{what} keys must be strings, not {type(key).__name__}.")
        result[key] = plain(item, f"{what}.{key}")
    return result


def expand_parameters_str(context: dict, what: str = "context") -> dict:
    """Expands a ``parametersStr`` key (the reference's JSON array of ``[key, value]`` pairs, set inside the
    ``sessionContext`` Map) into the context; keys given beside it win. Returns ``context`` itself when it has none.

    Raises:
        ValidationError: ``invalid_input`` when ``parametersStr`` is not pairs (or their JSON).
    """
    if "parametersStr" not in context:
        return context
    rest = {key: value for key, value in context.items() if key != "parametersStr"}
    return {**parse_parameters(context["parametersStr"], what=f"{what}.parametersStr"), **rest}


def plain(value: object, where: str = "value", _depth: int = 0) -> object:
    """Returns a deep copy of ``value`` made of JSON-compatible Python values.

    Args:
        value: ``None``, bool, int, finite float, str, or lists/tuples/mappings of them.
        where: Path used in error messages.

    Returns:
        The copy; tuples become lists.

    Raises:
        ValidationError: ``invalid_input`` for other types, non-string mapping
            keys, non-finite floats or nesting deeper than 32 levels.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        # NaN and infinities have no JSON form, and saved state must stay JSON.
        if value != value or value in (float("inf"), float("-inf")):
            raise invalid_input(f"{where} must be a finite number.")
        return value
    if _depth >= _MAX_DEPTH:
        raise invalid_input(f"{where} is nested too deeply.")
    if isinstance(value, Mapping):
        copy = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise invalid_input(f"{where} keys must be strings.")
            copy[key] = plain(item, f"{where}.{key}", _depth + 1)
        return copy
    if isinstance(value, (list, tuple)):
        return [plain(item, f"{where}[{i}]", _depth + 1) for i, item in enumerate(value)]
    raise invalid_input(f"{where} has unsupported type {type(value).__name__}.")


def parse_flag(value: object, name: str, default: bool) -> bool:
    """Validates a boolean option such as ``isFocused``.

    Args:
        value: ``None`` (use ``default``) or a bool.
        name: Option name for the error message.
        default: Value used for ``None``.

    Returns:
        The boolean.

    Raises:
        ValidationError: ``invalid_input`` for anything but ``None`` or a bool.
    """
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid_input(f"{name} must be true or false, not {value!r}.")
    return value


def parse_bool(value: object, name: str) -> bool:
    """Validates a required boolean such as a ``canClose`` value.

    Raises:
        ValidationError: ``invalid_input`` for anything but a bool.
    """
    if not isinstance(value, bool):
        raise invalid_input(f"{name} must be true or false, not {value!r}.")
    return value


def parse_text(value: object, name: str) -> str:
    """Validates a string option such as a title.

    Raises:
        ValidationError: ``invalid_input`` when ``value`` is not a string.
    """
    if not isinstance(value, str):
        raise invalid_input(f"{name} must be a string, not {type(value).__name__}.")
    return value


def same(a: object, b: object) -> bool:
    """Deep equality that, unlike ``==``, tells ``1``, ``1.0`` and ``True`` apart.

    Used to decide whether an update really changed anything (and so whether
    an ``*.updated`` event is due).
    """
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b
