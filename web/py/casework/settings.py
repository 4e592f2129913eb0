"""The signed-in agent's own settings: read, changed at once, saved on the server; page-API names mapped. Pure.

Settings live on the server (``PUT /api/me/settings/<key>``, returned by ``/api/me``) under Casework's names.
Page scripts use the product's names through ``Microsoft.Apm.saveSettingValue(name, value)`` /
``getSettingValue(name)``; :data:`PAGE_SETTINGS` maps them:

===========================================  ======================================  =========
page API name                                Casework setting                        relation
===========================================  ======================================  =========
``msdyn_SuppressSessionCloseWarning``        ``closeSessionWarning``                 inverted
``msdyn_MultisessionLayoutImprovements``     ``multisessionLayoutImprovements``      same
``msdyn_MultisessionNavigationImprovements`` ``multisessionNavigationImprovements``  same
===========================================  ======================================  =========

The last two are stored as asked; the legacy layout and navigation they once chose no longer exist (the reference
removed them), so saving ``false`` only brings :data:`LEGACY_NOTICE`.

A change is effective immediately (the in-memory value changes before the server write, so the next session
close already obeys it) and rolled back if the server refuses it.

From Python in the page::

    from casework import settings
    await settings.save_setting_value("msdyn_SuppressSessionCloseWarning", True)
    settings.get_setting_value("msdyn_SuppressSessionCloseWarning")  # True
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

CLOSE_SESSION_WARNING = "closeSessionWarning"
MULTISESSION_LAYOUT = "multisessionLayoutImprovements"
MULTISESSION_NAVIGATION = "multisessionNavigationImprovements"
ACTIVE_ITEM = "activeItem"  # session context key: truthy while the session has an active item (a conversation)

DEFAULTS: dict[str, Any] = {CLOSE_SESSION_WARNING: True, MULTISESSION_LAYOUT: True, MULTISESSION_NAVIGATION: True}

#: What the page says when a script turns the legacy layout or navigation on: the reference removed both.
LEGACY_NOTICE = ("Casework has only the multisession layout and navigation: the legacy ones were removed. "
                 "The setting is saved, but nothing changes.")


class SettingError(ValueError):
    """A refused setting name or value. ``code`` is ``invalid_input`` (like the Apm API's errors)."""

    code = "invalid_input"

    def to_dict(self) -> dict:
        return {"code": self.code, "errorCode": 3, "message": str(self)}


@dataclass(frozen=True)
class PageSetting:
    """A page-API setting name and the Casework setting it reads and writes."""

    name: str
    key: str
    inverted: bool = False

    def to_page(self, value: object) -> object:
        return (not value) if self.inverted else value

    def from_page(self, value: object) -> object:
        if not isinstance(value, bool):
            raise SettingError(f"{self.name} takes true or false, not {value!r}.")
        return (not value) if self.inverted else value


PAGE_SETTINGS: dict[str, PageSetting] = {
    s.name: s for s in (
        PageSetting("msdyn_SuppressSessionCloseWarning", CLOSE_SESSION_WARNING, inverted=True),
        # Stored as asked; false (the legacy layout / navigation) only brings LEGACY_NOTICE.
        PageSetting("msdyn_MultisessionLayoutImprovements", MULTISESSION_LAYOUT),
        PageSetting("msdyn_MultisessionNavigationImprovements", MULTISESSION_NAVIGATION),
    )
}


def is_legacy_choice(name: object, value: object) -> bool:
    """Whether saving ``value`` under ``name`` asks for the removed legacy layout or navigation."""
    return value is False and name in ("msdyn_MultisessionLayoutImprovements",
                                       "msdyn_MultisessionNavigationImprovements")


def page_setting(name: object) -> PageSetting:
    """The mapping of a page-API setting name.

    Raises:
        SettingError: the name is not one Casework knows.
    """
    found = PAGE_SETTINGS.get(name) if isinstance(name, str) else None
    if found is None:
        raise SettingError(f"Unknown setting {name!r}; known: {', '.join(PAGE_SETTINGS)}.")
    return found


class UserSettings:
    """The agent's settings, held in ``values`` (``Agent.settings``: updated in place, so it stays current).

    Args:
        values: The settings from ``/api/me``.
        save: ``await save(key, value)`` persists one (``RecordClient.set_setting``).
    """

    def __init__(self, values: dict, save: Callable[[str, Any], Awaitable[None]]) -> None:
        self.values = values
        self._save = save
        self._listeners: list[Callable[[str, Any], None]] = []

    def get(self, key: str) -> Any:
        """A setting's value (its default when the agent never set it)."""
        return self.values.get(key, DEFAULTS.get(key))

    def subscribe(self, listener: Callable[[str, Any], None]) -> Callable[[], None]:
        """``listener(key, value)`` after every change; returns the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    async def set(self, key: str, value: Any) -> None:
        """Change a setting now and save it; on a failed save the old value comes back and the error is raised."""
        had, old = key in self.values, self.values.get(key)
        self._apply(key, value)
        try:
            await self._save(key, value)
        except BaseException:
            if had:
                self._apply(key, old)
            else:
                self.values.pop(key, None)
                self._notify(key, self.get(key))
            raise

    def get_setting_value(self, name: object) -> object:
        """A page-API setting's value (``msdyn_SuppressSessionCloseWarning`` -> ``not closeSessionWarning``)."""
        setting = page_setting(name)
        return setting.to_page(self.get(setting.key))

    def current_app_setting(self, name: object) -> object:
        """``Xrm.Utility.getGlobalContext().getCurrentAppSetting(name)``: the value, or ``None`` (the reference's
        null) for a name Casework does not know."""
        try:
            return self.get_setting_value(name)
        except SettingError:
            return None

    async def save_setting_value(self, name: object, value: object) -> None:
        """Set a page-API setting (validated before anything changes)."""
        setting = page_setting(name)
        await self.set(setting.key, setting.from_page(value))

    @property
    def close_session_warning(self) -> bool:
        """Whether closing a session with unsaved changes or an active item asks first."""
        return self.get(CLOSE_SESSION_WARNING) is not False

    def _apply(self, key: str, value: Any) -> None:
        self.values[key] = value
        self._notify(key, value)

    def _notify(self, key: str, value: Any) -> None:
        for listener in list(self._listeners):
            listener(key, value)


def close_warning_reasons(*, enabled: bool, dirty_tabs: int, context: Mapping | None) -> list[str]:
    """Why closing a session should ask first (empty: close at once).

    Asks when the warning is on and the session has tabs with unsaved changes, or an active item: its context's
    ``activeItem`` is truthy (a live conversation sets it with ``session.updateContext({activeItem: ...})``).
    """
    if not enabled:
        return []
    reasons = []
    if dirty_tabs:
        reasons.append(f"{dirty_tabs} tab{'s' if dirty_tabs != 1 else ''} with unsaved changes" if dirty_tabs > 1
                       else "unsaved changes")
    if context and context.get(ACTIVE_ITEM):
        reasons.append("an active item")
    return reasons


_installed: UserSettings | None = None


def install(settings: UserSettings) -> UserSettings:
    """Make ``settings`` the page's (what the module functions below use)."""
    global _installed
    _installed = settings
    return settings


def current() -> UserSettings:
    if _installed is None:
        raise RuntimeError("no settings installed (the workspace has not booted)")
    return _installed


def get_setting_value(name: str) -> object:
    """The page's ``Microsoft.Apm.getSettingValue`` in Python."""
    return current().get_setting_value(name)


async def save_setting_value(name: str, value: object) -> None:
    """The page's ``Microsoft.Apm.saveSettingValue`` in Python (awaits the server)."""
    await current().save_setting_value(name, value)
