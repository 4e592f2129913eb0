"""The OpenAPI document is served, and a bounded schemathesis run against it finds no 5xx and no response that
breaks the document (status codes, content types, body schemas), signed in as admin (who may call everything)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from server.api.openapi import build_document
from server.app import create_app
from server.settings import Settings
from tests.unit.server.conftest import DB_FILE, sign_in

# Signing out or disabling users would end the run's own session; they have their own tests. The channel webhook
# takes provider payloads (form-encoded for Twilio) under a signature random bodies never carry; its own tests
# (test_channels*) cover it.
SCHEMA = schemathesis.openapi.from_dict(build_document()).exclude(
    operation_id=["logout", "login", "update_systemuser", "delete_systemuser", "channel_webhook"]
)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def admin_api(seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir = tmp_path_factory.mktemp("schemathesis")
    shutil.copyfile(seeded_template, data_dir / DB_FILE)
    with TestClient(create_app(Settings(data_dir=data_dir)), raise_server_exceptions=False) as client:
        sign_in(client, "admin")
        yield client


def test_openapi_document_is_served_and_names_every_entity_set(admin_api: TestClient) -> None:
    document = admin_api.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.")
    for name in ("accounts", "contacts", "incidents", "tasks", "emails", "phonecalls", "annotations",
                 "appointments", "queues", "queueitems", "knowledgearticles", "templates", "systemusers"):
        assert f"/api/{name}" in document["paths"] and f"/api/{name}({{id}})" in document["paths"]
    assert "/api/search" in document["paths"] and "/api/incidents({id})/resolve" in document["paths"]
    assert {"/api/knowledge/search", "/api/knowledgearticles({id})/view",
            "/api/knowledgearticles({id})/rating"} <= set(document["paths"])
    for action in ("accept", "reject", "end", "close", "send", "typing", "notes", "link", "case", "transfer",
                   "release", "reopen", "leave"):
        assert "post" in document["paths"][f"/api/conversations({{id}})/{action}"]


@SCHEMA.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_answers_within_its_documented_contract(case, admin_api: TestClient) -> None:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    kwargs.pop("cookies", None)  # the signed-in client's own cookie jar is used
    if "data" in kwargs:
        kwargs["content"] = kwargs.pop("data")
    response = admin_api.request(**{k: v for k, v in kwargs.items() if k in (
        "method", "url", "params", "headers", "json", "content")})
    case.validate_response(response, checks=CHECKS)
