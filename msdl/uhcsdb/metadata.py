"""UHCSDB metadata: read the sqlite database (or its CSV export), join micrograph to
sample, parse magnification text, recover a missing one from the scale bar, select.

The database (``microstructures.sqlite``) has tables ``micrograph`` and ``sample``;
``micrograph.sample_key`` refers to ``sample.sample_id``. ``micrograph.magnification`` is
declared INTEGER but holds text such as ``"1964X"`` or ``"982x"`` (either case), or NULL.

The scale bar gives the magnification back: ``magnification * micron_bar / micron_bar_px``
is ~190.5 um*X/px over the whole database (188.2-192.5), i.e. 1964X is 0.0970 um/px.
"""

from __future__ import annotations

import csv
import re
import sqlite3
import statistics
from dataclasses import dataclass
from pathlib import Path

#: ``magnification * micron_bar[um] / micron_bar_px``, median over the database (um*X/px).
SCALE_BAR_CONSTANT = 190.5
_MICRONS_PER_UNIT = {"um": 1.0, "nm": 1e-3, "mm": 1e3}
_MAGNIFICATION = re.compile(r"^\s*(\d+)\s*[xX]?\s*$")


class MetadataError(ValueError):
    """The metadata file cannot be read, or lacks what curation needs; names the file."""


@dataclass(frozen=True)
class Micrograph:
    """One metadata row joined to its sample (``None`` where the database has NULL)."""

    micrograph_id: int
    path: str
    primary_microconstituent: str | None
    magnification_text: str | None
    micron_bar: float | None = None
    micron_bar_units: str | None = None
    micron_bar_px: int | None = None
    detector: str | None = None
    sample_key: int | None = None
    sample_label: str | None = None
    anneal_time: float | None = None
    anneal_time_unit: str | None = None
    anneal_temperature: float | None = None
    anneal_temp_unit: str | None = None
    cool_method: str | None = None


class MagnificationFormatError(ValueError):
    """Magnification text that is neither NULL nor ``<digits>X`` / ``<digits>x``."""


def parse_magnification(text) -> int | None:
    """``"1964X"`` / ``"982x"`` / ``"1964"`` / ``1964`` -> int; ``None``/empty -> ``None``.

    Raises :class:`MagnificationFormatError` for anything else (e.g. ``"about 2000"``).
    """
    if text is None:
        return None
    if isinstance(text, int) and not isinstance(text, bool):
        if text <= 0:
            raise MagnificationFormatError(f"magnification {text!r} is not positive")
        return text
    s = str(text).strip()
    if not s:
        return None
    m = _MAGNIFICATION.match(s)
    if not m or int(m.group(1)) == 0:
        raise MagnificationFormatError(f"unknown magnification format {text!r} (expected e.g. '1964X' or '982x')")
    return int(m.group(1))


def magnification_from_scale_bar(micrograph: Micrograph, constant: float = SCALE_BAR_CONSTANT) -> float | None:
    """``constant * micron_bar_px / micron_bar[um]``, or ``None`` if the bar is unknown."""
    factor = _MICRONS_PER_UNIT.get((micrograph.micron_bar_units or "").strip())
    if factor is None or not micrograph.micron_bar or not micrograph.micron_bar_px:
        return None
    return constant * micrograph.micron_bar_px / (micrograph.micron_bar * factor)


def scale_bar_constant(micrograph: Micrograph) -> float | None:
    """``magnification * micron_bar[um] / micron_bar_px`` of a row that has all three."""
    try:
        magnification = parse_magnification(micrograph.magnification_text)
    except MagnificationFormatError:
        return None
    recovered = magnification_from_scale_bar(micrograph, 1.0)
    return None if magnification is None or recovered is None else magnification / recovered


_SAMPLE_COLUMNS = ("label", "anneal_time", "anneal_time_unit", "anneal_temperature", "anneal_temp_unit", "cool_method")


def _from_sqlite(path: Path) -> list[Micrograph]:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = con.execute(
                "SELECT m.micrograph_id, m.path, m.primary_microconstituent, m.magnification, m.micron_bar, "
                "m.micron_bar_units, m.micron_bar_px, m.detector, m.sample_key, "
                "s.label, s.anneal_time, s.anneal_time_unit, s.anneal_temperature, s.anneal_temp_unit, s.cool_method "
                "FROM micrograph m LEFT JOIN sample s ON m.sample_key = s.sample_id ORDER BY m.micrograph_id"
            ).fetchall()
        finally:
            con.close()
    except sqlite3.Error as err:
        raise MetadataError(f"{path}: cannot read the UHCSDB tables micrograph/sample ({err})") from None
    if not rows:
        raise MetadataError(f"{path}: table micrograph has no rows")
    out = []
    for n, row in enumerate(rows, start=1):
        # empty text (two rows have micron_bar_units '') is read as NULL, as in the CSV
        values = tuple(None if v == "" else v for v in row)
        _check_sqlite_row(path, n, values)
        out.append(Micrograph(*values))
    return out


#: ``(table, column, kind)`` of each value of a micrograph row as :func:`_from_sqlite`
#: selects it: ``"id"`` an integer, never NULL; ``"text!"`` non-empty text; ``"int"`` /
#: ``"number"`` / ``"text"`` that type or NULL; ``"magnification"`` text or integer or NULL.
_SQLITE_KINDS = (
    ("micrograph", "micrograph_id", "id"), ("micrograph", "path", "text!"),
    ("micrograph", "primary_microconstituent", "text"), ("micrograph", "magnification", "magnification"),
    ("micrograph", "micron_bar", "number"), ("micrograph", "micron_bar_units", "text"),
    ("micrograph", "micron_bar_px", "number"), ("micrograph", "detector", "text"),
    ("micrograph", "sample_key", "int"), ("sample", "label", "text"), ("sample", "anneal_time", "number"),
    ("sample", "anneal_time_unit", "text"), ("sample", "anneal_temperature", "number"),
    ("sample", "anneal_temp_unit", "text"), ("sample", "cool_method", "text"),
)  # fmt: skip


def _check_sqlite_row(path: Path, n: int, values: tuple) -> None:
    """A :class:`MetadataError` naming the file, table, row and field of the first value
    of a micrograph row that curation could not use (NULL where a value is needed, a BLOB,
    a number where text is needed, text where a number is)."""
    integer = lambda v: isinstance(v, int) and not isinstance(v, bool)  # noqa: E731
    allowed = {
        "id": integer,
        "text!": lambda v: isinstance(v, str),
        "int": lambda v: v is None or integer(v),
        "number": lambda v: v is None or integer(v) or isinstance(v, float),
        "text": lambda v: v is None or isinstance(v, str),
        "magnification": lambda v: v is None or integer(v) or isinstance(v, str),
    }
    expected = {
        "id": "an integer", "text!": "non-empty text", "int": "an integer or NULL", "number": "a number or NULL",
        "text": "text or NULL", "magnification": "text such as '1964X', an integer, or NULL",
    }  # fmt: skip
    row_id = values[0] if integer(values[0]) else None
    where = f"micrograph_id {row_id}" if row_id is not None else f"row {n} (by micrograph_id)"
    if values[8] is not None and row_id is not None:
        where += f", sample_id {values[8]}"
    for (table, column, kind), value in zip(_SQLITE_KINDS, values):
        if not allowed[kind](value):
            got = "NULL" if value is None else f"{value!r} ({type(value).__name__})"
            raise MetadataError(f"{path}: table {table}, {where}: field {column} is {got}, expected {expected[kind]}")


def _cell(row: dict, key: str, kind=str):
    value = row.get(key)
    if value is None or str(value).strip() in ("", "NULL", "None", "nan"):
        return None
    try:
        return kind(float(value)) if kind is int else kind(value)
    except ValueError:
        raise MetadataError(f"column {key!r}: {value!r} is not a {kind.__name__}") from None


def _required(row: dict, key: str) -> str:
    value = _cell(row, key)
    if value is None:
        raise MetadataError(f"column {key!r} is empty or NULL")
    return value


def _from_csv(path: Path) -> list[Micrograph]:
    """A CSV with a header naming at least ``path``, ``magnification`` and
    ``primary_microconstituent``; the sqlite's other column names are read if present
    (``sample_key`` or ``sample_id``; ``label`` or ``sample_label``)."""
    try:
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise MetadataError(f"{path}: cannot read the metadata CSV ({err})") from None
    if not rows:
        raise MetadataError(f"{path}: metadata CSV has no rows")
    missing = {"path", "magnification", "primary_microconstituent"} - set(rows[0])
    if missing:
        raise MetadataError(f"{path}: metadata CSV lacks column(s) {sorted(missing)} (has {sorted(rows[0])})")
    out = []
    for i, row in enumerate(rows, start=2):
        try:
            out.append(
                Micrograph(
                    micrograph_id=_cell(row, "micrograph_id", int) or i - 1,
                    path=_required(row, "path"),
                    primary_microconstituent=_cell(row, "primary_microconstituent"),
                    magnification_text=_cell(row, "magnification"),
                    micron_bar=_cell(row, "micron_bar", float),
                    micron_bar_units=_cell(row, "micron_bar_units"),
                    micron_bar_px=_cell(row, "micron_bar_px", int),
                    detector=_cell(row, "detector"),
                    sample_key=_cell(row, "sample_key", int) if "sample_key" in row else _cell(row, "sample_id", int),
                    sample_label=_cell(row, "label") or _cell(row, "sample_label"),
                    anneal_time=_cell(row, "anneal_time", float),
                    anneal_time_unit=_cell(row, "anneal_time_unit"),
                    anneal_temperature=_cell(row, "anneal_temperature", float),
                    anneal_temp_unit=_cell(row, "anneal_temp_unit"),
                    cool_method=_cell(row, "cool_method"),
                )
            )
        except MetadataError as err:
            raise MetadataError(f"{path}, line {i}: {err}") from None
    return out


def read_metadata(path: str | Path) -> list[Micrograph]:
    """Every micrograph row of a UHCSDB sqlite database or CSV export, joined to its sample.

    The format is told by content (the SQLite header), not the file name. A file that is
    missing or unreadable, or lacks the needed tables/columns, raises :class:`MetadataError`
    naming it.
    """
    path = Path(path)
    try:
        head = path.read_bytes()[:16]
    except OSError as err:
        raise MetadataError(f"{path}: cannot read the UHCSDB metadata ({err.strerror})") from None
    rows = _from_sqlite(path) if head.startswith(b"SQLite format 3") else _from_csv(path)
    seen: dict[str, int] = {}
    for row in rows:
        if row.path in seen:
            raise MetadataError(f"{path}: micrographs {seen[row.path]} and {row.micrograph_id} share path {row.path!r}")
        seen[row.path] = row.micrograph_id
    return rows


def write_metadata_csv(path: str | Path, rows: list[Micrograph]) -> None:
    """Rows as a CSV that :func:`read_metadata` reads back (the sqlite's column names)."""
    from msdl.io import atomic_path

    columns = [
        "micrograph_id", "path", "micron_bar", "micron_bar_units", "micron_bar_px", "magnification", "detector",
        "sample_key", "primary_microconstituent", "label", "anneal_time", "anneal_time_unit",
        "anneal_temperature", "anneal_temp_unit", "cool_method",
    ]  # fmt: skip
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for r in rows:
            writer.writerow(
                [
                    r.micrograph_id,
                    r.path,
                    r.micron_bar,
                    r.micron_bar_units,
                    r.micron_bar_px,
                    r.magnification_text,
                    r.detector,
                    r.sample_key,
                    r.primary_microconstituent,
                    r.sample_label,
                    r.anneal_time,
                    r.anneal_time_unit,
                    r.anneal_temperature,
                    r.anneal_temp_unit,
                    r.cool_method,
                ]  # fmt: skip
            )


@dataclass(frozen=True)
class Selection:
    """Which rows to curate: primary microconstituents, and optionally magnifications,
    sample ids and cooling methods (``None`` = any)."""

    primary_microconstituent: tuple[str, ...] = ("spheroidite",)
    magnification: tuple[int, ...] | None = None
    sample_key: tuple[int, ...] | None = None
    cool_method: tuple[str, ...] | None = None

    @classmethod
    def from_config(cls, section: dict) -> "Selection":
        def opt(key):
            value = section.get(key)
            return None if value is None else tuple(value)

        return cls(
            tuple(section.get("primary_microconstituent", ["spheroidite"])),
            opt("magnification"),
            opt("sample_key"),
            opt("cool_method"),
        )

    def reason_out(self, row: Micrograph) -> str | None:
        """``None`` if the row is selected, else why not."""
        if row.primary_microconstituent not in self.primary_microconstituent:
            return f"primary_microconstituent {row.primary_microconstituent!r} not selected"
        if self.magnification is not None:
            try:
                magnification = parse_magnification(row.magnification_text)
            except MagnificationFormatError:
                magnification = None
            if magnification not in self.magnification:
                return f"magnification {row.magnification_text!r} not in the selected {list(self.magnification)}"
        if self.sample_key is not None and row.sample_key not in self.sample_key:
            return f"sample {row.sample_key} not selected"
        if self.cool_method is not None and row.cool_method not in self.cool_method:
            return f"cool_method {row.cool_method!r} not selected"
        return None


def median_magnification(magnifications: list[int]) -> int:
    """The median of the selection's magnifications, rounded to an integer (1964 for spheroidite)."""
    if not magnifications:
        raise ValueError("no micrograph with a magnification: cannot choose a target magnification")
    return int(round(statistics.median(magnifications)))


__all__ = [
    "SCALE_BAR_CONSTANT", "MagnificationFormatError", "MetadataError", "Micrograph", "Selection",
    "magnification_from_scale_bar", "median_magnification", "parse_magnification", "read_metadata",
    "scale_bar_constant", "write_metadata_csv",
]  # fmt: skip
