"""The header's tools, wired once at boot: global search, the site map, the shortcut help, the close-session
warning and the user settings (with their page-API calls ``getSettingValue``/``saveSettingValue``)."""

from __future__ import annotations

from dataclasses import dataclass

from browser import apm_bridge, keyboard
from casework import settings as user_settings
from casework.settings import SettingError, UserSettings
from components import signout
from components.close_warning import CloseWarning
from components.global_search import GlobalSearch
from components.pages import Services
from components.record_form import save_focused_tab
from components.shortcut_help import ShortcutHelp
from components.sitemap import SiteMap


@dataclass
class HeaderTools:
    """The header's tools of one page (``services.header``)."""

    search: GlobalSearch
    sitemap: SiteMap
    shortcut_help: ShortcutHelp
    close_warning: CloseWarning


def install(services: Services) -> None:
    """Build the header's tools and register their shortcuts, page-API calls and the close hook."""
    settings = user_settings.install(UserSettings(services.agent.settings, services.client.set_setting))
    services.settings = settings
    search = GlobalSearch(services)
    sitemap = SiteMap(services)
    shortcut_help = ShortcutHelp(services)
    close_warning = CloseWarning(services, settings)
    services.header = HeaderTools(search, sitemap, shortcut_help, close_warning)
    keyboard.register_action("focus_search", search.focus)
    keyboard.register_action("open_sitemap", lambda: sitemap.open(0))
    keyboard.register_action("show_shortcuts", shortcut_help.show)
    keyboard.register_action("save_record", lambda: save_focused_tab(services))
    view = services.view
    if view is not None:
        view.close_session_request = close_warning.request_close
        view.close_tab_request = close_warning.request_close_tab

    def get_setting_value(name: object) -> dict:
        try:
            return {"result": settings.get_setting_value(name)}
        except SettingError as error:
            return {"error": error.to_dict()}

    async def save_setting_value(name: object, value: object) -> dict:
        try:
            await settings.save_setting_value(name, value)
        except SettingError as error:
            return {"error": error.to_dict()}
        except Exception as error:  # the server refused or did not answer: the old value is back
            return {"error": {"code": getattr(error, "code", "save_failed"),
                              "message": getattr(error, "message", None) or f"{type(error).__name__}: {error}"}}
        return {"result": None}

    signout.install(services)  # the Sign out button (clears this user's saved workspace in this browser)
    apm_bridge.register_call("getSettingValue", 1, get_setting_value)
    apm_bridge.register_async_call("saveSettingValue", 2, save_setting_value)
