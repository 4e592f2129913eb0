"""The ``window.Xrm`` call table: the parts of the Power Apps client API the reference names for multisession. Pure.

``Xrm.Navigation.openForm(entityFormOptions, formParameters)`` and ``Xrm.Navigation.navigateTo(pageInput,
navigationOptions)`` land by the multisession rules (``NavSource.OPEN_FORM`` / ``NAVIGATE_TO``: from Home a new
session, from another session a new tab in it). What this module answers (JSON, like :mod:`apm.jsapi`):

* ``{"inline": {"sessionId", "tabId"}}``: opened in the workspace (target 1, the default);
* ``{"dialog": {...}}``: to be shown as a modal dialog by the page (target 2, or ``useQuickCreateForm``); the
  browser side (``components/xrm_host.py``) shows it and settles the Promise when it closes.

Refusals raise :class:`~apm.errors.ApmError` (``invalid_input`` for a malformed input, plus the model's own codes such
as ``session_limit_reached``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .errors import ValidationError
from .facade import Apm
from .navigation import NavSource, NavTarget

PAGE_TYPES = ("entityrecord", "entitylist", "dashboard", "webresource", "custom")
INLINE, DIALOG = 1, 2


def _object(value: object, what: str) -> Mapping:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(f"{what} must be an object.")
    return value


def _text(data: Mapping, key: str, what: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise ValidationError(f"{what}.{key} is required.")
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{what}.{key} must be a string.")
    return value.strip("{}") if key in ("entityId", "recordId", "dashboardId", "viewId", "formId") else value


def _flag(data: Mapping, key: str, what: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise ValidationError(f"{what}.{key} must be true or false.")
    return value


def _target_number(options: Mapping) -> int:
    target = options.get("target", INLINE)
    if target not in (INLINE, DIALOG) or isinstance(target, bool):
        raise ValidationError("navigationOptions.target must be 1 (inline) or 2 (dialog).")
    return target


def _data(value: object, what: str) -> object:
    if value is None or value == "":
        return None
    if not isinstance(value, str | Mapping):
        raise ValidationError(f"{what} must be an object or its JSON text.")
    return dict(value) if isinstance(value, Mapping) else value


def _record_target(entity_name: str, entity_id: str | None, form_id: str | None, data: object) -> NavTarget:
    app_context: dict = {"entityName": entity_name}
    if entity_id:
        app_context["entityId"] = entity_id
    if form_id:
        app_context["formId"] = form_id
    if data is not None:
        app_context["data"] = data
    return NavTarget("msdyn_entityrecord", app_context)


def page_target(page_input: object) -> tuple[str, NavTarget]:
    """The tab a ``navigateTo`` page input shows: ``(pageType, NavTarget)``.

    Raises:
        ValidationError: ``invalid_input`` for an unknown page type or a missing or malformed parameter.
    """
    page = _object(page_input, "pageInput")
    page_type = page.get("pageType")
    if page_type not in PAGE_TYPES:
        raise ValidationError(f"pageInput.pageType must be one of {', '.join(PAGE_TYPES)}, not {page_type!r}.")
    what = "pageInput"
    if page_type == "entityrecord":
        return page_type, _record_target(
            _text(page, "entityName", what, required=True), _text(page, "entityId", what),
            _text(page, "formId", what), _data(page.get("data"), "pageInput.data"))
    if page_type == "entitylist":
        context = {"entityName": _text(page, "entityName", what, required=True)}
        view_id = _text(page, "viewId", what)
        if view_id:
            context["viewId"] = view_id
        return page_type, NavTarget("msdyn_entitylist", context)
    if page_type == "dashboard":
        dashboard_id = _text(page, "dashboardId", what)  # omitted: the default dashboard
        return page_type, NavTarget("msdyn_dashboard", {"dashboardId": dashboard_id} if dashboard_id else {})
    if page_type == "webresource":
        name = _text(page, "webresourceName", what, required=True)
        context = {"webresourceName": name}
        data = page.get("data")
        if data is not None:
            if not isinstance(data, str):
                raise ValidationError("pageInput.data of a web resource must be a string.")
            context["data"] = data
        return page_type, NavTarget("msdyn_webresource", context, title=name)
    name = _text(page, "name", what, required=True)
    context = {"name": name}
    for key in ("entityName", "recordId"):
        value = _text(page, key, what)
        if value:
            context[key] = value
    return page_type, NavTarget("msdyn_custompage", context, title=name)


def open_form(api: Apm, entity_form_options: object, form_parameters: object = None) -> dict:
    """``Xrm.Navigation.openForm``: inline by the multisession rules, or a quick create dialog.

    ``formId`` is kept on the tab (Casework has one form per entity, so every id shows it); ``formParameters`` fill
    a new record's form (see ``casework.prefill``); ``openInNewWindow``, ``navbar``, ``cmdbar`` and
    ``windowPosition`` have no meaning in one workspace window and are accepted and ignored.
    """
    options = _object(entity_form_options, "entityFormOptions")
    what = "entityFormOptions"
    entity_name = _text(options, "entityName", what, required=True)
    entity_id = _text(options, "entityId", what)
    form_id = _text(options, "formId", what)
    data = _data(form_parameters, "formParameters")
    if _flag(options, "useQuickCreateForm", what):
        if entity_id:
            raise ValidationError("useQuickCreateForm creates a record: leave entityFormOptions.entityId out.")
        return {"dialog": {"pageType": "entityrecord", "entityName": entity_name, "data": data, "quickCreate": True}}
    target = _record_target(entity_name, entity_id, form_id, data)
    session_id, tab_id = api.open(target, NavSource.OPEN_FORM)
    return {"inline": {"sessionId": session_id, "tabId": tab_id}}


def navigate_to(api: Apm, page_input: object, navigation_options: object = None) -> dict:
    """``Xrm.Navigation.navigateTo``: target 1 inline by the multisession rules, target 2 a modal dialog."""
    options = _object(navigation_options, "navigationOptions")
    target_number = _target_number(options)
    page_type, target = page_target(page_input)
    if target_number == DIALOG:
        if page_type == "entitylist":
            raise ValidationError("An entity list opens inline only (navigationOptions.target 1).")
        title = options.get("title")
        dialog = {"pageType": page_type, "templateName": target.template_name, "appContext": target.app_context,
                  "title": title if isinstance(title, str) else None, "width": options.get("width"),
                  "height": options.get("height"), "position": options.get("position", 1)}
        if page_type == "entityrecord":
            dialog.update(entityName=target.app_context["entityName"], data=target.app_context.get("data"),
                          quickCreate="entityId" not in target.app_context)
        return {"dialog": dialog}
    session_id, tab_id = api.open(target, NavSource.NAVIGATE_TO)
    return {"inline": {"sessionId": session_id, "tabId": tab_id}}


# name -> (arity, handler), as in apm.jsapi.
_CALLS: dict[str, tuple[int, Callable[..., object]]] = {
    "openForm": (2, open_form),
    "navigateTo": (2, navigate_to),
}
METHODS = tuple(_CALLS)


def call(api: Apm, method: str, args: list | tuple) -> object:
    """Runs one ``Xrm.Navigation`` call (see :func:`apm.jsapi.call` for the conventions)."""
    entry = _CALLS.get(method)
    if entry is None:
        raise ValidationError(f"Unknown Xrm method {method!r}.")
    arity, handler = entry
    if not isinstance(args, list | tuple) or len(args) > arity:
        raise ValidationError(f"{method} takes {arity} argument(s).")
    return handler(api, *args, *([None] * (arity - len(args))))
