// The agent desktop: state with the time in it, the offered call, the case-outcome form.
"use strict";
const Ag = { agent: null, call: null };
const $ = (id) => document.getElementById(id);

async function loadState() {
  let st; try { st = await api("GET", "/api/agent/state"); } catch (e) { return; }
  Ag.agent = st.agent; Ag.call = st.call; render();
}
function render() {
  const a = Ag.agent;
  $("agent-state").textContent = stateLabel(a ? a.state : "logged_out");
  $("agent-state").className = "state " + (a ? a.state : "logged_out");
  $("agent-time").dataset.since = a && a.since ? a.since : "";
  $("agent-reason").textContent = a && a.pause_reason ? a.pause_reason : "";
  const c = Ag.call; const el = $("agent-call");
  if (!c) { el.innerHTML = `<p class="muted">${esc(T.no_call)}</p>`; }
  else {
    el.innerHTML = `<dl class="facts">
      <dt>${esc(T.caller)}</dt><dd id="call-caller">${esc(c.caller || "–")} ${(c.caller_names || []).map(esc).join(", ")}</dd>
      <dt>${esc(T.ivr_path)}</dt><dd>${esc((c.ivr_path || []).join(" › ") || "–")}</dd>
      <dt>${esc(T.language)}</dt><dd>${esc(c.language || "–")}</dd>
      <dt>${esc(T.district)}</dt><dd>${esc(c.district || "–")}</dd>
      <dt>${esc(T.callback)}</dt><dd>${c.callback ? "✔" : "–"}</dd>
      <dt>${esc(T.not_answered)}</dt><dd>${esc(c.not_answered || "–")}</dd></dl>`;
  }
  const wrap = a && a.state === "wrap_up";
  $("outcome-panel").classList.toggle("active", !!wrap);
  $("outcome-call").textContent = a && a.last_call ? a.last_call : "";
}
function tick() {
  const el = $("agent-time"); const s = parseFloat(el.dataset.since);
  el.textContent = isNaN(s) ? "" : mmss(serverNow() - s);
}
async function saveOutcome() {
  const outcome = document.querySelector("input[name=outcome]:checked").value;
  const r = await api("POST", "/api/agent/outcome", { outcome, topic: $("outcome-topic").value, unit: $("outcome-unit").value });
  $("outcome-result").textContent = T.saved + ": " + T["outcome_" + outcome] + " (" + r.call_id + ")";
  toast(T.saved);
}
const act = {
  l: () => api("POST", "/api/agent/login", { queue: $("agent-queue").value, device: $("agent-device").value }),
  r: () => api("POST", "/api/agent/ready"),
  s: () => api("POST", "/api/agent/pause", { reason: "paus" }),
  u: () => api("POST", "/api/agent/logout"),
};
for (const btn of document.querySelectorAll("button[data-key]")) {
  btn.addEventListener("click", () => act[btn.dataset.key]().then(loadState).catch(() => {}));
}
document.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && e.ctrlKey) { e.preventDefault(); saveOutcome().catch(() => {}); return; }
  if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
  if (["1", "2", "3"].includes(e.key)) { document.querySelectorAll("input[name=outcome]")[+e.key - 1].checked = true; return; }
  const fn = act[e.key.toLowerCase()]; if (fn) { e.preventDefault(); fn().then(loadState).catch(() => {}); }
});
$("outcome-form").addEventListener("submit", (e) => { e.preventDefault(); saveOutcome().catch(() => {}); });
onLive((msg) => {
  if (msg.type !== "snapshot") return;
  const me = msg.agents.find(a => a.id === ME);
  if (!me && !Ag.agent) return;
  if (!me || !Ag.agent || me.state !== Ag.agent.state || me.call_id !== Ag.agent.call_id) loadState();
});
setInterval(tick, 1000);
loadState();
