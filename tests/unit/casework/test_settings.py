"""User settings: page-API names map onto Casework's (inverted), changes apply at once and roll back on failure."""

from __future__ import annotations

import pytest

from casework import settings as settings_module
from casework.settings import SettingError, UserSettings, close_warning_reasons, page_setting
from tests.support.aio import run


class FakeServer:
    def __init__(self, fail: bool = False) -> None:
        self.saved: dict = {}
        self.fail = fail
        self.seen_during_save: list = []

    async def save(self, key, value):
        self.seen_during_save.append(key)
        if self.fail:
            raise RuntimeError("server down")
        self.saved[key] = value


def test_suppress_close_warning_maps_to_close_session_warning_inverted():
    server = FakeServer()
    values: dict = {}
    settings = UserSettings(values, server.save)
    assert settings.close_session_warning is True  # the default asks
    assert settings.get_setting_value("msdyn_SuppressSessionCloseWarning") is False
    run(settings.save_setting_value("msdyn_SuppressSessionCloseWarning", True))
    assert server.saved == {"closeSessionWarning": False}
    assert values == {"closeSessionWarning": False}  # the agent's settings dict itself is current
    assert settings.close_session_warning is False
    assert settings.get_setting_value("msdyn_SuppressSessionCloseWarning") is True


def test_a_change_is_effective_before_the_server_answers():
    observed = []
    settings = UserSettings({}, lambda key, value: _record(observed, settings))
    run(settings.set("closeSessionWarning", False))
    assert observed == [False]


async def _record(observed, settings):
    observed.append(settings.close_session_warning)


def test_a_refused_save_restores_the_old_value_and_tells_listeners():
    heard = []
    settings = UserSettings({"closeSessionWarning": True}, FakeServer(fail=True).save)
    settings.subscribe(lambda key, value: heard.append((key, value)))
    with pytest.raises(RuntimeError):
        run(settings.set("closeSessionWarning", False))
    assert settings.close_session_warning is True
    assert heard == [("closeSessionWarning", False), ("closeSessionWarning", True)]
    fresh = UserSettings({}, FakeServer(fail=True).save)
    with pytest.raises(RuntimeError):
        run(fresh.set("closeSessionWarning", False))
    assert fresh.values == {} and fresh.close_session_warning is True


def test_unknown_names_and_wrong_values_change_nothing():
    server = FakeServer()
    settings = UserSettings({}, server.save)
    with pytest.raises(SettingError) as unknown:
        run(settings.save_setting_value("msdyn_Nope", True))
    assert unknown.value.to_dict()["code"] == "invalid_input"
    with pytest.raises(SettingError):
        run(settings.save_setting_value("msdyn_SuppressSessionCloseWarning", "yes"))
    with pytest.raises(SettingError):
        page_setting(None)
    assert server.seen_during_save == [] and settings.values == {}


def test_module_functions_use_the_installed_settings():
    server = FakeServer()
    settings_module.install(UserSettings({}, server.save))
    run(settings_module.save_setting_value("msdyn_SuppressSessionCloseWarning", True))
    assert settings_module.get_setting_value("msdyn_SuppressSessionCloseWarning") is True
    assert server.saved == {"closeSessionWarning": False}


def test_close_warning_asks_only_for_unsaved_changes_or_an_active_item_when_on():
    assert close_warning_reasons(enabled=True, dirty_tabs=0, context={}) == []
    assert close_warning_reasons(enabled=True, dirty_tabs=1, context=None) == ["unsaved changes"]
    assert close_warning_reasons(enabled=True, dirty_tabs=2, context={}) == ["2 tabs with unsaved changes"]
    assert close_warning_reasons(enabled=True, dirty_tabs=0, context={"activeItem": "conversation"}) == [
        "an active item"]
    assert close_warning_reasons(enabled=True, dirty_tabs=0, context={"activeItem": False}) == []
    assert close_warning_reasons(enabled=False, dirty_tabs=3, context={"activeItem": True}) == []


def test_the_reference_settings_and_get_current_app_setting():
    from casework.settings import LEGACY_NOTICE, UserSettings, is_legacy_choice

    saved = []

    async def save(key, value):
        saved.append((key, value))

    settings = UserSettings({}, save)
    assert settings.current_app_setting("msdyn_MultisessionLayoutImprovements") is True  # the default
    assert settings.current_app_setting("msdyn_nothing") is None  # the reference: null for an unknown name
    run(settings.save_setting_value("msdyn_MultisessionNavigationImprovements", False))
    assert saved == [("multisessionNavigationImprovements", False)]
    assert settings.current_app_setting("msdyn_MultisessionNavigationImprovements") is False
    assert is_legacy_choice("msdyn_MultisessionLayoutImprovements", False)
    assert not is_legacy_choice("msdyn_SuppressSessionCloseWarning", False)
    assert "only the multisession layout" in LEGACY_NOTICE
