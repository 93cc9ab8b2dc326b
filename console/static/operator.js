// The operator view: waiting calls, the call in hand, directory search, keyboard actions.
"use strict";
const Op = { hits: [], sel: 0, call: null, agent: null, consult: null, searchSeq: 0, parked: {} };
const $ = (id) => document.getElementById(id);

function renderWaiting() {
  const snap = Live.snapshot; if (!snap) return;
  const q = snap.queues[document.body.dataset.operatorsQueue];
  const rows = q ? q.waiting : [];
  $("waiting").innerHTML = rows.length ? rows.map(c => {
    const recall = c.priority >= 8 && c.last_agent === ME;
    return `<li class="${recall ? "recall" : ""}" data-call="${esc(c.call_id)}">
      <span class="num">${esc(c.caller || "–")}</span>
      <span class="timer" data-since="${c.enqueued_at}">${mmss(serverNow() - c.enqueued_at)}</span>
      ${c.district && c.district !== "-" ? `<span class="tag">${esc(c.district)}</span>` : ""}
      ${recall ? `<span class="tag warn">${esc(T.recall)}</span>` : ""}</li>`;
  }).join("") : `<li class="muted">${esc(T.no_waiting)}</li>`;
  const me = snap.agents.find(a => a.id === ME);
  $("my-state").textContent = me ? stateLabel(me.state) : stateLabel("logged_out");
  $("my-state").className = "state " + (me ? me.state : "logged_out");
  if (me && (!Op.agent || me.state !== Op.agent.state || me.call_id !== Op.agent.call_id)) loadHand();
  if (!me && Op.agent) loadHand();
}

function tickTimers() {
  document.querySelectorAll(".timer[data-since]").forEach(el => {
    el.textContent = mmss(serverNow() - parseFloat(el.dataset.since));
  });
}

async function loadHand() {
  let st;
  try { st = await api("GET", "/api/operator/state"); } catch (e) { return; }
  Op.agent = st.agent; Op.call = st.call && Op.agent && Op.agent.call_id ? st.call : null;
  const el = $("hand");
  if (!Op.call) { el.innerHTML = `<p class="muted">${esc(T.no_call)}</p>`; return; }
  const c = Op.call;
  const attempts = (c.attempts || []).map(a => `<li>${esc(a.name || a.target)}: ${esc(a.outcome)}${a.detail ? " – " + esc(a.detail) : ""}</li>`).join("");
  const recall = (c.attempts || []).some(a => a.outcome === "returned");
  el.innerHTML = `
    ${recall ? `<p class="notice warn">${esc(T.recall)}</p>` : ""}
    <dl class="facts">
      <dt>${esc(T.caller)}</dt><dd id="hand-caller">${esc(c.caller || "–")} ${(c.caller_names || []).map(esc).join(", ")}</dd>
      <dt>${esc(T.ivr_path)}</dt><dd id="hand-path">${esc((c.ivr_path || []).join(" › ") || "–")}</dd>
      <dt>${esc(T.not_answered)}</dt><dd id="hand-not-answered">${esc(c.not_answered || "–")}</dd>
      <dt>${esc(T.district)}</dt><dd>${esc(c.district || "–")}</dd>
      <dt>${esc(T.language)}</dt><dd>${esc(c.language || "–")}</dd>
    </dl>
    ${attempts ? `<ul class="attempts">${attempts}</ul>` : ""}`;
}

async function search(text) {
  const seq = ++Op.searchSeq;
  if (!text.trim()) { Op.hits = []; renderHits(); return; }
  let res;
  try { res = await api("GET", "/api/directory/search?q=" + encodeURIComponent(text)); } catch (e) { return; }
  if (seq !== Op.searchSeq) return;
  Op.hits = res.hits.filter(h => h.kind !== "protected" || true); Op.sel = 0; renderHits();
}

function renderHits() {
  $("hits").innerHTML = Op.hits.map((h, i) => {
    if (h.kind === "protected") return `<li class="muted">${esc(h.label)}</li>`;
    const absence = h.absence ? `<span class="tag warn">${esc(T.absent)}: ${esc(h.absence)}${h.back_at ? ", " + esc(T.back_at) + " " + esc(hhmm(h.back_at)) : ""}</span>` : "";
    const busy = h.kind === "employee" ? `<span class="tag ${h.busy ? "busy" : "free"}">${esc(h.busy ? T.on_call : T.free)}</span>` : "";
    return `<li role="option" aria-selected="${i === Op.sel}" class="${i === Op.sel ? "sel" : ""}" data-i="${i}">
      <span class="ext">${esc(h.extension || (h.kind === "unit" ? "enhet" : ""))}</span>
      <strong>${esc(h.label)}</strong> <span class="muted">${esc(h.title || "")} ${esc(h.unit && h.kind === "employee" ? "· " + h.unit : "")}</span>
      ${busy} ${absence}</li>`;
  }).join("");
}

function chosen() {
  const h = Op.hits[Op.sel];
  if (!h || h.kind === "protected" || !h.target) { toast(T.search + "?", true); return null; }
  return h;
}
function needCall() { if (!Op.call) { toast(T.no_call, true); return null; } return Op.call.call_id; }

async function transfer(blind) {
  const call = needCall(); const h = call && chosen(); if (!h) return;
  const r = await api("POST", "/api/operator/transfer", { call_id: call, target: h.target, blind });
  toast((blind ? T.blind : T.transfer) + ": " + r.label);
}
async function consult() {
  const call = needCall(); const h = call && chosen(); if (!h) return;
  const r = await api("POST", "/api/operator/consult", { call_id: call, target: h.target });
  Op.consult = { channel: r.operator_channel, label: h.label };
  $("consulting").hidden = false;
  $("consulting").innerHTML = `${esc(T.consult)}: <strong>${esc(h.label)}</strong> – <kbd>F</kbd> ${esc(T.complete)}, <kbd>X</kbd> ${esc(T.cancel)}`;
}
async function endConsult(how) {
  if (!Op.consult) { toast(T.consult + "?", true); return; }
  try { await api("POST", "/api/operator/" + how, { operator_channel: Op.consult.channel }); }
  finally { Op.consult = null; $("consulting").hidden = true; }
  toast(how === "complete" ? T.complete : T.cancel);
}
async function park() {
  const call = needCall(); if (!call) return;
  const r = await api("POST", "/api/operator/park", { call_id: call });
  Op.parked[r.space] = Op.call.caller; renderParked(); toast(T.park + ": " + r.space);
}
function renderParked() {
  $("parked").innerHTML = Object.entries(Op.parked).map(([s, who]) => `<li>${esc(T.space)} ${esc(s)}: ${esc(who || "")}</li>`).join("");
}
async function pickup() {
  const spaces = Object.keys(Op.parked);
  const space = spaces.length === 1 ? spaces[0] : prompt(T.space, spaces[0] || "701");
  if (!space) return;
  await api("POST", "/api/operator/pickup", { space }); delete Op.parked[space]; renderParked();
}
async function hangup() { const call = needCall(); if (call) await api("POST", "/api/operator/hangup", { call_id: call }); }
async function answer() { const r = await api("POST", "/api/operator/answer"); toast(T.answer + (r.next_call ? "" : ": " + T.no_waiting)); }
async function pause() { await api("POST", "/api/operator/pause", { reason: "paus" }); toast(T.pause); }
async function toggleLogin() {
  if (Op.agent && Op.agent.state !== "logged_out") { await api("POST", "/api/operator/logout"); loadHand(); return; }
  try { await api("POST", "/api/operator/login", { device: "" }); loadHand(); }
  catch (e) { if (e.status === 422) { $("device-dialog").showModal(); $("device-input").focus(); } }
}
function openMessage() {
  const h = chosen(); if (!h) return;
  if (h.kind !== "employee") { toast(T.message + ": " + T.unit + "?", true); return; }
  $("message-to").textContent = h.label; $("message-to").dataset.ext = h.extension;
  $("message-from").value = Op.call ? (Op.call.caller || "") : "";
  $("message-dialog").showModal(); $("message-text").focus();
}
async function sendMessage() {
  const r = await api("POST", "/api/operator/message", {
    extension: $("message-to").dataset.ext, text: $("message-text").value,
    from_number: $("message-from").value, callback: $("message-callback").checked,
    call_id: Op.call ? Op.call.call_id : "" });
  $("message-dialog").close(); $("message-text").value = "";
  toast(T.message + " → " + r.to);
}

const KEYS = { a: answer, t: () => transfer(false), b: () => transfer(true), c: consult,
  f: () => endConsult("complete"), x: () => endConsult("cancel"), p: park, u: pickup,
  m: openMessage, h: hangup, s: pause, l: toggleLogin };

document.addEventListener("keydown", (e) => {
  if (document.querySelector("dialog[open]")) return;
  if (e.target.id === "search") {
    if (e.key === "ArrowDown") { Op.sel = Math.min(Op.sel + 1, Op.hits.length - 1); renderHits(); e.preventDefault(); }
    else if (e.key === "ArrowUp") { Op.sel = Math.max(Op.sel - 1, 0); renderHits(); e.preventDefault(); }
    else if (e.key === "Enter") { e.preventDefault(); (e.shiftKey ? consult() : transfer(e.altKey)).catch(() => {}); }
    else if (e.key === "Escape") { e.target.blur(); }
    return;
  }
  if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === "/") { e.preventDefault(); $("search").focus(); $("search").select(); return; }
  const fn = KEYS[e.key.toLowerCase()];
  if (fn) { e.preventDefault(); Promise.resolve(fn()).catch(() => {}); }
});
$("search").addEventListener("input", (e) => search(e.target.value));
$("hits").addEventListener("click", (e) => { const li = e.target.closest("li[data-i]"); if (li) { Op.sel = +li.dataset.i; renderHits(); } });
$("message-form").addEventListener("submit", (e) => { e.preventDefault(); sendMessage().catch(() => {}); });
$("message-text").addEventListener("keydown", (e) => { if (e.key === "Enter" && e.ctrlKey) { e.preventDefault(); sendMessage().catch(() => {}); } });
$("device-form").addEventListener("submit", async (e) => {
  e.preventDefault(); await api("POST", "/api/operator/login", { device: $("device-input").value }).catch(() => {});
  $("device-dialog").close(); loadHand();
});
onLive((msg) => { if (msg.type === "snapshot") renderWaiting();
  if (msg.type === "ami" && msg.event.Event === "ParkedCallTimeOut") { delete Op.parked[msg.event.ParkingSpace]; renderParked(); } });
setInterval(tickTimers, 1000);
loadHand();
