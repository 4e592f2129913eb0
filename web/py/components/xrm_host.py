"""Connects ``window.Xrm`` (web/js/xrm.js) to the session engine, the settings and the page's dialogs.

The calls ride on the ``Microsoft.Apm`` bridge (``browser.apm_bridge.register_call`` / ``register_async_call``):
JSON in, ``{"result"}`` or ``{"error"}`` out. Where a navigation lands is decided by the pure call table
(``apm.xrm``); this module only shows what it asks for (a quick create form, a web resource in a dialog) and
settles the Promise when the dialog closes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apm import xrm
from apm.errors import ApmError, ValidationError
from apm.facade import Apm
from browser import apm_bridge
from browser.dom import h
from casework import settings as user_settings
from casework.entities import entity
from casework.prefill import PrefillError, form_values
from casework.settings import LEGACY_NOTICE, SettingError, is_legacy_choice


def _error(error: ApmError | PrefillError | SettingError) -> dict:
    if isinstance(error, ApmError):
        return {"error": error.to_dict()}
    return {"error": ValidationError(str(error)).to_dict()}


def _check_form_data(entity_name: object, data: object) -> None:
    """Refuse malformed form parameters before anything opens ("Invalid parameters will cause an error")."""
    if isinstance(entity_name, str) and data not in (None, ""):
        try:
            form_values(entity(entity_name), data)
        except KeyError:
            raise ValidationError(f"Unknown entity {entity_name!r}.") from None


def install(api: Apm, services: Any) -> None:
    """Register the Xrm calls. ``services`` are the pages' (dialogs, notices, the record client)."""
    from components.quick_create import QUICK_FIELDS, quick_create  # the header's quick create form

    notify: Callable[[str, str], None] = services.notify

    async def show_dialog(spec: dict) -> dict:
        if spec.get("pageType") == "entityrecord" and spec.get("quickCreate"):
            logical = spec["entityName"]
            if logical not in QUICK_FIELDS:
                raise ValidationError(f"Quick create exists for {', '.join(QUICK_FIELDS)}, not {logical!r}.")
            values, _unknown = form_values(entity(logical), spec.get("data"))
            record = await quick_create(services, logical, values)
            if record is None:
                return {"result": None}
            meta = entity(logical)
            return {"result": {"savedEntityReference": [
                {"entityType": logical, "id": meta.id_of(record), "name": meta.title_of(record)}]}}
        if spec.get("pageType") == "webresource":
            from components.embedded_pages import WEB_RESOURCE_SANDBOX, web_resource_url

            context = spec.get("appContext") or {}
            frame = h("iframe", {"class": "xrm-dialog-frame", "sandbox": WEB_RESOURCE_SANDBOX,
                                 "title": spec.get("title") or context["webresourceName"],
                                 "src": web_resource_url(context["webresourceName"], context.get("data"))})
            await services.dialogs.show(spec.get("title") or context["webresourceName"], frame, [("Close", None)],
                                        label="xrm-dialog")
            return {"result": None}
        raise ValidationError(f"A {spec.get('pageType')} page opens inline in Casework (navigationOptions.target 1); "
                              "in a dialog: a new record (quick create) or a web resource.")

    async def run(method: str, first: object, second: object) -> dict:
        try:
            if method == "openForm" and isinstance(first, dict):
                _check_form_data(first.get("entityName"), second)
            if method == "navigateTo" and isinstance(first, dict) and first.get("pageType") == "entityrecord":
                _check_form_data(first.get("entityName"), first.get("data"))
            answer = xrm.call(api, method, [first, second])
            if "dialog" in answer:
                return await show_dialog(answer["dialog"])
            return {"result": None}  # inline: resolves at once, with no value (the reference)
        except (ApmError, PrefillError) as error:
            if isinstance(error, ApmError) and error.code in apm_bridge.LIMIT_CODES:
                notify(error.message, error.code)
            return _error(error)

    async def open_form(options: object, parameters: object) -> dict:
        return await run("openForm", options, parameters)

    async def navigate_to(page_input: object, options: object) -> dict:
        return await run("navigateTo", page_input, options)

    def current_app_setting(name: object) -> dict:
        return {"result": user_settings.current().current_app_setting(name)}

    async def save_setting_value(name: object, value: object, _options: object) -> dict:
        try:
            await user_settings.current().save_setting_value(name, value)
        except SettingError as error:
            return _error(error)
        if is_legacy_choice(name, value):
            notify(LEGACY_NOTICE, "legacy_layout_removed")
        return {"result": None}

    apm_bridge.register_async_call("xrmOpenForm", 2, open_form)
    apm_bridge.register_async_call("xrmNavigateTo", 2, navigate_to)
    apm_bridge.register_async_call("xrmSaveSettingValue", 3, save_setting_value)
    apm_bridge.register_call("xrmGetCurrentAppSetting", 1, current_app_setting)
