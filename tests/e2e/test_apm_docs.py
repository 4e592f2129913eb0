"""The examples in docs/apm.md run as written, in the page: every ```js and ```python block, in order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.support import RESET_JS, run_python

DOC = Path(__file__).resolve().parents[2] / "docs" / "apm.md"
BLOCKS = re.findall(r"```(js|python)\n(.*?)```", DOC.read_text(), re.S)


def test_the_api_doc_has_examples_in_both_languages() -> None:
    languages = {language for language, _ in BLOCKS}
    assert languages == {"js", "python"}
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize(("index", "language", "code"), [(i, lang, code) for i, (lang, code) in enumerate(BLOCKS)],
                         ids=[f"block{i}-{lang}" for i, (lang, _) in enumerate(BLOCKS)])
def test_doc_example_runs(shared_page: Page, index: int, language: str, code: str) -> None:
    shared_page.evaluate(RESET_JS)
    if language == "js":
        shared_page.evaluate(f"async () => {{\n{code}\n}}")
    else:
        assert run_python(shared_page, code + "\nresult = True") is True
