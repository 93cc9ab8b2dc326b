// The supervisor's wallboard: per queue figures and agents, live over the WebSocket.
"use strict";
const $ = (id) => document.getElementById(id);
function render(snap) {
  $("board").querySelector("tbody").innerHTML = Object.values(snap.queues).map(q => {
    const f = q.figures;
    const states = Object.entries(f.agents_by_state).map(([s, n]) => `<span class="tag ${s}">${esc(stateLabel(s))} ${n}</span>`).join(" ");
    const longest = q.waiting.length ? Math.min(...q.waiting.map(c => c.enqueued_at)) : null;
    return `<tr data-queue="${esc(f.queue)}"><th>${esc(f.queue)}</th>
      <td class="big waiting-now">${f.waiting_now}</td>
      <td class="big timer" ${longest ? `data-since="${longest}"` : ""}>${longest ? mmss(serverNow() - longest) : "0:00"}</td>
      <td class="big ${f.service_level !== null && f.service_level < 0.8 ? "warn" : ""}">${pct(f.service_level)}</td>
      <td>${f.asa_s === null ? "–" : mmss(f.asa_s)}</td><td>${pct(f.abandon_rate)}</td><td>${pct(f.fcr)}</td><td>${states || "–"}</td></tr>`;
  }).join("");
  $("agents").querySelector("tbody").innerHTML = snap.agents.filter(a => a.state !== "logged_out").map(a => `
    <tr data-agent="${esc(a.id)}"><th>${esc(a.id)}</th>
      <td><span class="state ${a.state}">${esc(stateLabel(a.state))}</span> <span class="timer" ${a.since ? `data-since="${a.since}"` : ""}></span> ${esc(a.pause_reason)}</td>
      <td>${esc(a.queues.join(", "))}</td>
      <td><input class="skills" value="${esc(Object.entries(a.skills).map(([k, v]) => k + "=" + v).join(" "))}" aria-label="${esc(T.skills)} ${esc(a.id)}"></td>
      <td>${a.state === "paused" ? `<button class="unpause">${esc(T.end_pause)}</button>` : ""}</td></tr>`).join("");
  tick();
}
function tick() {
  $("clock").textContent = new Date(serverNow() * 1000).toLocaleTimeString("sv-SE");
  document.querySelectorAll(".timer[data-since]").forEach(el => { el.textContent = mmss(serverNow() - parseFloat(el.dataset.since)); });
}
$("agents").addEventListener("click", (e) => {
  const row = e.target.closest("tr[data-agent]");
  if (row && e.target.classList.contains("unpause")) api("POST", `/api/agents/${encodeURIComponent(row.dataset.agent)}/unpause`).then(() => toast(T.end_pause)).catch(() => {});
});
$("agents").addEventListener("keydown", (e) => {
  if (e.key !== "Enter" || !e.target.classList.contains("skills")) return;
  const row = e.target.closest("tr[data-agent]");
  const skills = e.target.value.split(/[\s,]+/).filter(Boolean);
  api("POST", `/api/agents/${encodeURIComponent(row.dataset.agent)}/skills`, { skills }).then(() => toast(T.saved)).catch(() => {});
});
let editing = false;
document.addEventListener("focusin", (e) => { editing = e.target.classList.contains("skills"); });
document.addEventListener("focusout", () => { editing = false; });
onLive((msg) => { if (msg.type === "snapshot" && !editing) render(msg); });
setInterval(tick, 1000);
