"""Architecture search as a grid: the trials of a `search.<name>` config entry.

A search turns the report's knobs (first-layer channels, MaxPool/AvgPool, BatchNorm after
the convolution or none, activation, training loss) over a grid. The grid is expanded at
parse time into trial names such as ``c16-max-bn-relu-mse`` (order: the knobs in
:data:`KNOBS` order, each knob's values in config order), and every trial is one
independent training job. A grid, not an adaptive sampler, because every trial is then
known before anything runs (a cluster runs all of them at once, a rerun redoes only what
is missing, the same config gives the same bytes) and because the report's three claims
are paired comparisons (same other knobs), which a full grid provides by construction.

The speed of a trial is measured in epochs, not seconds (seconds depend on the machine
and go to the log): :func:`epochs_to_fraction` is the first epoch whose test MSE has made
``fraction`` (default 90 %) of the trial's own total drop, from the untrained network's
test MSE to the best test MSE of the run.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

from msdl.config import dataset_image_size
from msdl.models.knobs import BASE_IMAGE_SIZE, ArchitectureKnobs, parse_knobs, trial_architecture

KNOBS = ("first_channels", "pool", "batch_norm", "activation", "loss")
LOSS_VALUES = ("mse", "l1")


@dataclass(frozen=True)
class Trial:
    """One grid point: the network knobs and the training loss."""

    knobs: ArchitectureKnobs
    loss: str

    def __post_init__(self):
        if self.loss not in LOSS_VALUES:
            raise ValueError(f"unknown loss {self.loss!r}; known: {list(LOSS_VALUES)}")

    @property
    def name(self) -> str:
        """``c16-max-bn-relu-mse``: the network knobs' name, then the loss."""
        return f"{self.knobs.name}-{self.loss}"

    def as_dict(self) -> dict:
        """The five knobs by name (config values: ``batch_norm`` is after_conv | none)."""
        k = self.knobs
        return {
            "first_channels": k.first_channels,
            "pool": k.pool,
            "batch_norm": k.batch_norm,
            "activation": k.activation,
            "loss": self.loss,
        }


def parse_trial(name: str) -> Trial:
    """The inverse of :attr:`Trial.name`."""
    knobs, sep, loss = name.rpartition("-")
    if not sep:
        raise ValueError(f"trial name {name!r} is not <knobs>-<loss>")
    return Trial(parse_knobs(knobs), loss)


def expand_grid(grid: dict) -> list[Trial]:
    """Every combination of the grid's values, in a fixed order (see the module doc)."""
    missing = [k for k in KNOBS if k not in grid]
    if missing:
        raise ValueError(f"grid lacks knobs {missing}; it needs all of {list(KNOBS)}")
    trials = []
    for channels, pool, batch_norm, activation, loss in itertools.product(*(grid[k] for k in KNOBS)):
        trials.append(Trial(ArchitectureKnobs(channels, pool, batch_norm, activation), loss))
    names = [t.name for t in trials]
    if len(set(names)) != len(names):
        raise ValueError(f"grid has repeated values: trials {names}")
    return trials


def trial_names(search: dict) -> list[str]:
    """Trial names of a ``search.<name>`` entry (none when it is disabled)."""
    if not search.get("enabled", True):
        return []
    return [t.name for t in expand_grid(search["grid"])]


def trial_model_config(search: dict, trial: Trial) -> dict:
    """The ``models.<name>``-like entry that msdl/training/jobs.py trains for ``trial``."""
    return {
        "architecture": trial_architecture(search["base"], trial.knobs),
        "dataset": search["dataset"],
        "epochs": search["epochs"],
        "batch_size": search["batch_size"],
        "learning_rate": search["learning_rate"],
        "seed": search["seed"],
        "normalization": search["normalization"],
        "figure_epochs": [],
        "loss": trial.loss,
    }


def epochs_to_fraction(initial: float, curve: list[float], fraction: float = 0.9) -> int | None:
    """First epoch (1-based) whose value has made ``fraction`` of the total drop.

    The total drop is ``initial - min(curve)`` (``initial``: the untrained network's test
    MSE, ``curve``: test MSE after each epoch). ``None`` when the curve never goes below
    ``initial`` (nothing learnt).
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    if not curve:
        return None
    drop = initial - min(curve)
    if not drop > 0:
        return None
    target = initial - fraction * drop
    return next(epoch for epoch, value in enumerate(curve, start=1) if value <= target)


def trial_record(
    search_name: str,
    search: dict,
    trial: Trial,
    params: int,
    initial_mse_image: float,
    metrics: list[dict],
    n_train: int,
    n_test: int,
) -> dict:
    """The trial's JSON: knobs, size, per-epoch test MSE in image units, final MSE, speed.

    Only deterministic numbers (no seconds), so that a rerun writes the same bytes.
    """
    curve = [row["test_mse_image"] for row in metrics]
    fraction = search.get("speed_fraction", 0.9)
    for epoch, value in enumerate(curve, start=1):
        if not math.isfinite(value):
            raise ValueError(
                f"search {search_name} trial {trial.name}: test MSE is {value} at epoch {epoch} (diverged)"
            )
    return {
        "search": search_name,
        "trial": trial.name,
        "base": search["base"],
        "architecture": trial_architecture(search["base"], trial.knobs),
        "dataset": search["dataset"],
        "knobs": trial.as_dict(),
        "params": params,
        "epochs": len(curve),
        "batch_size": search["batch_size"],
        "learning_rate": search["learning_rate"],
        "seed": search["seed"],
        "train_images": n_train,
        "test_images": n_test,
        "initial_test_mse_image": initial_mse_image,
        "test_mse_image": curve,
        "train_loss": [row["train_mse"] for row in metrics],
        "final_test_mse_image": curve[-1],
        "best_test_mse_image": min(curve),
        "speed_fraction": fraction,
        "epochs_to_fraction": epochs_to_fraction(initial_mse_image, curve, fraction),
    }


def trial_regex(names: list[str]) -> str:
    """A wildcard constraint matching exactly these trial names."""
    return "|".join(re.escape(n) for n in sorted(set(names))) or "(?!x)x"


def config_errors(config: dict) -> list[str]:
    """Each enabled architecture search names an existing dataset of its base's image size."""
    errors = []
    for name, search in (config.get("search") or {}).items():
        if not search.get("enabled", True):
            continue
        key = f"search.{name}"
        if search["dataset"] not in config["datasets"]:
            errors.append(f"{key}.dataset: no dataset named {search['dataset']!r} (have {sorted(config['datasets'])})")
            continue
        size, wanted = dataset_image_size(config, search["dataset"]), BASE_IMAGE_SIZE[search["base"]]
        if size != wanted:
            errors.append(
                f"{key}.dataset: {search['dataset']!r} has {size} images; base {search['base']} reads {wanted}"
            )
    return errors
