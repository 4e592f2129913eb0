"""The API's fast JSON encoder writes what Starlette's standard one writes (floats may differ in exponent form)."""

from __future__ import annotations

import json

from starlette.responses import JSONResponse

from server.api.common import FastJSONResponse


class Label(str):
    """Like SQLAlchemy's quoted names: a str subclass used as a dict key."""


def test_fast_json_matches_the_standard_encoder_byte_for_byte() -> None:
    record = {"@odata.etag": 'W/"3"', "title": "Drucker zeigt „offline“ – 東京 🖨", "prioritycode": 2,
              "isdisabled": False, "queueid": None, "nested": {"a": [1, 2.5, "x\n\"y\"\x01"]},
              Label("type"): "note", "big": 2**40}
    assert FastJSONResponse(record).body == JSONResponse(record).body


def test_small_floats_are_the_same_number_in_another_exponent_form() -> None:
    hit = {"score": -1.25e-07}
    assert json.loads(FastJSONResponse(hit).body) == json.loads(JSONResponse(hit).body) == hit


def test_values_the_fast_encoder_refuses_fall_back_to_the_standard_one() -> None:
    assert FastJSONResponse({"n": 2**70}).body == JSONResponse({"n": 2**70}).body
