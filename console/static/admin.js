// Admin pages: dialplan versions with the check, deploy and roll back; absence notes and
// directory edits; the audit log.
"use strict";
const $ = (id) => document.getElementById(id);
let chosenEmployee = null;
async function loadDialplans() {
  let d; try { d = await api("GET", "/api/dialplans"); } catch (e) { return; }
  $("dp-active").textContent = d.active ? `${d.active.id} (${d.active.by}, ${d.active.at})` : "–";
  $("dp-previous").textContent = d.previous ? `${d.previous.id} (${d.previous.by}, ${d.previous.at})` : "–";
  $("dp-findings").innerHTML = d.check.findings.length ? d.check.findings.map(f => `<li class="${f.severity}">${esc(f.text)}</li>`).join("") : `<li class="ok">OK: ${esc(d.folder)}</li>`;
  $("dp-log").innerHTML = d.log.map(e => `<li>${esc(e.at)} ${esc(e.action)} ${esc(e.id)} – ${esc(e.by)}</li>`).join("");
}
async function loadAudit() {
  let a; try { a = await api("GET", "/api/audit"); } catch (e) { return; }
  $("audit").innerHTML = a.entries.map(e => `<li>${esc(new Date(parseFloat(e.at) * 1000).toLocaleString("sv-SE"))} <strong>${esc(e.user)}</strong> ${esc(e.action)} <code>${esc(e.detail)}</code></li>`).join("");
}
$("dp-deploy").addEventListener("click", () => api("POST", "/api/dialplans/deploy").then(r => { toast(T.deploy + ": " + r.active.id); loadDialplans(); loadAudit(); }).catch(() => {}));
$("dp-rollback").addEventListener("click", () => api("POST", "/api/dialplans/rollback").then(r => { toast(T.rollback + ": " + r.active.id); loadDialplans(); loadAudit(); }).catch(() => {}));
$("adm-search").addEventListener("input", async (e) => {
  if (!e.target.value.trim()) { $("adm-hits").innerHTML = ""; return; }
  let r; try { r = await api("GET", "/api/directory/search?q=" + encodeURIComponent(e.target.value)); } catch (err) { return; }
  $("adm-hits").innerHTML = r.hits.filter(h => h.kind === "employee").map(h => `<li data-id="${esc(h.id)}" data-label="${esc(h.label)}" data-title="${esc(h.title)}" data-email="${esc(h.email)}"><strong>${esc(h.label)}</strong> ${esc(h.extension)} ${h.absence ? `<span class="tag warn">${esc(h.absence)}</span>` : ""}</li>`).join("");
});
$("adm-hits").addEventListener("click", (e) => {
  const li = e.target.closest("li[data-id]"); if (!li) return;
  chosenEmployee = li.dataset.id; $("adm-who").textContent = li.dataset.label;
  $("edit-title").value = li.dataset.title; $("edit-email").value = li.dataset.email;
});
$("absence-form").addEventListener("submit", (e) => {
  e.preventDefault(); if (!chosenEmployee) return;
  const until = $("abs-until").value ? new Date($("abs-until").value).toISOString() : null;
  api("PUT", `/api/directory/employees/${encodeURIComponent(chosenEmployee)}/absence`, { category: $("abs-category").value, until, reason: $("abs-reason").value }).then(() => { toast(T.saved); loadAudit(); }).catch(() => {});
});
$("abs-clear").addEventListener("click", () => { if (chosenEmployee) api("DELETE", `/api/directory/employees/${encodeURIComponent(chosenEmployee)}/absence`).then(() => { toast(T.saved); loadAudit(); }).catch(() => {}); });
$("edit-form").addEventListener("submit", (e) => {
  e.preventDefault(); if (!chosenEmployee) return;
  const body = { title: $("edit-title").value }; if ($("edit-email").value) body.email = $("edit-email").value;
  api("PATCH", `/api/directory/employees/${encodeURIComponent(chosenEmployee)}`, body).then(() => { toast(T.saved); loadAudit(); }).catch(() => {});
});
loadDialplans(); loadAudit();
