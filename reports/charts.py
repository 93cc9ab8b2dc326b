"""The monthly statement's charts as SVG text (matplotlib, Agg backend, nothing written to
disk): calls per day, service level per hour of the day, each district's share of the cost.
Text stays text in the SVG (``svg.fonttype = none``), so it prints sharp and stays small."""

from __future__ import annotations

import io
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
from matplotlib.figure import Figure  # noqa: E402

from reports.kpis import Kpi  # noqa: E402

plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
                     "axes.spines.right": False})
#: Colours of the services and the previous month (print well in grey too).
COLOURS = {"vaxel": "#1f4e79", "kontaktcenter": "#c55a11", "direkt": "#548235"}
BEFORE = "#a6a6a6"


def _svg(fig: Figure) -> str:
    out = io.StringIO()
    fig.savefig(out, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = out.getvalue()
    return text[text.index("<svg"):]


def calls_per_day(days: Mapping[str, int], before: Mapping[str, int]) -> str:
    fig, ax = plt.subplots(figsize=(7.2, 2.4))
    xs = list(range(1, len(days) + 1))
    ax.bar(xs, list(days.values()), color=COLOURS["vaxel"], label="denna månad (this month)")
    prev = list(before.values())
    ax.plot(list(range(1, len(prev) + 1)), prev, color=BEFORE, marker=".",
            label="månaden före (month before)")
    ax.set_xlabel("dag (day)")
    ax.set_ylabel("samtal (calls)")
    ax.set_xticks(xs[::2] if len(xs) > 16 else xs)
    ax.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
    return _svg(fig)


def service_level_per_hour(hours: Mapping[str, Mapping[int, Kpi]], target_pct: int) -> str:
    fig, ax = plt.subplots(figsize=(7.2, 2.4))
    for service, by_hour in sorted(hours.items()):
        points = sorted((h, k.service_level * 100) for h, k in by_hour.items()
                        if k.service_level is not None)
        if points:
            ax.plot([h for h, _ in points], [v for _, v in points], marker="o",
                    color=COLOURS.get(service, "black"), label=service)
    ax.axhline(target_pct, color="black", linestyle="--", linewidth=0.8,
               label=f"mål (target) {target_pct} %")
    ax.set_xlim(-0.5, 23.5)
    ax.set_ylim(0, 105)
    ax.set_xticks(range(0, 24, 2))
    ax.set_xlabel("timme (hour)")
    ax.set_ylabel("servicenivå % (service level)")
    ax.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4)
    return _svg(fig)


def cost_share(totals: Mapping[str, int]) -> str:
    fig, ax = plt.subplots(figsize=(7.2, 0.35 * max(len(totals), 3) + 0.6))
    total = sum(totals.values()) or 1
    names = sorted(totals, key=lambda n: totals[n])
    shares = [totals[n] * 100 / total for n in names]
    ax.barh(names, shares, color=COLOURS["vaxel"])
    for y, v in enumerate(shares):
        ax.text(v + 0.5, y, f"{v:.1f} %", va="center")
    ax.set_xlabel("andel av kostnaden % (share of the cost)")
    ax.set_xlim(0, max(shares + [1]) * 1.15)
    return _svg(fig)
