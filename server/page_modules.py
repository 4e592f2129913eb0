"""Modules of the page's own Python (``web/py``) that the server runs too, loaded by path: the server does not put
the page's packages on its import path, and these files import only the standard library, so both sides apply the
same rules with the same code (macro and script definitions, the OData grammar)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from server.settings import REPO_ROOT

PAGE_PYTHON = REPO_ROOT / "web" / "py"


def load(relative: str) -> ModuleType:
    """The module at ``web/py/<relative>`` (``casework/odata_eval.py``), loaded once, as ``page_<package>_<name>``.
    """
    name = "page_" + relative.removesuffix(".py").replace("/", "_")
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, PAGE_PYTHON / relative)
        assert spec is not None and spec.loader is not None, relative
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the file runs
        spec.loader.exec_module(module)
    return sys.modules[name]
