"""The report's charts, drawn with matplotlib on the Agg backend (no display) as base64 PNG for data URIs.

Labels on the charts are in English: the service images carry no CJK font; the HTML around each chart gives
its caption in both languages. A group below the minimum of responses is drawn as an empty hatched bar marked
"too few to score", never as a bar of a bare number.
"""
from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

GREEN, BLUE, ORANGE, GREY, RED = "#2e7d32", "#1565c0", "#ef6c00", "#9e9e9e", "#c62828"


def _subplots(width: float, height: float):
    """A figure of its own (no pyplot state), so that charts may be drawn in a worker thread."""
    fig = Figure(figsize=(width, height))
    return fig, fig.add_subplot()


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _bar(ax, position: float, score: dict, color: str, height: float, label: str | None = None,
         name: str = "") -> None:
    """One horizontal bar of a share agreeing with its Wilson interval, or a hatched 'too few' placeholder."""
    if score.get("status") != "scored":
        ax.barh(position, 1.0, height=height, color="none", edgecolor=color, hatch="//", label=label)
        ax.text(0.5, position, f"{name + ': ' if name else ''}too few to score (n={score.get('n', 0)})",
                va="center", ha="center", fontsize=8, color="#424242",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
        return
    share = score["share"]
    error = [[max(0.0, share - score["ci_low"])], [max(0.0, score["ci_high"] - share)]]
    ax.barh(position, share, height=height, color=color, label=label, xerr=error,
            error_kw={"ecolor": "#212121", "capsize": 3})
    ax.text(1.02, position, f"{share * 100:.0f}% [{score['ci_low'] * 100:.0f}-{score['ci_high'] * 100:.0f}]"
            f"  n={score['n']}", va="center", fontsize=8, clip_on=False)


def _frame(ax, labels: list[str], title: str) -> None:
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xticklabels(["0%", "25%", "50%", "75%", "100%"])
    ax.set_xlabel("share agreeing (4 Agree or 5 Strongly agree), 95% Wilson interval")
    ax.set_title(title, fontsize=11, loc="left", pad=20)
    ax.grid(axis="x", color="#e0e0e0")
    ax.set_axisbelow(True)


def outcome_chart(term_scores: dict, names: dict) -> str:
    """Share agreeing per outcome over the whole term (immediate survey)."""
    entry = next(iter(term_scores.values()), None)
    items = entry["immediate"]["items"] if entry else {}
    keys = list(items)
    fig, ax = _subplots(7.5, 0.55 * max(len(keys), 1) + 1.2)
    for n, key in enumerate(keys):
        _bar(ax, n, items[key], GREEN, 0.6)
    _frame(ax, [names[k]["en"] for k in keys], "Outcomes this term")
    return _png(fig)


def synergy_chart(synergy: dict, names: dict) -> str:
    """Co-organized against single-organizer activities, outcome by outcome."""
    comparison = synergy["joint_vs_single"]["items"]
    keys = list(comparison)
    fig, ax = _subplots(7.5, 0.8 * max(len(keys), 1) + 1.4)
    for n, key in enumerate(keys):
        entry = comparison[key]
        for offset, side, color, label in ((-0.18, "a", BLUE, "co-organized"), (0.18, "b", ORANGE,
                                                                                   "single organizer")):
            if entry["status"] == "scored":
                ci = entry[f"ci_{side}"]
                score = {"status": "scored", "share": entry[f"share_{side}"], "ci_low": ci[0], "ci_high": ci[1],
                         "n": entry[f"n_{side}"]}
            else:
                score = {"status": "too_few", "n": entry[f"n_{side}"]}
            _bar(ax, n + offset, score, color, 0.34, label if n == 0 else None, label)
        if entry["status"] == "scored":
            ci = entry["difference_ci"]
            verdict = "real difference" if entry["real"] else "no clear difference"
            ax.text(1.28, n, f"{entry['difference'] * 100:+.0f} pts [{ci[0] * 100:+.0f}, {ci[1] * 100:+.0f}]\n"
                    f"{verdict}", va="center", fontsize=8, color=RED if entry["real"] else "#616161",
                    clip_on=False)
    _frame(ax, [names[k]["en"] for k in keys], "Joint against single-organizer activities")
    _legend(ax)
    return _png(fig)


def _legend(ax) -> None:
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=3, fontsize=8, frameon=False)


def level_chart(level_scores: dict, names: dict) -> str:
    """Share agreeing per outcome for each level of partnership (library, campus, outside)."""
    colors = {"library": GREY, "campus": BLUE, "outside": GREEN}
    keys = list(next(iter(level_scores.values()))["items"])
    fig, ax = _subplots(7.5, 1.0 * len(keys) + 1.4)
    for n, key in enumerate(keys):
        for m, (level, entry) in enumerate(level_scores.items()):
            _bar(ax, n + (m - 1) * 0.27, entry["items"][key], colors[level], 0.25, level if n == 0 else None, level)
    _frame(ax, [names[k]["en"] for k in keys], "Outcomes by level of partnership (widest partner)")
    _legend(ax)
    return _png(fig)


def plan_chart(plan: dict) -> str:
    """Each count target: completed, still scheduled, and the target line; red where falling behind."""
    rows = [t for t in plan["targets"] if t.get("measure", "activities") == "activities"]
    fig, ax = _subplots(7.5, 0.55 * max(len(rows), 1) + 1.2)
    for n, row in enumerate(rows):
        color = RED if row["status"] == "behind" else GREEN
        ax.barh(n, row["completed"], color=color, height=0.6)
        ax.barh(n, row["scheduled"], left=row["completed"], color=color, alpha=0.35, height=0.6)
        ax.plot([row["target"], row["target"]], [n - 0.4, n + 0.4], color="#212121", linewidth=2)
        ax.text(max(row["target"], row["completed"] + row["scheduled"]) + 0.2, n,
                f"{row['completed']} done + {row['scheduled']} to come, of {row['target']:g}: "
                f"{row['status'].replace('_', ' ')}", va="center", fontsize=8)
    labels = [f"{r['dimension']}: {r.get('key') or 'all'}" for r in rows]
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    top = max([max(r["target"], r["completed"] + r["scheduled"]) for r in rows] or [1])
    ax.set_xlim(0, top * 2.2 + 1)
    ax.set_xlabel(f"activities (term {plan['elapsed'] * 100:.0f}% elapsed)")
    ax.set_title("Term plan: progress against targets", fontsize=11, loc="left", pad=20)
    ax.legend(handles=[Patch(color=GREEN, label="completed"), Patch(color=GREEN, alpha=0.35, label="to come"),
                       Patch(color=RED, label="falling behind"), Line2D([], [], color="#212121", label="target")],
              loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=4, fontsize=8, frameon=False)
    return _png(fig)
