"""The agent calendar (components.calendar): opened from the site map, an activity in its local day, rescheduled by
drag and by keyboard (the server gets the new due time), a conflict shown instead of overwriting, Day/Week and
restore, axe.

One booted page (agent2, whom no other e2e module uses, in the Europe/Berlin time zone so local time is not UTC)
serves the module; each test creates its own activities through the API.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from server.launch import RunningServer
from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import GuardedPages, wait_ready
from tests.e2e.support import RESET_JS, Api, unique_word

USER = "agent2"
ZONE = ZoneInfo("Europe/Berlin")
SHOTS = Path(tempfile.gettempdir()) / "casework-shots" / "calendar"  # looked at by people, not asserted
PX_PER_MINUTE = 32 / 30  # components.calendar SLOT_PX per half hour


@pytest.fixture(scope="module")
def _calendar_page(browser: Browser, live_server: RunningServer) -> Iterator[tuple[Page, GuardedPages]]:
    factory = GuardedPages(browser, live_server)
    context, guard = factory.new_context(USER, timezone_id="Europe/Berlin")
    page = context.new_page()
    page.guard = guard  # type: ignore[attr-defined]
    page.goto(live_server.url)
    wait_ready(page)
    yield page, factory
    factory.check_and_close(True)


@pytest.fixture
def page(_calendar_page: tuple[Page, GuardedPages]) -> Iterator[Page]:
    page, _factory = _calendar_page
    page.evaluate(RESET_JS)
    yield page
    problems = page.guard.problems()  # type: ignore[attr-defined]
    page.guard.page_errors.clear()  # type: ignore[attr-defined]
    page.guard.console_errors.clear()  # type: ignore[attr-defined]
    if problems:
        pytest.fail("page guard:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def api(page: Page, live_server: RunningServer) -> Api:
    return Api(page.context.request, live_server.url)


def today() -> dt.date:
    return dt.datetime.now(ZONE).date()


def other_day() -> dt.date:
    """Another day of this week (Monday to Sunday): tomorrow, or Saturday on a Sunday."""
    day = today()
    return day - dt.timedelta(days=1) if day.weekday() == 6 else day + dt.timedelta(days=1)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


def wire(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def server_due(api: Api, entity_set: str, record_id: str) -> dt.datetime:
    value = api.get(f"{entity_set}({record_id})")["scheduledend"]
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def open_calendar(page: Page) -> Locator:
    page.locator("#sitemap-button").click()
    page.get_by_role("menuitem", name="My calendar").click()
    calendar = page.locator(".tab-panel:not(.is-inactive) .calendar-page")
    expect(calendar).to_be_visible()
    return calendar


def item(calendar: Locator, day: dt.date, subject: str) -> Locator:
    return calendar.locator(f"ul.calendar-day[data-date='{day.isoformat()}'] .calendar-item", has_text=subject)


def drag(page: Page, calendar: Locator, source: Locator, day: dt.date, hour: int, escape: bool = False) -> None:
    """Press on the item's top edge, move to ``hour`` of ``day``'s column in steps (``escape``: press Escape
    there), release."""
    calendar.locator(".calendar-body").evaluate("(body) => { body.scrollTop = 8 * 64; }")
    box = source.bounding_box()
    column = calendar.locator(f"ul.calendar-day[data-date='{day.isoformat()}']").bounding_box()
    assert box and column
    page.mouse.move(box["x"] + 10, box["y"] + 4)
    page.mouse.down()
    page.mouse.move(column["x"] + column["width"] / 2, column["y"] + hour * 60 * PX_PER_MINUTE + 4, steps=8)
    if escape:
        page.keyboard.press("Escape")
        page.mouse.move(box["x"] + 10, box["y"] + 4, steps=2)  # back over the item: the release is no click
    page.mouse.up()


def new_task(api: Api, subject: str, due: dt.datetime) -> dict:
    case = api.new_case(f"Calendar case {subject}")
    return api.post("tasks", {"subject": subject, "scheduledend": wire(due), "regardingobjectid": case["incidentid"],
                              "regardingobjecttypecode": "incident"})


def test_an_activity_shows_in_its_local_day_with_type_time_and_regarding(page: Page, api: Api) -> None:
    subject = unique_word()
    new_task(api, subject, at(today(), 10))
    api.post("tasks", {"subject": f"{subject} undated"})  # no due date: counted, not shown
    calendar = open_calendar(page)
    first = today() - dt.timedelta(days=today().weekday())
    expect(calendar.get_by_role("heading", level=1)).to_contain_text(f"{first.day} ")
    task = item(calendar, today(), subject)
    expect(task).to_have_count(1)
    expect(task).to_contain_text("Task,")
    expect(task).to_contain_text("Due 10:00")  # 09:00 UTC in winter: local time, not UTC
    expect(task).to_contain_text(f"Regarding Calendar case {subject}")
    expect(calendar.locator(".calendar-note")).to_have_text(
        re.compile(r"^\d+ open activit(y|ies) without a due date, not shown\. Completed activities are hidden\.$"))
    expect(calendar.get_by_text(f"{subject} undated")).to_have_count(0)
    expect(calendar.locator(f"ul.calendar-day[data-date='{today().isoformat()}']")).to_have_attribute(
        "aria-label", re.compile(rf"^{today().strftime('%A')} {today().day} {today().strftime('%B')}, \d+ items?$"))
    task.click()  # opens the record
    expect(page.locator(".tab-panel:not(.is-inactive) .record-form")).to_be_visible()


def test_drag_and_alt_arrows_reschedule_and_the_server_keeps_the_new_due_time(page: Page, api: Api) -> None:
    subject = unique_word()
    record = new_task(api, subject, at(today(), 10))
    calendar = open_calendar(page)
    source = item(calendar, today(), subject)
    expect(source).to_be_visible()
    drag(page, calendar, source, other_day(), 13)
    moved = item(calendar, other_day(), subject)
    expect(moved).to_contain_text("Due 13:00")
    expect(item(calendar, today(), subject)).to_have_count(0)
    assert server_due(api, "tasks", record["activityid"]) == at(other_day(), 13)

    moved.focus()
    page.keyboard.press("Alt+ArrowDown")
    expect(moved).to_contain_text("Due 13:30")
    expect(moved).to_be_focused()  # the moved item keeps the focus
    assert server_due(api, "tasks", record["activityid"]) == at(other_day(), 13, 30)
    page.keyboard.press("Alt+ArrowUp")
    page.keyboard.press("Alt+ArrowUp")
    expect(moved).to_contain_text("Due 12:30")
    direction = "Alt+ArrowLeft" if other_day() > today() else "Alt+ArrowRight"
    page.keyboard.press(direction)
    back = item(calendar, today(), subject)
    expect(back).to_contain_text("Due 12:30")
    expect(back).to_be_focused()
    assert server_due(api, "tasks", record["activityid"]) == at(today(), 12, 30)


def test_an_appointment_keeps_its_duration_when_dragged(page: Page, api: Api) -> None:
    subject = unique_word()
    record = api.post("appointments", {"subject": subject, "scheduledstart": wire(at(today(), 9)),
                                       "scheduledend": wire(at(today(), 10, 30))})
    calendar = open_calendar(page)
    source = item(calendar, today(), subject)
    expect(source).to_contain_text("09:00–10:30")
    drag(page, calendar, source, other_day(), 11, escape=True)  # Escape during the drag: nothing moves
    expect(calendar.locator(".calendar-entry.is-dragging")).to_have_count(0)
    expect(item(calendar, today(), subject)).to_contain_text("09:00–10:30")
    expect(page.locator(".tab-panel:not(.is-inactive) .calendar-page")).to_be_visible()  # the release opened nothing
    assert api.get(f"appointments({record['activityid']})")["scheduledend"] == wire(at(today(), 10, 30))
    drag(page, calendar, source, other_day(), 11)
    expect(item(calendar, other_day(), subject)).to_contain_text("11:00–12:30")
    saved = api.get(f"appointments({record['activityid']})")
    assert (saved["scheduledstart"], saved["scheduledend"]) == (wire(at(other_day(), 11)),
                                                                wire(at(other_day(), 12, 30)))


def test_a_change_behind_the_pages_back_is_shown_as_a_conflict_and_not_overwritten(page: Page, api: Api) -> None:
    subject = unique_word()
    record = new_task(api, subject, at(today(), 10))
    calendar = open_calendar(page)
    source = item(calendar, today(), subject)
    expect(source).to_be_visible()
    theirs = api.patch(f"tasks({record['activityid']})", {"scheduledend": wire(at(today(), 16))},
                       record["@odata.etag"])
    drag(page, calendar, source, other_day(), 13)
    conflict = calendar.get_by_role("alert")
    expect(conflict).to_contain_text(f"“{subject}” was changed by someone else")
    expect(conflict.locator("tbody tr")).to_have_text(["Due" + at(today(), 16).strftime("%A %-d %B %H:%M")
                                                       + at(other_day(), 13).strftime("%A %-d %B %H:%M")])
    assert server_due(api, "tasks", record["activityid"]) == at(today(), 16)  # theirs kept
    expect(item(calendar, today(), subject)).to_contain_text("Due 16:00")  # drawn as it is now
    expect(conflict.get_by_role("button", name="Apply my time")).to_be_focused()
    shots(page, "conflict")
    assert_accessible(page, ".tab-panel:not(.is-inactive)")
    conflict.get_by_role("button", name="Apply my time").click()
    expect(item(calendar, other_day(), subject)).to_contain_text("Due 13:00")
    expect(calendar.get_by_role("alert")).to_have_count(0)
    saved = api.get(f"tasks({record['activityid']})")
    assert saved["scheduledend"] == wire(at(other_day(), 13)) and saved["@odata.etag"] != theirs["@odata.etag"]


def test_day_and_week_switch_move_and_come_back_after_a_reload(page: Page, api: Api) -> None:
    subject = unique_word()
    new_task(api, subject, at(today(), 11))
    calendar = open_calendar(page)
    heading = calendar.get_by_role("heading", level=1)
    expect(item(calendar, today(), subject)).to_be_visible()
    shots(page, "week")
    assert_accessible(page, ".tab-panel:not(.is-inactive)")
    calendar.get_by_role("button", name="Day", exact=True).click()
    expect(calendar.get_by_role("button", name="Day", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(heading).to_have_text(today().strftime("%A %-d %B %Y"))
    expect(calendar.locator("ul.calendar-day")).to_have_count(1)
    shots(page, "day")
    calendar.get_by_role("button", name="Next day").click()
    tomorrow = today() + dt.timedelta(days=1)
    expect(heading).to_have_text(tomorrow.strftime("%A %-d %B %Y"))
    expect(calendar.get_by_text(subject)).to_have_count(0)
    page.evaluate("() => window.dispatchEvent(new Event('pagehide'))")  # session restore saves now
    page.reload()
    wait_ready(page)
    restored = page.locator(".tab-panel:not(.is-inactive) .calendar-page")
    expect(restored.get_by_role("heading", level=1)).to_have_text(tomorrow.strftime("%A %-d %B %Y"))
    expect(restored.get_by_role("button", name="Day", exact=True)).to_have_attribute("aria-pressed", "true")
    restored.get_by_role("button", name="Today").click()
    restored.get_by_role("button", name="Week", exact=True).click()
    expect(item(restored, today(), subject)).to_be_visible()


def shots(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1440, 900), (1024, 700)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"calendar-{name}-{width}.png"))
    page.set_viewport_size({"width": 1280, "height": 800})
