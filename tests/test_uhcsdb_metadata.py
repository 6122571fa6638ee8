"""UHCSDB metadata on the real database (tests/data/uhcsdb/microstructures.sqlite):
the join, the selection counts it implies, magnification parsing of every distinct value,
recovery from the scale bar, and clear errors for metadata that cannot be read."""

import sqlite3
import statistics
from collections import Counter

import pytest
from helpers import DATA

from msdl.uhcsdb.metadata import (
    MagnificationFormatError,
    MetadataError,
    Selection,
    magnification_from_scale_bar,
    median_magnification,
    parse_magnification,
    read_metadata,
    scale_bar_constant,
    write_metadata_csv,
)
from msdl.uhcsdb.standins import EXCERPT

DB = DATA / "uhcsdb" / "microstructures.sqlite"
LABELLED = (
    "spheroidite",
    "network",
    "pearlite",
    "pearlite+spheroidite",
    "spheroidite+widmanstatten",
    "martensite",
    "pearlite+widmanstatten",
)


@pytest.fixture(scope="module")
def rows():
    return read_metadata(DB)


def test_join_reads_every_row_and_its_sample(rows):
    assert len(rows) == 1732
    with sqlite3.connect(f"file:{DB}?mode=ro", uri=True) as con:
        labels = dict(con.execute("SELECT sample_id, label FROM sample"))
    assert len(labels) == 47
    joined = [r for r in rows if r.sample_key is not None]
    assert joined and all(r.sample_label == labels[r.sample_key] for r in joined)
    assert rows[1].path == "micrograph2.tif" and rows[1].sample_label == "AC1 800C 85H WQ"


def test_selection_counts(rows):
    counts = Counter(r.primary_microconstituent for r in rows)
    assert {k: counts[k] for k in LABELLED} == {
        "spheroidite": 374, "network": 212, "pearlite": 124, "pearlite+spheroidite": 107,
        "spheroidite+widmanstatten": 81, "martensite": 36, "pearlite+widmanstatten": 27,
    }  # fmt: skip
    labelled = [r for r in rows if Selection(LABELLED).reason_out(r) is None]
    assert len(labelled) == 961
    assert len({r.sample_key for r in labelled if r.sample_key is not None}) == 43
    assert sum(r.sample_key is None for r in labelled) == 158

    spheroidite = [r for r in rows if Selection().reason_out(r) is None]
    assert len(spheroidite) == 374
    at_1964 = [r for r in rows if Selection(magnification=(1964,)).reason_out(r) is None]
    assert len(at_1964) == 135 and len({r.sample_key for r in at_1964}) == 28
    missing = [r for r in spheroidite if r.magnification_text is None]
    assert len(missing) == 28 and "micrograph762.tif" in {r.path for r in missing}
    # 374 - 28 without magnification - the two the report names = the report's 344
    assert len(spheroidite) - len(missing) - 2 == 344
    magnifications = [parse_magnification(r.magnification_text) for r in spheroidite if r.magnification_text]
    assert median_magnification(magnifications) == 1964
    assert (min(magnifications), max(magnifications)) == (246, 19641)  # the report's range


def test_other_selections(rows):
    wq = Selection(cool_method=("WQ",))
    picked = [r for r in rows if wq.reason_out(r) is None]
    assert picked and all(r.cool_method == "WQ" and r.primary_microconstituent == "spheroidite" for r in picked)
    assert "cool_method" in wq.reason_out(
        next(r for r in rows if r.primary_microconstituent == "spheroidite" and r.cool_method == "Q")
    )
    only = Selection(sample_key=(18,))
    assert {r.path for r in rows if only.reason_out(r) is None} >= {"micrograph2.tif", "micrograph11.tif"}


def test_every_distinct_magnification_parses(rows):
    distinct = Counter(r.magnification_text for r in rows)
    assert len(distinct) == 62 and distinct[None] == 243
    assert {"1964X", "982x", "4910x", "4910X", "147307x", "147307X"} <= set(distinct)
    for text in distinct:
        if text is None:
            assert parse_magnification(text) is None
            continue
        value = parse_magnification(text)
        assert isinstance(value, int) and value == int(text.rstrip("xX")) and str(value) + text[-1] == text
    assert (
        parse_magnification(" 1964X ") == 1964 and parse_magnification(1964) == 1964 and parse_magnification("") is None
    )


@pytest.mark.parametrize("text", ["about 2000", "1964XX", "x1964", "20 kX", "0x", "-5x", "1.5kx"])
def test_unknown_magnification_formats_are_named(text):
    with pytest.raises(MagnificationFormatError, match="magnification"):
        parse_magnification(text)


def test_scale_bar_recovers_magnification(rows):
    constants = [c for c in (scale_bar_constant(r) for r in rows) if c is not None]
    assert len(constants) == 1487
    assert 188.0 < min(constants) and max(constants) < 194.0
    assert statistics.median(constants) == pytest.approx(190.5, abs=0.1)
    for r in rows:
        m, recovered = (parse_magnification(r.magnification_text), magnification_from_scale_bar(r))
        if m and recovered:
            assert recovered == pytest.approx(m, rel=0.02), r
    m762 = next(r for r in rows if r.path == "micrograph762.tif")
    assert magnification_from_scale_bar(m762) == pytest.approx(190.5 * 103 / 2.0)  # ~9811X: the 9820X bar


def test_csv_export_round_trip(rows, tmp_path):
    path = tmp_path / "uhcs-metadata.csv"
    write_metadata_csv(path, rows)
    assert read_metadata(path) == rows


def test_standin_excerpt_is_verbatim_real_rows(rows):
    by_id = {r.micrograph_id: r for r in rows}
    assert all(by_id[e.micrograph_id] == e for e in EXCERPT)


def test_unreadable_metadata_is_a_clear_error(tmp_path):
    with pytest.raises(MetadataError, match="missing.sqlite: cannot read"):
        read_metadata(tmp_path / "missing.sqlite")
    empty_db = tmp_path / "empty.sqlite"
    sqlite3.connect(empty_db).execute("CREATE TABLE other (x)").connection.commit()
    with pytest.raises(MetadataError, match="empty.sqlite: cannot read the UHCSDB tables"):
        read_metadata(empty_db)
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\xff\xfe\x00garbage\x00\x81")
    with pytest.raises(MetadataError, match="junk.csv"):
        read_metadata(junk)
    bad = tmp_path / "bad.csv"
    bad.write_text("path,magnification\nmicrograph1.tif,1964X\n")
    with pytest.raises(MetadataError, match=r"bad.csv: metadata CSV lacks column\(s\) \['primary_microconstituent'\]"):
        read_metadata(bad)
    dup = tmp_path / "dup.csv"
    dup.write_text("path,magnification,primary_microconstituent\na.tif,1964X,spheroidite\na.tif,982x,spheroidite\n")
    with pytest.raises(MetadataError, match="share path 'a.tif'"):
        read_metadata(dup)
