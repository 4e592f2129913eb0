// window.Microsoft.Apm: the app profile manager API for page scripts and extensions.
//
// The reference's synchronous API over the Python session engine (web/py/apm), which runs on this main thread, so
// every call answers at once: ids, Session and Tab objects, booleans, nothing for the verbs. It exists from the
// first moment of the page; a call made before the engine is up throws ApmError `not_ready` naming
// `Microsoft.Apm.ready`, a Promise that resolves when calls may be made (an `apm:ready` DOM event says so too).
// Every call crosses to Python as JSON (web/py/browser/apm_bridge.py), so no proxy of a Python object ever leaks
// into page scripts. Failures throw an ApmError carrying {code, errorCode, message}; `await` on a result still works.
// Events reach JavaScript as DOM events on `document` (`apm:session.created`, ..., and `apm:event` for all) and,
// for compatibility, on BroadcastChannels named by getEventPublisherTopic(name).

const TOPIC_NAMES = [
  "ON_SESSION_SWITCH", "ON_SESSION_CLOSED", "ON_SESSION_CREATED", "ON_TAB_SWITCH", "ON_TAB_CLOSED", "ON_TAB_CREATED",
];

// One workspace per browser tab: its id namespaces the topics, so another browser tab of the same workspace
// (same origin, so the same BroadcastChannel space) never hears this one's events. It is also the browser tab's
// session-restore slot. sessionStorage keeps it across reloads, but a duplicated browser tab gets a copy of
// sessionStorage, so the id alone cannot tell "my reload" from "a copy of a live tab": a Web Lock per slot, held for
// the page's life, can (BroadcastChannel "casework.slots" where Web Locks are missing). Python decides what to do
// with the answer (casework/peers.py choose_slot, browser/slots.py); this file only holds the locks.
const WORKSPACE_KEY = "casework.workspaceId";
const SLOT_LOCK_PREFIX = "casework.workspace.";
// A reload's old document may still hold its lock for a moment; a duplicated tab's original holds it for good.
const SLOT_WAIT_MS = 1500;
const SLOT_ASK_MS = 150;

function storedWorkspaceId() {
  try {
    return sessionStorage.getItem(WORKSPACE_KEY) || null;
  } catch {
    return null; // storage refused: every load is a new browser tab
  }
}

function rememberWorkspaceId(id) {
  try { sessionStorage.setItem(WORKSPACE_KEY, id); } catch { /* storage refused: the id lives as long as the page */ }
}

const storedId = storedWorkspaceId();
let workspaceId = storedId || crypto.randomUUID();
rememberWorkspaceId(workspaceId);

const heldSlots = new Set();
const slotReleasers = new Map();
const hasLocks = Boolean(globalThis.navigator && navigator.locks && navigator.locks.request);
const slotChannel = !hasLocks && "BroadcastChannel" in globalThis ? new BroadcastChannel("casework.slots") : null;
if (slotChannel) {
  slotChannel.onmessage = ({ data }) => {
    if (data && data.type === "claim" && heldSlots.has(data.id)) slotChannel.postMessage({ type: "held", id: data.id });
    if (data && data.type === "who") slotChannel.postMessage({ type: "here", ids: [...heldSlots] });
  };
}

/** Take the slot's lock for this page's life; resolves false when a live browser tab holds it, null if unknown. */
function holdSlot(id) {
  if (heldSlots.has(id)) return Promise.resolve(true);
  if (hasLocks) {
    return new Promise((resolve) => {
      const signal = AbortSignal.timeout(SLOT_WAIT_MS);
      navigator.locks.request(SLOT_LOCK_PREFIX + id, { signal }, () => {
        heldSlots.add(id);
        resolve(true);
        return new Promise((release) => slotReleasers.set(id, release)); // held until released or unload
      }).catch(() => resolve(false)); // aborted: another live browser tab holds it
    });
  }
  if (!slotChannel) return Promise.resolve(null);
  return new Promise((resolve) => {
    let taken = false;
    const listen = ({ data }) => { if (data && data.type === "held" && data.id === id) taken = true; };
    slotChannel.addEventListener("message", listen);
    slotChannel.postMessage({ type: "claim", id });
    setTimeout(() => {
      slotChannel.removeEventListener("message", listen);
      if (!taken) heldSlots.add(id);
      resolve(!taken);
    }, SLOT_ASK_MS);
  });
}

function releaseSlot(id) {
  const release = slotReleasers.get(id);
  slotReleasers.delete(id);
  heldSlots.delete(id);
  if (release) release();
}

/** Workspace ids whose slot a live browser tab of this origin holds (this one included). */
async function liveSlots() {
  if (hasLocks) {
    const { held = [], pending = [] } = await navigator.locks.query();
    return [...held, ...pending].map((lock) => lock.name).filter((name) => name && name.startsWith(SLOT_LOCK_PREFIX))
      .map((name) => name.slice(SLOT_LOCK_PREFIX.length));
  }
  if (!slotChannel) return [...heldSlots];
  const found = new Set(heldSlots);
  const listen = ({ data }) => { if (data && data.type === "here" && Array.isArray(data.ids)) data.ids.forEach((id) => found.add(id)); };
  slotChannel.addEventListener("message", listen);
  slotChannel.postMessage({ type: "who" });
  await new Promise((resolve) => setTimeout(resolve, SLOT_ASK_MS));
  slotChannel.removeEventListener("message", listen);
  return [...found];
}

// Started at once, so the answer is there long before Python asks (it boots for seconds).
const firstHold = holdSlot(workspaceId);

/** For Python (browser/slots.py) only. */
const slots = {
  storedId,
  firstHold,
  hold: holdSlot,
  release: releaseSlot,
  live: liveSlots,
  /** Switch this page to another slot (a duplicated tab's new one, a reopened one); kept across reloads. */
  use(id) { workspaceId = String(id); rememberWorkspaceId(workspaceId); },
};

/**
 * A refused Apm call. `code` is stable and machine-readable (e.g. "session_limit_reached"), `errorCode` is its
 * number (the 2020 reference's `{errorCode, message}` shape), `message` is for people.
 */
class ApmError extends Error {
  constructor(code, message, errorCode) {
    super(message);
    this.name = "ApmError";
    this.code = code;
    this.errorCode = errorCode;
  }
}
// The numbers of the codes raised in JavaScript itself (the rest come from Python: web/py/apm/errors.py).
const NOT_READY = 2;
const INTERNAL_ERROR = 99;

let bridge = null;
let markReady;
/** Resolves once calls may be made (the session engine is up); `Microsoft.Apm.isReady` is true from then on. */
const ready = new Promise((resolve) => { markReady = resolve; });

function notReady(method) {
  return new ApmError("not_ready", `Microsoft.Apm.${method} was called before the workspace was ready: wait for ` +
    "Microsoft.Apm.ready (a Promise) first, e.g. `await Microsoft.Apm.ready;`.", NOT_READY);
}

// Maps become objects, recursively, so they survive JSON; everything else passes as it is.
function plain(value) {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, plain(v)]));
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

function raise(error) {
  throw new ApmError(error.code, error.message, error.errorCode ?? INTERNAL_ERROR);
}

/** One synchronous call into Python; throws ApmError (`not_ready` before the engine is up). */
function callNow(method, args) {
  if (!bridge) throw notReady(method);
  const answer = JSON.parse(bridge.call(method, JSON.stringify(args.map(plain))));
  if (answer.error) raise(answer.error);
  return answer.result;
}

const call = (method, ...args) => callNow(method, args);

// Calls that wait for Python's async work (the server): Python settles them with _settle(callId, answerJson).
// They answer Promises, so before the engine is up they wait for it (nothing is lost, nothing answered wrong).
let lastCallId = 0;
const pendingCalls = new Map();
async function callAsync(method, ...args) {
  if (!bridge) await ready;
  const callId = ++lastCallId;
  const settled = new Promise((resolve, reject) => pendingCalls.set(callId, { resolve, reject }));
  bridge.call_async(method, JSON.stringify(args.map(plain)), callId);
  return settled;
}

/**
 * A tab, by id: every property is read from the engine when asked, so it is never stale; a closed tab's object
 * throws `tab_not_found`. The reference's members: tabId, canClose, title (both settable), close, focus, refresh.
 * Extras: sessionId, templateName, pageType, isAnchor.
 */
class ApmTab {
  constructor(data) {
    Object.defineProperty(this, "tabId", { value: data.tabId, enumerable: true });
    Object.defineProperty(this, "sessionId", { value: data.sessionId, enumerable: true });
  }

  #data() { return call("getTab", this.sessionId, this.tabId); }
  get title() { return this.#data().title; }
  set title(value) { call("setTabTitle", this.tabId, String(value)); }
  get canClose() { return this.#data().canClose; }
  set canClose(value) { call("setTabCanClose", this.tabId, Boolean(value)); }
  get templateName() { return this.#data().templateName; }
  get pageType() { return this.#data().pageType; }
  get isAnchor() { return this.#data().isAnchor; }

  focus() { call("focusTab", this.tabId); }
  refresh() { call("refreshTab", this.tabId); }
  close() { call("closeTab", this.tabId); }
}

/**
 * A session, by id, read live like ApmTab. The reference's members: sessionId, isDefault, canClose and title
 * (settable), close, focus, requestFocus, getFocusedTab, getAllTabs, getTab, canCreateTab, updateContext,
 * getContext (a Promise of a Map), resolveSlug. Extras: templateName, notification, createTab.
 */
class ApmSession {
  constructor(data) {
    Object.defineProperty(this, "sessionId", { value: data.sessionId, enumerable: true });
    Object.defineProperty(this, "isDefault", { value: data.isDefault, enumerable: true });
  }

  #data() { return call("getSession", this.sessionId); }
  get title() { return this.#data().title; }
  set title(value) { call("setSessionTitle", this.sessionId, String(value)); }
  get canClose() { return this.#data().canClose; }
  set canClose(value) { call("setSessionCanClose", this.sessionId, Boolean(value)); }
  get templateName() { return this.#data().templateName; }
  get notification() { return this.#data().notification; }

  close() { call("closeSession", this.sessionId); }
  focus() { call("focusSession", this.sessionId); }
  requestFocus() { call("requestFocus", this.sessionId); }
  canCreateTab() { return call("canCreateTab", this.sessionId); }
  getFocusedTab() { return new ApmTab(call("getFocusedTab", this.sessionId)); }
  /** The ids of the session's tabs, anchor first. */
  getAllTabs() { return call("getAllTabs", this.sessionId); }
  getTab(tabId) { return new ApmTab(call("getTab", this.sessionId, tabId)); }
  /** Extra: a tab in this session (Microsoft.Apm.createTab opens in the focused one). */
  createTab(input = {}) { return call("createTab", { ...input, sessionId: this.sessionId }); }
  updateContext(context) { call("updateContext", this.sessionId, context); }
  /** A Promise of a Map, as the reference's updateContext sample reads it (`(await s.getContext()).get(key)`). */
  getContext() {
    try {
      return Promise.resolve(new Map(Object.entries(call("getContext", this.sessionId))));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  resolveSlug(text) { return call("resolveSlug", this.sessionId, text); }
}

function getEventPublisherTopic(name) {
  if (!TOPIC_NAMES.includes(name)) {
    throw new ApmError("unknown_topic",
      `Unknown event topic ${JSON.stringify(name)}. Known: ${TOPIC_NAMES.join(", ")}.`, 15);
  }
  return `casework.apm.${workspaceId}.${name}`;
}

const publishers = new Map();
function publish(topicName, payload) {
  const topic = getEventPublisherTopic(topicName);
  if (!publishers.has(topic)) publishers.set(topic, new BroadcastChannel(topic));
  publishers.get(topic).postMessage(payload);
}

// Python calls added by other modules (web/js/xrm.js): they share the bridge, its readiness and its errors.
const internal = { call, callAsync, ApmError, get ready() { return ready; } };

const Apm = {
  ApmError,
  get workspaceId() { return workspaceId; },
  _slots: slots,
  _internal: internal,
  ready,
  get isReady() { return bridge !== null; },

  /** Create a session from a session template; returns the new session id. */
  createSession: (input = {}) => call("createSession", input),
  /** Create a tab from an application tab template in the focused session; returns the new tab id. */
  createTab: (input = {}) => call("createTab", input),
  getFocusedSession: () => new ApmSession(call("getFocusedSession")),
  getSession: (sessionId) => new ApmSession(call("getSession", sessionId)),
  /** The ids of every session, Home first. */
  getAllSessions: () => call("getAllSessions"),
  canCreateSession: () => call("canCreateSession"),
  closeTab: (tabId) => { call("closeTab", tabId); },
  focusTab: (tabId) => { call("focusTab", tabId); },
  refreshTab: (tabId) => { call("refreshTab", tabId); },
  getEventPublisherTopic,
  /** Extra: open a record by the navigation rules; `source` names the row of the rules table (e.g. "HOME"). */
  openRecord: (input = {}) => call("openRecord", input),
  /** Extra: open any tab template ({templateName, appContext, title, source}) by the navigation rules. */
  open: (input = {}) => call("open", input),
  /** Extra: a user setting by its product name (e.g. "msdyn_SuppressSessionCloseWarning"). */
  getSettingValue: (name) => call("getSettingValue", name),
  /** Extra: change a user setting (as Xrm.Utility.getGlobalContext().saveSettingValue): a Promise. */
  saveSettingValue: (name, value) => callAsync("saveSettingValue", name, value),

  // Called once by Python (browser/apm_bridge.py) when the engine is up.
  _attach(pythonBridge) {
    bridge = pythonBridge;
    markReady();
    document.dispatchEvent(new CustomEvent("apm:ready", { detail: { workspaceId } }));
  },
  // Called by Python when an async call (callAsync) has its answer.
  _settle(callId, answerJson) {
    const pending = pendingCalls.get(callId);
    if (!pending) return;
    pendingCalls.delete(callId);
    const answer = JSON.parse(answerJson);
    if (answer.error) {
      const e = answer.error;
      pending.reject(new ApmError(e.code, e.message, e.errorCode ?? INTERNAL_ERROR));
    } else pending.resolve(answer.result);
  },
  // Called by Python after every state change, in order.
  _emit(eventJson) {
    const event = JSON.parse(eventJson);
    document.dispatchEvent(new CustomEvent(`apm:${event.name}`, { detail: event.payload }));
    document.dispatchEvent(new CustomEvent("apm:event", { detail: event }));
    if (event.topic) publish(event.topic.name, event.topic.payload);
  },
};

window.Microsoft = window.Microsoft || {};
window.Microsoft.Apm = Apm;
// runMacro(name): a Promise resolved with the success message or rejected with the error message (a string), as
// documented; the macro runs in the focused session (components/productivity_pane.py).
window.Microsoft.ProductivityMacros = {
  runMacro: (macroName) => callAsync("runMacro", macroName).then((answer) => {
    if (answer.ok) return answer.message;
    throw answer.message;
  }),
};
