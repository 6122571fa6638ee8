"""Leaderboard of a search and what it says about the report's three claims.

Each claim is judged by paired comparisons: two trials that differ in one knob only
(all other knobs equal). For every pair the knob value the report favours either wins,
loses or ties; a claim is ``supported`` when it wins more pairs than it loses,
``contradicted`` when it loses more, ``tied`` when as many, ``not tested`` when the
grid has no such pair. The two-sided sign-test p-value (ties dropped) says how far a
small grid can be trusted.

    maxpool_beats_avgpool      pool max vs avg, final test MSE (image units), lower wins
    batchnorm_speeds_training  batch_norm after_conv vs none: epochs until the test MSE
                               first reaches the pair's common level (the higher of the
                               two final test MSEs, which both trials reach), fewer wins.
                               A paired level, not each trial's own 90 % drop
                               (``epochs_to_fraction``, in the leaderboard): short runs
                               still falling at their last epoch all reach their own 90 %
                               near the end, which says little about speed.
    16_channels_suffice        first_channels 16 vs the grid's largest (> 16): 16 wins when
                               its final MSE is within SUFFICE_TOLERANCE of the larger one's
                               (the report: "16 first-layer channels suffice for grain
                               growth"; judged on any search, meant for the kMC/GG one)
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import asdict, dataclass

from scipy.stats import binomtest

from msdl.search.grid import KNOBS

SUFFICE_TOLERANCE = 0.05  # 16 channels "suffice" within 5 % of the larger network's final MSE

LEADERBOARD_FIELDS = (
    "rank",
    "trial",
    *KNOBS,
    "params",
    "final_test_mse_image",
    "best_test_mse_image",
    "epochs_to_fraction",
)


def leaderboard(trials: list[dict]) -> list[dict]:
    """One row per trial, best final test MSE first (ties by trial name)."""
    ranked = sorted(trials, key=lambda t: (t["final_test_mse_image"], t["trial"]))
    return [
        {
            "rank": i,
            "trial": t["trial"],
            **t["knobs"],
            "params": t["params"],
            "final_test_mse_image": t["final_test_mse_image"],
            "best_test_mse_image": t["best_test_mse_image"],
            "epochs_to_fraction": "" if t["epochs_to_fraction"] is None else t["epochs_to_fraction"],
        }
        for i, t in enumerate(ranked, start=1)
    ]


def leaderboard_csv(rows: list[dict]) -> str:
    """The leaderboard as CSV text (floats as Python writes them: exact and reproducible)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=LEADERBOARD_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def pairs(trials: list[dict], knob: str, favoured, other) -> list[tuple[dict, dict]]:
    """``(favoured trial, other trial)`` for every pair equal in all knobs but ``knob``."""

    def rest(t: dict) -> tuple:
        return tuple(t["knobs"][k] for k in KNOBS if k != knob)

    by_rest = {}
    for t in trials:
        by_rest.setdefault(rest(t), {})[t["knobs"][knob]] = t
    return [
        (group[favoured], group[other])
        for _, group in sorted(by_rest.items(), key=lambda kv: str(kv[0]))
        if favoured in group and other in group
    ]


@dataclass
class Claim:
    """The verdict of one claim from its paired comparisons."""

    claim: str
    knob: str
    favoured: object
    other: object
    metric: str
    pairs: int
    wins: int
    losses: int
    ties: int
    verdict: str
    sign_test_p: float | None
    comparisons: list[dict]


def _verdict(wins: int, losses: int, n: int) -> tuple[str, float | None]:
    if n == 0:
        return "not tested", None
    p = binomtest(wins, wins + losses, 0.5).pvalue if wins + losses else 1.0
    verdict = "supported" if wins > losses else "contradicted" if losses > wins else "tied"
    return verdict, float(p)


def _judge(claim: str, knob: str, favoured, other, metric: str, outcome, trials: list[dict]) -> Claim:
    """``outcome(favoured trial, other trial)`` -> (+1 win | -1 loss | 0 tie, the two values compared)."""
    comparisons = []
    for a, b in pairs(trials, knob, favoured, other):
        result, va, vb = outcome(a, b)
        comparisons.append(
            {
                "favoured": a["trial"],
                "other": b["trial"],
                "favoured_value": va,
                "other_value": vb,
                "outcome": {1: "win", -1: "loss", 0: "tie"}[result],
            }
        )
    wins = sum(c["outcome"] == "win" for c in comparisons)
    losses = sum(c["outcome"] == "loss" for c in comparisons)
    verdict, p = _verdict(wins, losses, len(comparisons))
    return Claim(
        claim,
        knob,
        favoured,
        other,
        metric,
        len(comparisons),
        wins,
        losses,
        len(comparisons) - wins - losses,
        verdict,
        p,
        comparisons,
    )


def _lower_wins(metric: str):
    def outcome(a: dict, b: dict) -> int:
        x = math.inf if a[metric] is None else a[metric]
        y = math.inf if b[metric] is None else b[metric]
        return (1 if x < y else -1 if x > y else 0), a[metric], b[metric]

    return outcome


def epochs_to_level(curve: list[float], level: float) -> int | None:
    """First epoch (1-based) whose test MSE is at or below ``level``; None if never."""
    return next((epoch for epoch, value in enumerate(curve, start=1) if value <= level), None)


def _faster_to_common_level(a: dict, b: dict) -> int:
    level = max(a["final_test_mse_image"], b["final_test_mse_image"])
    ea, eb = epochs_to_level(a["test_mse_image"], level), epochs_to_level(b["test_mse_image"], level)
    return (1 if ea < eb else -1 if ea > eb else 0), ea, eb


def _suffices(a: dict, b: dict) -> int:
    fa, fb = a["final_test_mse_image"], b["final_test_mse_image"]
    return (1 if fa <= (1 + SUFFICE_TOLERANCE) * fb else -1), fa, fb


def findings(trials: list[dict]) -> dict:
    """The three claims judged on one search's trials (see the module doc)."""
    channels = sorted({t["knobs"]["first_channels"] for t in trials})
    larger = max((c for c in channels if c > 16), default=None)
    claims = [
        _judge(
            "MaxPool beats AvgPool (same other knobs): lower final test MSE",
            "pool",
            "max",
            "avg",
            "final_test_mse_image",
            _lower_wins("final_test_mse_image"),
            trials,
        ),
        _judge(
            "BatchNorm right after the convolution speeds training: fewer epochs to the pair's common test MSE level",
            "batch_norm",
            "after_conv",
            "none",
            "epochs_to_common_level",
            _faster_to_common_level,
            trials,
        ),
        _judge(
            (
                f"16 first-layer channels suffice: final test MSE within {SUFFICE_TOLERANCE:.0%} of {larger} channels"
                if larger
                else "16 first-layer channels suffice: no count above 16 in the grid"
            ),
            "first_channels",
            16,
            larger,
            "final_test_mse_image",
            _suffices,
            trials,
        ),
    ]
    keys = ["maxpool_beats_avgpool", "batchnorm_speeds_training", "16_channels_suffice"]
    first = trials[0] if trials else {}
    return {
        "search": first.get("search"),
        "dataset": first.get("dataset"),
        "base": first.get("base"),
        "trials": len(trials),
        "suffice_tolerance": SUFFICE_TOLERANCE,
        "claims": {k: asdict(c) for k, c in zip(keys, claims)},
    }


def findings_text(result: dict) -> str:
    """A few readable lines per claim."""
    lines = [
        f"Architecture search {result['search']} ({result['base']} on {result['dataset']}, {result['trials']} trials)"
    ]
    for key, c in result["claims"].items():
        lines.append(f"- {c['claim']}")
        if c["verdict"] == "not tested":
            other = c["other"] if c["other"] is not None else "a larger value"
            lines.append(
                f"  not tested: the grid has no pair differing only in {c['knob']} ({c['favoured']} vs {other})"
            )
            continue
        lines.append(
            f"  {c['verdict']}: {c['favoured']} won {c['wins']}, lost {c['losses']}, tied {c['ties']} of {c['pairs']} "
            f"paired comparisons vs {c['other']} (sign test p = {c['sign_test_p']:.3g})"
        )
    return "\n".join(lines) + "\n"
