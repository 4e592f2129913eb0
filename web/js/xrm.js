// window.Xrm: the parts of the Power Apps client API the reference names for multisession.
//
//   Xrm.Navigation.openForm(entityFormOptions, formParameters)   -> Promise (inline by the multisession rules:
//                                                                   from Home a new session, else a new tab)
//   Xrm.Navigation.navigateTo(pageInput, navigationOptions)      -> Promise (target 1 inline, resolves at once;
//                                                                   target 2 a modal dialog, resolves when closed)
//   Xrm.Navigation.openWebResource(name, windowOptions, data)    -> a new browser window (no return value)
//   Xrm.Utility.getGlobalContext().getCurrentAppSetting(name)    -> the value, synchronously (null if unknown)
//   Xrm.Utility.getGlobalContext().saveSettingValue(name, value) -> Promise
//
// Everything crosses to Python on the Microsoft.Apm bridge (web/py/browser/xrm_bridge.py, web/py/apm/xrm.py);
// refusals are Microsoft.Apm.ApmError {code, errorCode, message}. Promise calls made before the engine is up
// wait for Microsoft.Apm.ready; getCurrentAppSetting throws `not_ready` then.

const { call, callAsync, ApmError } = window.Microsoft.Apm._internal;
// Inline navigations and closed dialogs resolve "with no value" (the reference): undefined, not null.
const noValue = (value) => (value === null ? undefined : value);

function openWebResource(webResourceName, windowOptions, data) {
  if (typeof webResourceName !== "string" || !webResourceName.trim() || /^[a-z]+:|^\/\//i.test(webResourceName)) {
    throw new ApmError("invalid_input", "openWebResource needs the name of a web resource, e.g. new_page.html.", 3);
  }
  const path = webResourceName.split("/").filter((part) => part && part !== "." && part !== "..")
    .map(encodeURIComponent).join("/");
  const query = data === undefined || data === null || data === "" ? "" : `?data=${encodeURIComponent(String(data))}`;
  const features = [];
  if (windowOptions && Number.isFinite(windowOptions.width)) features.push(`width=${Math.round(windowOptions.width)}`);
  if (windowOptions && Number.isFinite(windowOptions.height)) features.push(`height=${Math.round(windowOptions.height)}`);
  // A new browser window, as the reference says (tabs for web resources: Microsoft.Apm.createTab).
  window.open(new URL(`webresources/${path}${query}`, document.baseURI).href, "_blank",
    features.length ? features.join(",") : undefined);
}

const globalContext = Object.freeze({
  /** Synchronous: Number/String/Boolean, or null for a name that is wrong or not found (the reference). */
  getCurrentAppSetting: (settingName) => call("xrmGetCurrentAppSetting", settingName),
  /** A Promise; the change is effective at once and rolled back if the server refuses it. */
  saveSettingValue: (settingName, value, options) => callAsync("xrmSaveSettingValue", settingName, value,
    options === undefined ? null : options).then(noValue),
});

const Xrm = window.Xrm || {};
Xrm.Navigation = Object.freeze({
  openForm: (entityFormOptions, formParameters) => callAsync("xrmOpenForm", entityFormOptions,
    formParameters === undefined ? null : formParameters).then(noValue),
  navigateTo: (pageInput, navigationOptions) => callAsync("xrmNavigateTo", pageInput,
    navigationOptions === undefined ? null : navigationOptions).then(noValue),
  openWebResource,
});
Xrm.Utility = Object.freeze({ getGlobalContext: () => globalContext });
window.Xrm = Xrm;
