// Shared by every page: the strings table, API calls with the CSRF token, the live feed
// (WebSocket with reconnect), the link-health banner, toasts and time formatting.
"use strict";
const T = JSON.parse(document.getElementById("strings").textContent);
const ME = document.body.dataset.user;
const CSRF = document.body.dataset.csrf;
const Live = { snapshot: null, offset: 0, handlers: [], health: { ami: true, redis: true, ws: true } };

async function api(method, path, body) {
  const res = await fetch(path, {
    method, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": CSRF },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok) {
    const msg = (data && data.message) || res.statusText;
    toast(msg, true);
    const err = new Error(msg); err.status = res.status; err.data = data; throw err;
  }
  return data;
}

function toast(text, bad) {
  const el = document.getElementById("toast");
  el.textContent = text; el.className = "toast" + (bad ? " bad" : ""); el.hidden = false;
  clearTimeout(toast.timer); toast.timer = setTimeout(() => { el.hidden = true; }, 5000);
}

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
function serverNow() { return Date.now() / 1000 + Live.offset; }
function mmss(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.max(0, Math.round(seconds)); const m = Math.floor(s / 60);
  return m + ":" + String(s % 60).padStart(2, "0");
}
function pct(x) { return x === null || x === undefined ? "–" : Math.round(x * 100) + " %"; }
function stateLabel(s) { return T["state_" + s] || s; }
function hhmm(iso) {
  if (!iso) return ""; const d = new Date(iso);
  return d.toLocaleString(document.documentElement.lang === "en" ? "en-GB" : "sv-SE",
    { weekday: "short", hour: "2-digit", minute: "2-digit" });
}

function showHealth() {
  const h = Live.health; const el = document.getElementById("health");
  const parts = [];
  if (!h.ws) parts.push(T.link_down_ws);
  else { if (!h.ami) parts.push(T.link_down_ami); if (!h.redis) parts.push(T.link_down_redis); }
  el.textContent = parts.join(" · "); el.hidden = parts.length === 0;
}

function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(proto + "//" + location.host + "/api/events");
  ws.onmessage = (m) => {
    const data = JSON.parse(m.data);
    for (const msg of Array.isArray(data) ? data : [data]) handle(msg);
  };
  const handle = (msg) => {
    if (msg.type === "hello") { Live.offset = msg.now - Date.now() / 1000; }
    if (msg.type === "hello" || msg.type === "health" || msg.type === "snapshot") {
      const h = msg.type === "snapshot" ? msg.health : (msg.health || msg);
      Live.health.ami = h.ami; Live.health.redis = h.redis; Live.health.ws = true; showHealth();
    }
    if (msg.type === "snapshot") Live.snapshot = msg;
    for (const fn of Live.handlers) fn(msg);
  };
  ws.onopen = () => { Live.health.ws = true; showHealth(); };
  ws.onclose = () => { Live.health.ws = false; showHealth(); setTimeout(connect, 1000); };
}
function onLive(fn) { Live.handlers.push(fn); }
function typing(e) {
  const t = e.target; return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
}
if (ME) connect();
