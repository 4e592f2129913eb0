"""The demo data set's shape, scaling with --scale, and --production refusing demo credentials."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from server.seed import BATCH_CASES, DEMO_USERNAMES, TOPICS, demo_records, generate
from server.settings import REPO_ROOT


def test_demo_data_covers_the_topics_users_queues_and_profiles() -> None:
    records = demo_records()
    topic_of = {title: index for index, topic in enumerate(TOPICS) for title in topic[2]}
    topics = Counter(topic_of[case["title"]] for case in records["incidents"])
    assert len(topics) == 30 and min(topics.values()) > 100
    assert {u["domainname"] for u in records["systemusers"]} == set(DEMO_USERNAMES)
    assert len({m["queueid"] for m in records["queuemembers"]}) == 3
    assert Counter(r["role"] for r in records["userroles"]) == {"agent": 10, "supervisor": 1, "admin": 1}
    article_subjects = {a["subject"] for a in records["knowledgearticles"]}
    assert {c["subject"] for c in records["incidents"]} <= article_subjects
    assert len({a["activitytypecode"] for a in records["activities"]}) == 5  # 4 kinds + resolutions
    assert all("{" in t["body"] for t in records["templates"])  # slugs for the template engine


def test_one_password_hash_is_shared_by_every_demo_user() -> None:
    rows = next(rows for table, rows in generate(password_hash="HASH") if table == "systemusers")
    assert {row["passwordhash"] for row in rows} == {"HASH"}


def test_scaled_generation_streams_bounded_batches() -> None:
    batches = [(table, len(rows)) for table, rows in generate(cases=BATCH_CASES * 2 + 10)]
    case_batches = [n for table, n in batches if table == "incidents"]
    assert case_batches == [BATCH_CASES, BATCH_CASES, 10]
    assert max(n for table, n in batches if table == "activities") <= BATCH_CASES * 5


def run_server(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120)


def test_production_mode_refuses_demo_credentials(seeded_template: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "casework.sqlite3").write_bytes(seeded_template.read_bytes())
    result = run_server("--production", "--port", "0", "--data-dir", str(data))
    assert result.returncode == 1
    assert result.stderr.startswith("casework: error: refusing to start in production mode: demo credentials")
    assert result.stderr.count("\n") == 1 and "agent1" in result.stderr


def test_scale_flag_is_checked() -> None:
    result = run_server("--scale", "lots")
    assert result.returncode == 2 and "invalid --scale 'lots'" in result.stderr


def test_demo_macros_and_scripts_are_valid_and_refer_to_what_exists() -> None:
    from server.api.entities import productivity_format

    records = demo_records(cases=10)
    macros = {m["name"]: json.loads(m["definition"]) for m in records["macros"]}
    assert len(macros) == 10
    assert {"Resolve with KB article", "Escalate to tier 2", "Send follow-up e-mail"} <= set(macros)
    template_ids = {t["templateid"] for t in records["templates"]}
    for definition in macros.values():
        productivity_format.check_macro(definition)
        for step in definition["steps"]:
            if step["action"] == "open_email_template":
                assert step["fields"]["templateId"] in template_ids
    scripts = {s["uniquename"]: json.loads(s["definition"]) for s in records["agentscripts"]}
    assert len(scripts) == 5
    for definition in scripts.values():
        productivity_format.check_script(definition)
        for step in definition["steps"]:
            assert step.get("macro", next(iter(macros))) in macros
            assert step.get("script", next(iter(scripts))) in scripts


def test_adding_the_productivity_data_left_the_cases_as_they_were() -> None:
    # The macros and scripts draw from their own random stream: the case ids of a seed stay the same.
    # (ids as the generator made them before the productivity data existed)
    cases = demo_records(cases=3)["incidents"]
    assert [cases[0]["incidentid"], cases[2]["incidentid"]] == ["ae262cd4-3544-4856-872c-8394db660bc0",
                                                               "3bae545c-4732-4960-8a6d-5e60a4eef8c5"]
