"""Accessibility scans with axe-core (npm devDependency, ``node_modules/axe-core``) in a Playwright page.

``assert_accessible(page)`` injects axe once per document and fails with a readable list when the scan finds
serious or critical violations. Axe is injected with ``page.evaluate`` (DevTools' Runtime.evaluate), which the
page's Content-Security-Policy does not govern, unlike ``add_script_tag``.

    assert_accessible(page)                                  # the whole page
    assert_accessible(page, "#global-search-listbox")        # one widget (plus what it needs to be judged)
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def inject_axe(page: Page) -> None:
    """Load axe into the page's document (once)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        if not AXE.exists():
            raise AssertionError(f"{AXE} is missing: run `npm ci` (axe-core is a devDependency)")
        page.evaluate(AXE.read_text() + "\n;undefined")


def scan(page: Page, context_selector: str | None = None) -> list[dict]:
    """The violations axe finds (in ``context_selector`` or the whole document), as axe reports them."""
    inject_axe(page)
    return page.evaluate(
        """async (selector) => {
            const context = selector ? {include: [selector]} : document;
            const result = await axe.run(context, {resultTypes: ["violations"]});
            return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary}))}));
        }""",
        context_selector,
    )


def assert_accessible(page: Page, context_selector: str | None = None) -> None:
    """Fail when axe finds serious or critical violations (in ``context_selector`` or the whole page)."""
    blocking = [v for v in scan(page, context_selector) if v["impact"] in BLOCKING]
    if blocking:
        lines = []
        for violation in blocking:
            lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
            lines += [f"    {node['target']}: {node['summary']}" for node in violation["nodes"][:5]]
        raise AssertionError("axe found serious/critical violations:\n" + "\n".join(lines))
