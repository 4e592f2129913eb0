// The customer's live chat: plain JavaScript, no sign-in, no Python runtime (see docs/conversations.md: a phone
// must paint and type at once; the agent's Pyodide runtime is ~13 MB). Record text enters the page only as text
// nodes (textContent), never as markup. Persistent chat: the chat token lives in localStorage, so a reload or a
// dropped connection comes back to the same conversation; the socket resumes after the last event id it saw.

const TOKEN_KEY = "casework.chat.token";
const TYPING_EVERY_MS = 2000;
const TYPING_SHOWN_MS = 4000;
const ENDED = new Set([4, 5]);

const $ = (id) => document.getElementById(id);
const state = { token: null, lastEventId: 0, messages: new Map(), socket: null, retry: 0, ended: false,
                typingSentAt: 0, typingTimer: null, maxAgentSeq: 0, marked: { delivered: 0, read: 0 } };

function status(text) { $("chat-status").textContent = text; }
function error(id, text) { $(id).textContent = text || ""; }

async function api(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
                                       credentials: "omit", cache: "no-store" });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const err = new Error((data && data.error && data.error.message) || `HTTP ${response.status}`);
    err.status = response.status;
    err.code = data && data.error && data.error.code;
    throw err;
  }
  return data;
}

function clientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function stateLabel(message) {
  if (message.sendertype !== "customer") return "";
  return { delivered: "Delivered", read: "Read", sent: "Sent", failed: "Not delivered" }[message.deliverystate] || "";
}

function render(message) {
  let item = document.querySelector(`li[data-sequence="${message.sequence}"]`);
  if (!item) {
    item = document.createElement("li");
    item.dataset.sequence = String(message.sequence);
    item.className = "message" + (message.sendertype === "customer" ? " mine" : "");
    const text = document.createElement("span");
    text.className = "text";
    const meta = document.createElement("span");
    meta.className = "meta";
    item.append(text, meta);
    const list = $("transcript");
    const after = Array.from(list.children).find((li) => Number(li.dataset.sequence) > message.sequence);
    list.insertBefore(item, after || null);
  }
  item.querySelector(".text").textContent = message.text;
  const who = message.sendertype === "customer" ? "You" : (message.sendername || "Agent");
  const label = stateLabel(message);
  item.querySelector(".meta").textContent = label ? `${who} · ${label}` : who;
  item.dataset.state = message.deliverystate;
  item.scrollIntoView({ block: "nearest" });
}

function upsert(message) {
  const known = state.messages.get(message.sequence);
  const merged = Object.assign({}, known || {}, message);
  state.messages.set(message.sequence, merged);
  if (merged.sendertype !== "customer") state.maxAgentSeq = Math.max(state.maxAgentSeq, merged.sequence);
  render(merged);
}

async function mark() {
  const kind = document.visibilityState === "visible" ? "read" : "delivered";
  if (!state.token || state.maxAgentSeq <= state.marked[kind]) return;
  const sequence = state.maxAgentSeq;
  state.marked[kind] = sequence;
  if (kind === "read") state.marked.delivered = Math.max(state.marked.delivered, sequence);
  try { await api("POST", "/api/chat/marks", { sequence, state: kind }); } catch (e) { state.marked[kind] = 0; }
}

function showEnded(statuscode) {
  state.ended = ENDED.has(statuscode);
  $("composer-text").disabled = state.ended;
  $("composer-send").disabled = state.ended;
  $("end-chat").textContent = state.ended ? "Start a new chat" : "End chat";
}

function applyStatus(conversation) {
  showEnded(conversation.statuscode);
  if (state.ended) status("This chat has ended.");
  else status(conversation.agent ? "An agent is with you." : "Waiting for an agent…");
}

function onEvent(event) {
  if (typeof event.id === "number") state.lastEventId = Math.max(state.lastEventId, event.id);
  if (event.type === "message.created") { upsert(event.data); $("typing").hidden = true; mark(); }
  else if (event.type === "message.updated") {
    const known = state.messages.get(event.data.sequence);
    if (known) upsert(Object.assign({}, known, { deliverystate: event.data.deliverystate }));
  } else if (event.type === "typing" && event.data.who === "agent") {
    $("typing").hidden = false;
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(() => { $("typing").hidden = true; }, TYPING_SHOWN_MS);
  } else if (event.type === "conversation.updated") applyStatus(event.data);
}

function connect() {
  if (!state.token) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const url = `${scheme}://${location.host}/api/chat/push?token=${encodeURIComponent(state.token)}`
            + `&after=${state.lastEventId}`;
  const socket = new WebSocket(url);
  state.socket = socket;
  socket.addEventListener("open", () => { state.retry = 0; document.body.dataset.connected = "true"; });
  socket.addEventListener("message", (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "resync") resync(event.after);  // the log was trimmed past our id: reload, go on
    else if (event.type !== "hello") onEvent(event);
  });
  socket.addEventListener("close", (closed) => {
    document.body.dataset.connected = "false";
    if (state.socket !== socket) return;
    state.socket = null;
    if (closed.code === 4401) { forget(); return; }
    const delay = Math.min(5000, 250 * 2 ** state.retry++);
    setTimeout(connect, delay);  // resumes after state.lastEventId: nothing lost, nothing twice
  });
}

async function resync(after) {
  state.lastEventId = Math.max(state.lastEventId, after);
  try {
    const view = await api("GET", "/api/chat/conversation");
    for (const message of view.messages) upsert(message);
    applyStatus(view.conversation);
    mark();
  } catch (e) {
    status("Cannot reach the chat right now; retrying…");
  }
}

function forget() {
  localStorage.removeItem(TOKEN_KEY);
  state.token = null;
  if (state.socket) { const s = state.socket; state.socket = null; s.close(); }
  state.messages.clear();
  state.lastEventId = 0;
  state.maxAgentSeq = 0;
  state.marked = { delivered: 0, read: 0 };
  $("transcript").replaceChildren();
  $("conversation").hidden = true;
  $("prechat").hidden = false;
  status("");
}

async function load() {
  try {
    const view = await api("GET", "/api/chat/conversation");
    state.lastEventId = view.lastEventId;
    for (const message of view.messages) upsert(message);
    $("prechat").hidden = true;
    $("conversation").hidden = false;
    applyStatus(view.conversation);
    connect();
    mark();
  } catch (e) {
    if (e.status === 401) { forget(); return; }
    status("Cannot reach the chat right now; retrying…");
    setTimeout(load, 2000);
  }
}

async function start(event) {
  event.preventDefault();
  error("prechat-error", "");
  const name = $("prechat-name").value.trim();
  const question = $("prechat-question").value.trim();
  const email = $("prechat-email").value.trim();
  if (!name || !question) { error("prechat-error", "Please give your name and your question."); return; }
  $("prechat-start").disabled = true;
  try {
    const body = { name, question };
    if (email) body.email = email;
    const started = await api("POST", "/api/chat/start", body);
    state.token = started.token;
    localStorage.setItem(TOKEN_KEY, state.token);
    await load();
  } catch (e) {
    error("prechat-error", e.message);
  } finally {
    $("prechat-start").disabled = false;
  }
}

async function send(event) {
  event.preventDefault();
  const box = $("composer-text");
  const text = box.value.trim();
  if (!text || state.ended) return;
  box.value = "";
  error("chat-error", "");
  const id = clientId();
  for (let attempt = 0; attempt < 4; attempt++) {  // the same clientId: a retry is stored once
    try { upsert(await api("POST", "/api/chat/messages", { text, clientId: id })); return; }
    catch (e) {
      if (e.status && e.status < 500) { error("chat-error", e.message); return; }
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
    }
  }
  error("chat-error", "Your message could not be sent; check the connection.");
  box.value = text;
}

function typed(event) {
  if (event.key === "Enter" && !event.shiftKey) { send(event); return; }
  const now = Date.now();
  if (now - state.typingSentAt < TYPING_EVERY_MS || state.ended) return;
  state.typingSentAt = now;
  api("POST", "/api/chat/typing").catch(() => {});
}

async function endChat() {
  if (state.ended) { forget(); return; }
  try { applyStatus(Object.assign({ agent: false }, await api("POST", "/api/chat/end"))); }
  catch (e) { error("chat-error", e.message); }
}

function boot() {
  $("prechat").addEventListener("submit", start);
  $("composer").addEventListener("submit", send);
  $("composer-text").addEventListener("keydown", typed);
  $("end-chat").addEventListener("click", endChat);
  document.addEventListener("visibilitychange", mark);
  state.token = localStorage.getItem(TOKEN_KEY);
  if (state.token) load(); else $("prechat").hidden = false;
  document.body.dataset.ready = "true";
}

boot();
