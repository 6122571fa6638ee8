"""SPPARKS input decks for one seed, in the syntax of current SPPARKS (git fb933dd, 2025).

The report's decks (section 2) were written for a 2018-2020 SPPARKS; the templates in
``templates/`` carry the renames documented in ``shared/spec/spparks.md``:
``potts/neighborly`` -> ``potts/neigh``, ``potts/additive`` -> ``am/ellipsoid`` with the
``am pass`` / ``am cartesian_layer`` / ``am build`` commands, and a complete ``region``
line for the weld. Every deck ends with ``dump_one`` of a text dump of the final state
(``id <spin> x y``), which :mod:`msdl.potts.dump` parses.

Values come from the dataset's config entry; nothing from config reaches a shell (the
deck is a file SPPARKS reads with ``-in``).
"""

from __future__ import annotations

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE_OF = {"potts_grain_growth": "grain_growth.in", "am_ellipsoid": "am_ellipsoid.in", "potts_weld": "weld.in"}

#: The dump column that holds the spin, per generator (am/ellipsoid keeps it in i1).
SPIN_COLUMN = {"potts_grain_growth": "site", "am_ellipsoid": "i1", "potts_weld": "site"}


def _number(value: float) -> str:
    """A number as written in config (an int stays an int, a float keeps its point)."""
    return str(value)


def deck_values(dataset: dict) -> dict[str, str]:
    """The template fields of a dataset config entry (seed and dump file excluded)."""
    generator = dataset["generator"]
    nx, ny = dataset["sites"]
    values = {"nx": nx, "ny": ny, "time": dataset["time"], "stats": dataset.get("stats", 10.0)}
    if generator == "potts_grain_growth":
        values |= {"q": dataset["q"], "kT": dataset["kT"]}
    elif generator == "am_ellipsoid":
        pool, scan = dataset["melt_pool"], dataset["scan"]
        values |= {"nspins": dataset["nspins"], **pool, "speed": scan["speed"], "hatch": scan["hatch"]}
        values |= {"offset_x": float(scan["offset"][0]), "offset_y": float(scan["offset"][1])}
    elif generator == "potts_weld":
        values |= {"nspins": dataset["nspins"], "kT": dataset["kT"], **dataset["pool"]}
    else:
        raise ValueError(f"generator {generator!r}: no SPPARKS deck (have {sorted(TEMPLATE_OF)})")
    return {k: v if isinstance(v, str) else _number(v) for k, v in values.items()}


def render_deck(dataset: dict, seed: int, dump_file: str) -> str:
    """The SPPARKS input deck of one seed of a dataset, as text.

    ``dump_file`` is the text dump SPPARKS writes the final state to (a bare file name:
    SPPARKS runs in a scratch directory). Seeds must be positive: SPPARKS rejects 0.
    """
    if int(seed) < 1:
        raise ValueError(f"seed {seed}: SPPARKS needs a positive seed")
    if any(c.isspace() for c in dump_file):
        raise ValueError(f"dump file {dump_file!r}: SPPARKS file names cannot contain spaces")
    template = (TEMPLATES / TEMPLATE_OF[dataset["generator"]]).read_text()
    return template.format(seed=int(seed), dump=dump_file, **deck_values(dataset))
