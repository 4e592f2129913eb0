// window.Microsoft.Apm: the app profile manager API for page scripts and extensions.
//
// A thin Promise-based facade over the Python session engine (web/py/apm). It exists from the first moment of
// the page: calls made before Python is ready wait for it instead of failing, and an `apm:ready` DOM event
// announces readiness. Every call crosses to Python as JSON (web/py/browser/apm_bridge.py), so no proxy of a
// Python object ever leaks into page scripts. Failures reject with an ApmError carrying {code, message}.
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

/** A rejected Apm call: `code` is stable and machine-readable, `message` is for people. */
class ApmError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "ApmError";
    this.code = code;
  }
}

let bridge = null;
let markReady;
const ready = new Promise((resolve) => { markReady = resolve; });

// Maps become objects, recursively, so they survive JSON; everything else passes as it is.
function plain(value) {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, plain(v)]));
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

function callNow(method, args) {
  const answer = JSON.parse(bridge.call(method, JSON.stringify(args.map(plain))));
  if (answer.error) throw new ApmError(answer.error.code, answer.error.message);
  return answer.result;
}

async function call(method, ...args) {
  if (!bridge) await ready;
  return callNow(method, args);
}

// Calls that wait for Python's async work (the server): Python settles them with _settle(callId, answerJson).
let lastCallId = 0;
const pendingCalls = new Map();
async function callAsync(method, ...args) {
  if (!bridge) await ready;
  const callId = ++lastCallId;
  const settled = new Promise((resolve, reject) => pendingCalls.set(callId, { resolve, reject }));
  bridge.call_async(method, JSON.stringify(args.map(plain)), callId);
  return settled;
}

class ApmTab {
  #title;
  #canClose;

  constructor(data) {
    this.tabId = data.tabId;
    this.sessionId = data.sessionId;
    this.templateName = data.templateName;
    this.isAnchor = data.isAnchor;
    this.#title = data.title;
    this.#canClose = data.canClose;
  }

  get title() { return this.#title; }
  set title(value) { this.#title = String(value); callNow("setTabTitle", [this.tabId, this.#title]); }
  get canClose() { return this.#canClose; }
  set canClose(value) { this.#canClose = Boolean(value); callNow("setTabCanClose", [this.tabId, this.#canClose]); }

  focus() { return call("focusTab", this.tabId); }
  refresh() { return call("refreshTab", this.tabId); }
  close() { return call("closeTab", this.tabId); }
}

class ApmSession {
  #title;
  #canClose;

  constructor(data) {
    this.sessionId = data.sessionId;
    this.isDefault = data.isDefault;
    this.templateName = data.templateName;
    this.notification = data.notification;
    this.#title = data.title;
    this.#canClose = data.canClose;
  }

  get title() { return this.#title; }
  set title(value) { this.#title = String(value); callNow("setSessionTitle", [this.sessionId, this.#title]); }
  get canClose() { return this.#canClose; }
  set canClose(value) {
    this.#canClose = Boolean(value);
    callNow("setSessionCanClose", [this.sessionId, this.#canClose]);
  }

  close() { return call("closeSession", this.sessionId); }
  focus() { return call("focusSession", this.sessionId); }
  requestFocus() { return call("requestFocus", this.sessionId); }
  canCreateTab() { return call("canCreateTab", this.sessionId); }
  async getFocusedTab() { const t = await call("getFocusedTab", this.sessionId); return t && new ApmTab(t); }
  async getAllTabs() { return (await call("getAllTabs", this.sessionId)).map((t) => new ApmTab(t)); }
  async getTab(tabId) { return new ApmTab(await call("getTab", this.sessionId, tabId)); }
  updateContext(context) { return call("updateContext", this.sessionId, context); }
  getContext() { return call("getContext", this.sessionId); }
  resolveSlug(text) { return call("resolveSlug", this.sessionId, text); }
}

function getEventPublisherTopic(name) {
  if (!TOPIC_NAMES.includes(name)) {
    throw new ApmError("unknown_topic", `Unknown event topic ${JSON.stringify(name)}. Known: ${TOPIC_NAMES.join(", ")}.`);
  }
  return `casework.apm.${workspaceId}.${name}`;
}

const publishers = new Map();
function publish(topicName, payload) {
  const topic = getEventPublisherTopic(topicName);
  if (!publishers.has(topic)) publishers.set(topic, new BroadcastChannel(topic));
  publishers.get(topic).postMessage(payload);
}

const Apm = {
  ApmError,
  get workspaceId() { return workspaceId; },
  _slots: slots,
  ready,
  get isReady() { return bridge !== null; },

  /** Create a session from a session template; resolves to the new session id. */
  createSession: (input = {}) => call("createSession", input),
  /** Create a tab from an application tab template in the focused session; resolves to the new tab id. */
  createTab: (input = {}) => call("createTab", input),
  getFocusedSession: async () => new ApmSession(await call("getFocusedSession")),
  getSession: async (sessionId) => new ApmSession(await call("getSession", sessionId)),
  getAllSessions: async () => (await call("getAllSessions")).map((s) => new ApmSession(s)),
  canCreateSession: () => call("canCreateSession"),
  closeTab: (tabId) => call("closeTab", tabId),
  focusTab: (tabId) => call("focusTab", tabId),
  refreshTab: (tabId) => call("refreshTab", tabId),
  /** Open a record by the navigation rules; `source` names the row of the rules table (e.g. "HOME"). */
  openRecord: (input = {}) => call("openRecord", input),
  /** Open any tab template ({templateName, appContext, title, source}) by the navigation rules. */
  open: (input = {}) => call("open", input),
  getEventPublisherTopic,
  /** A user setting by its product name (e.g. "msdyn_SuppressSessionCloseWarning"); resolves to its value. */
  getSettingValue: (name) => call("getSettingValue", name),
  /** Change a user setting: effective at once, resolves once the server saved it (rejects and reverts if not). */
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
    if (answer.error) pending.reject(new ApmError(answer.error.code, answer.error.message));
    else pending.resolve(answer.result);
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
