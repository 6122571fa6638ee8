"""Pictures of an architecture search: the leaderboard as bars and the test-MSE curves.

One panel per knob that the grid varies, so that the effect of each knob is seen at a
glance: bars (final test MSE per trial, best first) coloured by the knob's value, and
test MSE against epoch with one colour per value of the knob.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.patches import Patch

from msdl.figures import save_figure
from msdl.search.grid import KNOBS


def varied_knobs(trials: list[dict]) -> list[str]:
    """The knobs with more than one value among ``trials`` (all knobs if none varies)."""
    varied = [k for k in KNOBS if len({t["knobs"][k] for t in trials}) > 1]
    return varied or list(KNOBS[:1])


def _values(trials: list[dict], knob: str) -> list:
    return sorted({t["knobs"][knob] for t in trials}, key=str)


def leaderboard_bars(trials: list[dict], path: str | Path, title: str) -> None:
    """Final test MSE (image units) per trial, best first; one panel per varied knob."""
    ranked = sorted(trials, key=lambda t: (t["final_test_mse_image"], t["trial"]))
    knobs = varied_knobs(trials)
    fig, axes = plt.subplots(
        len(knobs), 1, figsize=(max(6, 0.35 * len(ranked) + 3), 2.6 * len(knobs) + 0.8), squeeze=False
    )
    for ax, knob in zip(axes[:, 0], knobs):
        colour = {v: f"C{i}" for i, v in enumerate(_values(trials, knob))}
        ax.bar(
            range(len(ranked)),
            [t["final_test_mse_image"] for t in ranked],
            color=[colour[t["knobs"][knob]] for t in ranked],
        )
        handles = [Patch(color=c, label=str(value)) for value, c in colour.items()]
        ax.set_ylabel("final test MSE\n(image units)")
        ax.legend(
            handles=handles, title=knob, fontsize=7, title_fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0)
        )
        ax.set_xticks(range(len(ranked)))
        ax.set_xticklabels([t["trial"] for t in ranked], rotation=90, fontsize=7)
        ax.grid(True, axis="y", alpha=0.3)
    axes[0, 0].set_title(title, fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)


def curves_by_knob(trials: list[dict], path: str | Path, title: str) -> None:
    """Test MSE (image units, log) against epoch; one panel per varied knob, one colour per value."""
    knobs = varied_knobs(trials)
    fig, axes = plt.subplots(1, len(knobs), figsize=(3.6 * len(knobs), 3.4), squeeze=False, sharey=True)
    for ax, knob in zip(axes[0], knobs):
        colour = {v: f"C{i}" for i, v in enumerate(_values(trials, knob))}
        for t in sorted(trials, key=lambda t: t["trial"]):
            curve = [t["initial_test_mse_image"], *t["test_mse_image"]]
            ax.plot(range(len(curve)), curve, color=colour[t["knobs"][knob]], alpha=0.7, linewidth=1)
        for value, c in colour.items():
            ax.plot([], [], color=c, label=str(value))
        ax.set_title(knob, fontsize=9)
        ax.set_xlabel("epoch (0 = untrained)")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    axes[0, 0].set_ylabel("test MSE (image units)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)
