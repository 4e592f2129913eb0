"""The examples in docs/apm.md run as written, in the page: every ```js and ```python block, in order.

That includes every sample of the reference (../shared/reference/dynamics-client-api.md), with its typos fixed as
the doc lists. A JavaScript example asserts what the reference promises with ``check(condition, what)``, which throws
(failing the test) when it does not hold; Python examples use ``assert``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.support import RESET_JS, run_python

CHECK = "const check = (ok, what) => { if (!ok) throw new Error('docs/apm.md example: not so: ' + what); };"
DOC = Path(__file__).resolve().parents[2] / "docs" / "apm.md"
BLOCKS = re.findall(r"```(js|python)\n(.*?)```", DOC.read_text(), re.S)


def test_the_api_doc_has_examples_in_both_languages() -> None:
    languages = {language for language, _ in BLOCKS}
    assert languages == {"js", "python"}
    assert len(BLOCKS) >= 8


def test_the_doc_runs_the_reference_samples() -> None:
    for sample in ('case_entity_session_default_template", sessionContext: x, isFocused: false',
                   'templateName: "msdyn_omnichannel_kbsearch", isFocused: true',
                   'getEventPublisherTopic("ON_SESSION_CLOSED")', "session.canClose = false", 'tab.title = "New Tab',
                   'saveSettingValue("msdyn_SuppressSessionCloseWarning", true)', "Xrm.Navigation.openForm",
                   "Xrm.Navigation.navigateTo", '["controlName", '):
        assert any(sample in code for _, code in BLOCKS), sample


@pytest.mark.parametrize(("index", "language", "code"), [(i, lang, code) for i, (lang, code) in enumerate(BLOCKS)],
                         ids=[f"block{i}-{lang}" for i, (lang, _) in enumerate(BLOCKS)])
def test_doc_example_runs(shared_page: Page, index: int, language: str, code: str) -> None:
    shared_page.evaluate(RESET_JS)
    if language == "js":
        shared_page.evaluate(f"async () => {{\n{CHECK}\n{code}\n}}")
    else:
        assert run_python(shared_page, code + "\nresult = True") is True
