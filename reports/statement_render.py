"""The monthly statement as HTML (with SVG charts, prints on A4), CSV (one row per district
or administration and service, for finance) and JSON (everything, money in öre).

Headings in Swedish with English, as operators and districts read them."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from html import escape

from reports import charts
from reports.kpis import CONTACT_CENTER, DIRECT, SWITCHBOARD, Kpi
from reports.statement import Line, Statement, sek

SERVICES = (SWITCHBOARD, CONTACT_CENTER, DIRECT)
SERVICE_NAMES = {SWITCHBOARD: "Växel (switchboard)",
                 CONTACT_CENTER: "Kontaktcenter (contact center)", DIRECT: "Direkt (direct)"}

CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; color: #111;
       max-width: 265mm; margin: 1em auto; }
h1 { font-size: 16pt; margin-bottom: 0; } h2 { font-size: 12pt; margin-top: 1.4em; }
p.sub { color: #444; margin-top: .2em; }
p.key { font-size: 7.5pt; color: #444; margin: .2em 0 0; }
table { border-collapse: collapse; width: 100%; margin: .4em 0; font-size: 8.5pt; }
th, td { padding: 2px 4px; border-bottom: 1px solid #ccc; text-align: right; }
td { white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { border-bottom: 1.5px solid #111; font-weight: 600; vertical-align: bottom; }
tr.total td { font-weight: 600; border-top: 1.5px solid #111; }
td.over { font-weight: 600; } .muted { color: #666; }
figure { margin: .6em 0; page-break-inside: avoid; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 9pt; color: #444; }
section { page-break-inside: avoid; }
@media print { body { margin: 0; max-width: none; } @page { size: A4 landscape; margin: 12mm; }
  h2 { page-break-after: avoid; } a { color: inherit; text-decoration: none; } }
"""


def to_json(s: Statement) -> str:
    return json.dumps(s.as_dict(), ensure_ascii=False, indent=2)


def to_csv(s: Statement) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["month", "level", "name", "service", "calls", "answered", "minutes",
                "agent_minutes", "variable_sek", "fixed_sek", "total_sek"])
    for figures in (s.month, s.before):
        for level, lines in (("district", figures.districts),
                             ("administration", figures.administrations)):
            for name, line in sorted(lines.items()):
                for service in SERVICES:
                    if service in line.calls:
                        w.writerow([figures.month, level, name, service, line.calls[service],
                                    line.answered.get(service, 0),
                                    f"{line.talk_s.get(service, 0) / 60:.1f}",
                                    f"{line.agent_s.get(service, 0) / 60:.1f}", "", "", ""])
                w.writerow([figures.month, level, name, "all", sum(line.calls.values()),
                            sum(line.answered.values()), f"{sum(line.talk_s.values()) / 60:.1f}",
                            f"{sum(line.agent_s.values()) / 60:.1f}",
                            _plain(line.variable_ore), _plain(line.fixed_ore),
                            _plain(line.total_ore)])
    return out.getvalue()


def _plain(ore: int) -> str:
    return f"{ore / 100:.2f}"


def to_html(s: Statement, target_pct: int) -> str:
    m, b = s.month, s.before
    who = (f"stadsdel (district) {escape(s.district)}" if s.district
           else "alla stadsdelar (all districts)")
    parts = [f"<!doctype html><html lang='sv'><head><meta charset='utf-8'>"
             f"<title>Månadsrapport {m.month}</title><style>{CSS}</style></head><body>",
             f"<h1>Månadsrapport (monthly statement) {m.month}</h1>",
             f"<p class='sub'>{who}; jämfört med (compared with) {b.month}. "
             f"{m.calls} samtal (calls), totalt {sek(m.total_ore)} kr.</p>",
             "<section><h2>Stadsdelar (districts): samtal, minuter och kostnad</h2>",
             _lines_table(m.districts, b.districts, fixed=True), "</section>",
             "<section><h2>Förvaltningar (administrations)</h2>",
             _lines_table(m.administrations, b.administrations, fixed=True), "</section>",
             "<section><h2>Nyckeltal per tjänst (KPIs per service)</h2>",
             _kpi_table(m.services, b.services, target_pct), "</section>",
             _figure(charts.calls_per_day(m.calls_per_day, b.calls_per_day),
                     "Samtal per dag (calls per day); grå: månaden före (grey: the month before)"),
             _figure(charts.service_level_per_hour(m.sl_per_hour, target_pct),
                     "Servicenivå per timme (service level per hour of the day)"),
             _figure(charts.cost_share({k: v.total_ore for k, v in m.districts.items()}),
                     "Andel av kostnaden per stadsdel (share of the cost per district)"),
             "<p class='muted'>Definitioner (definitions): reports/README.md, "
             "reports/statement.py och reports/kpis.py.</p></body></html>"]
    return "\n".join(parts)


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


#: Column keys in English under each table (headers stay short so A4 fits).
LINES_KEY = ("samtal = calls by service (växel = switchboard, kontaktc. = contact center, "
             "direkt = put through by the IVR); min = talk minutes; handl.-min = agent minutes "
             "(talk + wrap-up); rörligt = variable cost (per call + agent minutes); fast = fixed "
             "share; summa = total; förra mån. = the month before; skillnad = difference.")
KPI_KEY = ("erbj. = offered; besv. = answered; överg. = abandoned (short abandons excluded); "
           "SL = service level against the target (mål); tappade = lost; ASA = average speed "
           "of answer; AHT = average talk time; FCR = first-contact resolution; återuppr. = "
           "callbacks made/asked; till växeln = fallbacks to the operators.")


def _lines_table(now: Mapping[str, Line], before: Mapping[str, Line], *, fixed: bool) -> str:
    head = ("<tr><th>namn</th><th>växel<br>samtal</th><th>kontaktc.<br>samtal</th>"
            "<th>direkt<br>samtal</th><th>min</th><th>handl.-<br>min</th>"
            + ("<th>rörligt<br>kr</th><th>fast<br>kr</th>" if fixed else "")
            + "<th>summa<br>kr</th><th>förra<br>mån. kr</th><th>skillnad<br>kr</th></tr>")
    rows = []
    for name in sorted(set(now) | set(before)):
        line, prev = now.get(name, Line(name)), before.get(name, Line(name))
        rows.append(_line_row(name, line, prev, fixed))
    total, prev_total = _sum(now.values()), _sum(before.values())
    rows.append(_line_row("Summa (total)", total, prev_total, fixed, css="total"))
    return f"<table>{head}{''.join(rows)}</table><p class='key'>{escape(LINES_KEY)}</p>"


def _line_row(name: str, line: Line, prev: Line, fixed: bool, css: str = "") -> str:
    diff = line.total_ore - prev.total_ore
    cells = [escape(name)] + [str(line.calls.get(s, 0)) for s in SERVICES] + [
        f"{sum(line.talk_s.values()) / 60:.0f}", f"{sum(line.agent_s.values()) / 60:.0f}"]
    if fixed:
        cells += [sek(line.variable_ore), sek(line.fixed_ore)]
    cells += [sek(line.total_ore), sek(prev.total_ore), ("+" if diff > 0 else "") + sek(diff)]
    tds = "".join(f"<td>{c}</td>" for c in cells)
    return f"<tr class='{css}'>{tds}</tr>"


def _sum(lines: Iterable[Line]) -> Line:
    """The total line: adds the lines' rounded money, so every column adds up."""
    total = Line("total")
    for line in lines:
        for mine, theirs in ((total.calls, line.calls), (total.answered, line.answered)):
            for k, n in theirs.items():
                mine[k] = mine.get(k, 0) + n
        for fmine, ftheirs in ((total.talk_s, line.talk_s), (total.agent_s, line.agent_s)):
            for k, x in ftheirs.items():
                fmine[k] = fmine.get(k, 0.0) + x
        total.cost += line.variable_ore
        total.fixed_ore += line.fixed_ore
    return total


def _kpi_table(now: Mapping[str, Kpi], before: Mapping[str, Kpi], target_pct: int) -> str:
    head = ("<tr><th>tjänst</th><th>erbj.</th><th>besv.</th><th>överg.</th><th>SL</th>"
            "<th>mål</th><th>tappade</th><th>ASA s</th><th>AHT s</th><th>FCR</th>"
            "<th>återuppr.</th><th>till växeln</th><th>SL förra<br>mån.</th></tr>")
    rows = []
    for service in SERVICES:
        k = now.get(service)
        if k is None:
            continue
        prev = before.get(service)
        sl = _pct(k.service_level)
        low = k.service_level is not None and k.service_level * 100 < target_pct
        rows.append(
            f"<tr><td>{escape(SERVICE_NAMES[service].split(' (')[0])}</td><td>{k.offered}</td>"
            f"<td>{k.answered}</td><td>{k.abandoned}</td>"
            f"<td class='{'over' if low else ''}'>{sl}</td>"
            f"<td>{target_pct}\u00a0%/{k.target_s:.0f}\u00a0s</td><td>{_pct(k.lost)}</td>"
            f"<td>{_num(k.asa_s)}</td><td>{_num(k.aht_s)}</td><td>{_pct(k.fcr)}</td>"
            f"<td>{k.callbacks_made}/{k.callbacks_asked}</td><td>{k.fallbacks}</td>"
            f"<td>{_pct(prev.service_level) if prev else '-'}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table><p class='key'>{escape(KPI_KEY)}</p>"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f} %"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.0f}"
