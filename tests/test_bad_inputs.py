"""Bad input at every entry point: each gives a clear error that names the argument,
file, field or seed at fault, and leaves no half-written output behind.

Self-contained: every fixture (fake SPPARKS executables, images, sqlite databases,
shards, model files) is made here in ``tmp_path``.
"""

from __future__ import annotations

import json
import pickle
import re
import sqlite3
import stat
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from msdl.io import sha256_file
from msdl.localization.elastic import ElasticSetup, solve
from msdl.potts.dump import DumpError, parse_dump
from msdl.potts.spparks import SpparksCommand, SpparksError, run_spparks
from msdl.progress import get_logger
from msdl.shards import Shard, ShardError, ShardFormatError, load_shard, load_split, write_shard
from msdl.training.autoencoder import load_model
from msdl.training.common import ModelFileError, load_checkpoint
from msdl.training.gan import load_gan_samples
from msdl.uhcsdb import curation
from msdl.uhcsdb.frames import UnreadableImage, read_frame
from msdl.uhcsdb.metadata import MetadataError, read_metadata

MSDL = Path(__file__).resolve().parent.parent / "msdl"


def leftovers(folder: Path) -> list[str]:
    """Names of everything under ``folder`` (temp files included)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# ---------------------------------------------------------------------------------------
# 1. Elastic solver
# ---------------------------------------------------------------------------------------

TWO_PHASE = np.zeros((4, 4, 4), dtype=np.int64)
TWO_PHASE[:2] = 1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"macro_strain": (float("nan"), 0, 0, 0, 0, 0)}, r"macro_strain\[0\] = nan: must be finite"),
        ({"macro_strain": (0.001, 0, 0, float("inf"), 0, 0)}, r"macro_strain\[3\] = inf: must be finite"),
        ({"macro_strain": (0.001, 0, 0)}, r"macro_strain .*needs 6 Voigt components"),
        ({"young": (1.0, float("inf"))}, r"young\[1\] = inf: must be finite"),
        ({"young": (1.0, float("nan"))}, r"young\[1\] = nan: must be finite"),
        ({"young": (1.0, 0.0)}, r"young\[1\] = 0.0: Young's modulus must be positive"),
        ({"young": (1.0, -5.0)}, r"young\[1\] = -5.0: Young's modulus must be positive"),
        ({"young": 50.0, "poisson": 0.3}, r"young 50.0: must be a tuple of numbers"),
        ({"young": (1.0, "50")}, r"young\[1\] = '50': must be a real number"),
        ({"poisson": (0.3, 0.5)}, r"poisson\[1\] = 0.5: Poisson's ratio must lie in \(-1, 0.5\)"),
        ({"poisson": (-1.0, 0.3)}, r"poisson\[0\] = -1.0: Poisson's ratio must lie in \(-1, 0.5\)"),
        ({"poisson": (0.3, float("nan"))}, r"poisson\[1\] = nan: must be finite"),
        ({"young": (1.0,), "poisson": (0.3, 0.3)}, r"young \(1.0,\) and poisson \(0.3, 0.3\) must list one value"),
        ({"rtol": 0.0}, r"rtol 0.0 must be a number in \(0, 1\)"),
        ({"rtol": float("nan")}, r"rtol nan must be a number in \(0, 1\)"),
        ({"rtol": 1.5}, r"rtol 1.5 must be a number in \(0, 1\)"),
        ({"max_iter": 0}, r"max_iter 0 must be an integer >= 1"),
        ({"max_iter": 10.5}, r"max_iter 10.5 must be an integer >= 1"),
        ({"discretization": "quadratic"}, r"discretization 'quadratic'"),
    ],
)
def test_elastic_setup_names_the_bad_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ElasticSetup(**kwargs)


def test_elastic_solve_names_bad_microstructures():
    with pytest.raises(ValueError, match=r"microstructures: empty \(shape \(0, 4, 4, 4\)\)"):
        solve(np.zeros((0, 4, 4, 4), dtype=np.int64))
    with pytest.raises(ValueError, match=r"microstructures: empty \(shape \(1, 4, 0, 4\)\)"):
        solve(np.zeros((4, 0, 4), dtype=np.int64))
    with pytest.raises(ValueError, match=r"microstructures: expected \(N0, N1, N2\) or \(B, N0, N1, N2\).*\(4, 4\)"):
        solve(np.zeros((4, 4), dtype=np.int64))
    with pytest.raises(ValueError, match=r"microstructures: dtype <U1 is not a numeric array"):
        solve(np.full((2, 2, 2), "a"))
    with_inf = np.stack([TWO_PHASE, TWO_PHASE]).astype(np.float64)
    with_inf[1, 0, 0, 0] = np.inf  # used to reach the solver as label -9.2e18
    with pytest.raises(ValueError, match=r"microstructures: SVEs \[1\] hold 1 non-finite values \(inf/nan\)"):
        solve(with_inf)
    with_nan = TWO_PHASE.astype(np.float32)
    with_nan[0, 1, 2] = np.nan
    with pytest.raises(ValueError, match=r"microstructures: SVEs \[0\] hold 1 non-finite values"):
        solve(torch.from_numpy(with_nan))
    with pytest.raises(ValueError, match="phase labels must be integers"):
        solve(TWO_PHASE + 0.5)
    with pytest.raises(ValueError, match=r"labels in \[-1, 1\] but only 2 phases have moduli"):
        solve(TWO_PHASE - (TWO_PHASE == 0))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_elastic_solve_refuses_a_non_finite_result():
    # moduli this large overflow double precision: the iterates turn NaN, which the
    # convergence test used to read as "converged"
    with pytest.raises(RuntimeError, match=r"elastic solve: SVEs \[0\] of the batch have non-finite strain or stress"):
        solve(TWO_PHASE, ElasticSetup(young=(1e300, 1e308)))


def test_elastic_solve_still_solves_good_input():
    result = solve(TWO_PHASE, ElasticSetup(rtol=1e-8))
    assert np.isfinite(result.strain.numpy()).all() and result.residual[0] <= 1e-8


# ---------------------------------------------------------------------------------------
# 2. SPPARKS engine with misbehaving fake executables
# ---------------------------------------------------------------------------------------

GG = {"generator": "potts_grain_growth", "sites": [4, 3], "time": 1.0, "q": 8, "kT": 0.5}
SPINS = np.arange(1, 13, dtype=np.int64).reshape(3, 4)  # [y, x]


def dump_text(spins: np.ndarray = SPINS, sites: int | None = None) -> str:
    ny, nx = spins.shape
    lines = [
        "ITEM: TIMESTEP",
        "0 1.0",
        "ITEM: NUMBER OF ATOMS",
        str(sites if sites is not None else nx * ny),
        "ITEM: BOX BOUNDS",
        f"0 {nx}",
        f"0 {ny}",
        "-0.5 0.5",
        "ITEM: ATOMS id site x y",
    ]
    lines += [f"{y * nx + x + 1} {spins[y, x]} {x} {y}" for y in range(ny) for x in range(nx)]
    return "\n".join(lines) + "\n"


def fake_spparks(tmp_path: Path, body: str, name: str = "spk_fake") -> str:
    """A misbehaving stand-in for SPPARKS (a shell script; args: -in DECK -log LOG)."""
    exe = tmp_path / "bin" / name
    exe.parent.mkdir(exist_ok=True)
    exe.write_text("#!/bin/sh\n" + body)
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return str(exe)


@pytest.fixture
def scratch(tmp_path):
    folder = tmp_path / "scratch"
    folder.mkdir()
    return folder


def test_spparks_good_fake_run_gives_the_spins(tmp_path, scratch):
    (tmp_path / "good.dump").write_text(dump_text())
    exe = fake_spparks(tmp_path, f'echo "Loop time of 0.1" > "$4"\ncp {tmp_path / "good.dump"} final.dump\n')
    np.testing.assert_array_equal(run_spparks(GG, 10, SpparksCommand(exe), scratch, timeout_s=30), SPINS)
    assert leftovers(scratch) == []


def test_spparks_crash_names_seed_deck_and_log(tmp_path, scratch):
    exe = fake_spparks(tmp_path, 'echo "ERROR: Illegal app_style command" > "$4"\nexit 3\n')
    with pytest.raises(
        SpparksError,
        match=r"(?s)seed 11: SPPARKS \(.*spk_fake -in in.deck -log log.spparks\) exited with status 3 on deck in.deck; "
        r"tail of log.spparks and its output:\nERROR: Illegal app_style command",
    ):
        run_spparks(GG, 11, SpparksCommand(exe), scratch)
    assert leftovers(scratch) == []


def test_spparks_killed_by_a_signal_names_the_signal(tmp_path, scratch):
    exe = fake_spparks(tmp_path, 'echo "Setting up run" > "$4"\nkill -9 $$\n')
    with pytest.raises(SpparksError, match=r"(?s)seed 12: .* was killed by signal SIGKILL on deck in.deck.*Setting up"):
        run_spparks(GG, 12, SpparksCommand(exe), scratch)
    assert leftovers(scratch) == []


def test_spparks_garbage_output_names_seed_and_dump(tmp_path, scratch):
    # binary junk on stdout/stderr (not UTF-8) and a dump that is not a dump, exit 0
    exe = fake_spparks(
        tmp_path, "printf '\\377\\376garbage\\200\\n'\nprintf 'junk\\377' >&2\necho hello > final.dump\n"
    )
    with pytest.raises(
        SpparksError,
        match=r"(?s)seed 13: bad SPPARKS output: .*final.dump: no 'ITEM: TIMESTEP' header.*\(deck in.deck\); "
        r"tail of log.spparks and its output:\n.*garbage",
    ):
        run_spparks(GG, 13, SpparksCommand(exe), scratch)
    binary = fake_spparks(tmp_path, "printf '\\377\\376\\375' > final.dump\n", "spk_binary")
    with pytest.raises(SpparksError, match=r"seed 14: bad SPPARKS output: .*final.dump: cannot read dump"):
        run_spparks(GG, 14, SpparksCommand(binary), scratch)
    assert leftovers(scratch) == []


def test_spparks_half_a_dump_names_seed_and_dump(tmp_path, scratch):
    (tmp_path / "half.dump").write_text("\n".join(dump_text().splitlines()[:14]))
    exe = fake_spparks(tmp_path, f'echo "Loop time of 0.1" > "$4"\ncp {tmp_path / "half.dump"} final.dump\n')
    with pytest.raises(
        SpparksError,
        match=r"(?s)seed 15: bad SPPARKS output: .*final.dump: truncated dump, 5 of 12 site lines.*Loop time of 0.1",
    ):
        run_spparks(GG, 15, SpparksCommand(exe), scratch)
    assert leftovers(scratch) == []


def test_spparks_no_dump_names_seed_and_dump(tmp_path, scratch):
    exe = fake_spparks(tmp_path, 'echo "run done" > "$4"\n')
    with pytest.raises(SpparksError, match=r"seed 16: bad SPPARKS output: .*final.dump: dump file is missing"):
        run_spparks(GG, 16, SpparksCommand(exe), scratch)
    assert leftovers(scratch) == []


def test_spparks_hang_is_killed_at_the_timeout_with_its_children(tmp_path, scratch):
    pid_file = tmp_path / "child.pid"
    # the wrapper starts a child that would outlive it (as mpirun starts ranks)
    exe = fake_spparks(tmp_path, f'echo "Setting up" > "$4"\nsleep 60 &\necho $! > {pid_file}\nwait\n')
    start = time.monotonic()
    with pytest.raises(
        SpparksError, match=r"(?s)seed 17: SPPARKS ran past the 1 s timeout on deck in.deck and was killed.*Setting up"
    ):
        run_spparks(GG, 17, SpparksCommand(exe), scratch, timeout_s=1)
    assert time.monotonic() - start < 20
    child = int(pid_file.read_text())
    for _ in range(100):  # the orphaned child is reaped by init shortly after its SIGKILL
        stat_file = Path(f"/proc/{child}/stat")
        if not stat_file.exists() or stat_file.read_text().split(")")[-1].split()[0] == "Z":
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"child {child} of the timed-out SPPARKS is still running")
    assert leftovers(scratch) == []
    # the configured per-seed limit applies when it is the shorter one
    with pytest.raises(SpparksError, match=r"seed 18: SPPARKS ran past the 1 s timeout"):
        run_spparks(GG, 18, SpparksCommand(exe, timeout_s=1), scratch, timeout_s=None)
    assert leftovers(scratch) == []


def test_spparks_bad_timeout_is_named(tmp_path, scratch):
    with pytest.raises(ValueError, match=r"^timeout_s 0: must be a positive number of seconds, or None"):
        run_spparks(GG, 19, SpparksCommand("sh"), scratch, timeout_s=0)
    with pytest.raises(ValueError, match=r"spparks.timeout_s -1: must be a positive number"):
        SpparksCommand("sh", timeout_s=-1)
    with pytest.raises(ValueError, match=r"spparks.mpi_ranks 0: must be an integer >= 1"):
        SpparksCommand("sh", mpi_ranks=0)
    assert leftovers(scratch) == []


def test_dump_with_nonsense_numbers_is_named():
    text = dump_text().replace("\n5 5 0 1\n", "\n5 nan 0 1\n")
    with pytest.raises(DumpError, match=r"^bad.dump: site lines hold non-finite values"):
        parse_dump(text, "bad.dump")
    with pytest.raises(DumpError, match=r"^zero.dump: NUMBER OF ATOMS is 0"):
        parse_dump(dump_text(sites=0), "zero.dump")
    with pytest.raises(DumpError, match=r"^box.dump: box bounds .* are not finite"):
        parse_dump(dump_text().replace("\n0 4\n", "\n0 inf\n"), "box.dump")


# ---------------------------------------------------------------------------------------
# 3. UHCSDB frames and metadata
# ---------------------------------------------------------------------------------------


def test_unreadable_frames_name_the_file(tmp_path):
    text = tmp_path / "text.png"
    text.write_text("not an image at all")
    empty = tmp_path / "empty.tif"
    empty.write_bytes(b"")
    cut = tmp_path / "cut.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)).save(cut)
    cut.write_bytes(cut.read_bytes()[:300])
    for path in (text, empty, cut):
        with pytest.raises(UnreadableImage, match=rf"^{re.escape(str(path))}: unreadable image \(") as info:
            read_frame(path)
        assert info.value.reason.startswith("unreadable image (")


def test_decompression_bomb_names_the_file(tmp_path, monkeypatch):
    big, warned = tmp_path / "bomb.png", tmp_path / "large.png"
    Image.fromarray(np.zeros((100, 100), dtype=np.uint8)).save(big)  # 10,000 pixels
    Image.fromarray(np.zeros((40, 40), dtype=np.uint8)).save(warned)  # 1,600: PIL's warning zone
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(
        UnreadableImage, match=rf"^{re.escape(str(big))}: unreadable image \(too large to decode safely"
    ):
        read_frame(big)
    with pytest.raises(UnreadableImage, match=rf"^{re.escape(str(warned))}: unreadable image \(too large to decode"):
        read_frame(warned)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)
    assert read_frame(big).shape == (100, 100)


def test_curation_drops_and_logs_unreadable_micrographs(tmp_path, monkeypatch):
    frames, out = tmp_path / "frames", tmp_path / "rescaled"
    frames.mkdir()
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (60, 80), dtype=np.uint8)).save(frames / "good.png")
    (frames / "empty.tif").write_bytes(b"")
    Image.fromarray(np.zeros((100, 100), dtype=np.uint8)).save(frames / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5000)  # good.png has 4800 pixels
    selection = [
        {"path": name, "status": "selected", "magnification": "1000"} for name in ("good.png", "empty.tif", "bomb.png")
    ]
    log = tmp_path / "curation.log"
    rows = curation.rescale_micrographs(selection, frames, out, 1000, get_logger("bad-inputs-curation", str(log)))
    fate = {r["path"]: (r["status"], r.get("reason", "")) for r in rows}
    assert fate["good.png"] == ("rescaled", "")
    assert fate["empty.tif"][0] == "dropped" and fate["empty.tif"][1].startswith("unreadable image (")
    assert fate["bomb.png"][0] == "dropped" and "too large to decode safely" in fate["bomb.png"][1]
    text = log.read_text()
    assert f"dropped empty.tif: {frames / 'empty.tif'}: unreadable image (" in text
    assert f"dropped bomb.png: {frames / 'bomb.png'}: unreadable image (too large to decode safely" in text
    assert leftovers(out) == ["good.png"]  # nothing of the dropped ones, no temp file


SAMPLE_SQL = (
    "CREATE TABLE sample (sample_id INTEGER PRIMARY KEY, label VARCHAR, anneal_time FLOAT, "
    "anneal_time_unit VARCHAR, anneal_temperature FLOAT, anneal_temp_unit VARCHAR, cool_method VARCHAR)"
)
MICROGRAPH_SQL = (
    "CREATE TABLE micrograph (micrograph_id INTEGER {pk}, path VARCHAR, micron_bar FLOAT, micron_bar_units VARCHAR, "
    "micron_bar_px INTEGER, magnification INTEGER, detector VARCHAR, sample_key INTEGER, "
    "primary_microconstituent VARCHAR)"
)
GOOD_ROW = {
    "micrograph_id": 1, "path": "micrograph1.tif", "micron_bar": 10.0, "micron_bar_units": "um",
    "micron_bar_px": 196, "magnification": "1964X", "detector": "SE", "sample_key": 1,
    "primary_microconstituent": "spheroidite",
}  # fmt: skip


def make_db(path: Path, rows: list[dict], tables=("sample", "micrograph"), pk: str = "PRIMARY KEY") -> Path:
    con = sqlite3.connect(path)
    if "sample" in tables:
        con.execute(SAMPLE_SQL)
        con.execute("INSERT INTO sample VALUES (1, 'sample 1', 90, 'M', 800, 'C', 'Q')")
    if "micrograph" in tables:
        con.execute(MICROGRAPH_SQL.format(pk=pk))
        for row in rows:
            con.execute(
                f"INSERT INTO micrograph ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
            )
    con.commit()
    con.close()
    return path


def test_good_sqlite_metadata_reads(tmp_path):
    rows = read_metadata(make_db(tmp_path / "ok.sqlite", [GOOD_ROW, GOOD_ROW | {"micrograph_id": 2, "path": "b.tif"}]))
    assert [r.path for r in rows] == ["micrograph1.tif", "b.tif"] and rows[0].sample_label == "sample 1"


def test_sqlite_missing_tables_or_rows_name_file_and_table(tmp_path):
    db = make_db(tmp_path / "no_micrograph.sqlite", [], tables=("sample",))
    with pytest.raises(
        MetadataError, match=r"no_micrograph.sqlite: cannot read the UHCSDB tables .*no such table: micrograph"
    ):
        read_metadata(db)
    db = make_db(tmp_path / "no_sample.sqlite", [GOOD_ROW], tables=("micrograph",))
    with pytest.raises(MetadataError, match=r"no_sample.sqlite: cannot read the UHCSDB tables .*no such table: sample"):
        read_metadata(db)
    db = make_db(tmp_path / "empty_table.sqlite", [])
    with pytest.raises(MetadataError, match=r"empty_table.sqlite: table micrograph has no rows"):
        read_metadata(db)
    corrupt = tmp_path / "corrupt.sqlite"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    with pytest.raises(MetadataError, match=r"corrupt.sqlite: cannot read the UHCSDB tables"):
        read_metadata(corrupt)


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"path": None},
            r"table micrograph, micrograph_id 2, sample_id 1: field path is NULL, expected non-empty text",
        ),
        ({"path": ""}, r"table micrograph, micrograph_id 2, sample_id 1: field path is NULL"),
        (
            {"micron_bar": "ten"},
            r"table micrograph, micrograph_id 2, sample_id 1: field micron_bar is 'ten' \(str\), expected a number",
        ),
        (
            {"micron_bar_units": b"um"},  # a BLOB (a number in a text column reads back as text)
            r"table micrograph, micrograph_id 2, sample_id 1: field micron_bar_units is b'um' \(bytes\), expected text",
        ),
        ({"sample_key": "one"}, r"table micrograph, micrograph_id 2, .*field sample_key is 'one' \(str\)"),
        (
            {"magnification": b"\x00"},
            r"table micrograph, micrograph_id 2, sample_id 1: field magnification is b'\\x00' \(bytes\)",
        ),
    ],
)
def test_sqlite_bad_fields_name_file_table_row_and_field(tmp_path, change, message):
    db = make_db(tmp_path / "bad.sqlite", [GOOD_ROW, GOOD_ROW | {"micrograph_id": 2, "path": "b.tif"} | change])
    with pytest.raises(MetadataError, match=rf"^{re.escape(str(db))}: {message}"):
        read_metadata(db)


def test_sqlite_null_id_and_accepted_nulls(tmp_path):
    db = make_db(tmp_path / "noid.sqlite", [GOOD_ROW | {"micrograph_id": None}], pk="")
    with pytest.raises(
        MetadataError, match=r"noid.sqlite: table micrograph, row 1 \(by micrograph_id\): field micrograph_id is NULL"
    ):
        read_metadata(db)
    # NULLs that curation handles row by row (reason logged) are read as None
    nulls = {"magnification": None, "primary_microconstituent": None, "micron_bar": None, "sample_key": None}
    (row,) = read_metadata(make_db(tmp_path / "nulls.sqlite", [GOOD_ROW | nulls]))
    assert (row.magnification_text, row.primary_microconstituent, row.micron_bar, row.sample_key) == (None,) * 4


def test_curation_logs_rows_with_null_fields(tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir()
    rows = [
        GOOD_ROW | {"micrograph_id": 1, "path": "a.png", "magnification": None, "micron_bar": None},
        GOOD_ROW | {"micrograph_id": 2, "path": "b.png", "sample_key": None},
        GOOD_ROW | {"micrograph_id": 3, "path": "c.png"},
    ]
    for r in rows:
        Image.fromarray(np.full((40, 40), 128, dtype=np.uint8)).save(frames / r["path"])
    db = make_db(tmp_path / "m.sqlite", rows)
    settings = {
        "select": {"primary_microconstituent": ["spheroidite"]}, "missing_magnification": "recover",
        "scale_bar_constant": 190.5, "exclude": {}, "target_magnification": None, "test_fraction": 0.0, "seed": 0,
    }  # fmt: skip
    log = tmp_path / "select.log"
    out, _ = curation.select_micrographs(db, frames, settings, get_logger("bad-inputs-select", str(log)))
    assert [r["status"] for r in out] == ["dropped", "dropped", "selected"]
    text = log.read_text()
    assert "dropped a.png: magnification missing and the scale bar is incomplete: cannot recover" in text
    assert "dropped b.png: no sample_key: cannot be split by sample" in text


def test_csv_metadata_empty_path_is_named(tmp_path):
    csv = tmp_path / "meta.csv"
    csv.write_text("path,magnification,primary_microconstituent\na.tif,1964X,spheroidite\n,982X,spheroidite\n")
    with pytest.raises(MetadataError, match=r"meta.csv, line 3: column 'path' is empty or NULL"):
        read_metadata(csv)


# ---------------------------------------------------------------------------------------
# 4. Corrupt shards
# ---------------------------------------------------------------------------------------


def good_shard(folder: Path, index: int = 0, first: int = 0, n: int = 3) -> tuple[Path, Path]:
    npy, js = folder / f"shard-{index:04d}.npy", folder / f"shard-{index:04d}.json"
    write_shard(
        npy, js, np.arange(n * 4 * 5, dtype=np.float32).reshape(n, 4, 5), Shard("train", index, first, first + n)
    )
    return npy, js


def test_truncated_or_bit_flipped_shards_fail_their_checksum(tmp_path):
    npy, js = good_shard(tmp_path)
    good = npy.read_bytes()
    npy.write_bytes(good[: len(good) // 2])
    with pytest.raises(ShardError, match=rf"^{re.escape(str(npy))}: bad shard, SHA-256 .* in {re.escape(str(js))}"):
        load_shard(npy)
    flipped = bytearray(good)
    flipped[-7] ^= 0x10  # one bit of the data, the header stays valid
    npy.write_bytes(bytes(flipped))
    with pytest.raises(ShardError, match=rf"^{re.escape(str(npy))}: bad shard, SHA-256"):
        load_shard(npy)
    with pytest.raises(ShardError, match=rf"^{re.escape(str(npy))}: bad shard, SHA-256"):
        load_split([npy])
    npy.write_bytes(good)
    assert load_shard(npy)[0].shape == (3, 4, 5)


def test_object_array_shard_is_never_unpickled(tmp_path):
    npy, js = good_shard(tmp_path)
    marker = tmp_path / "unpickled"

    class Trap:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    np.save(npy, np.array([Trap()], dtype=object), allow_pickle=True)
    manifest = json.loads(js.read_text()) | {"sha256": sha256_file(npy), "shape": [1], "dtype": "object"}
    js.write_text(json.dumps(manifest))  # even with a matching checksum
    with pytest.raises(
        ShardFormatError, match=rf"^{re.escape(str(npy))}: not a plain .npy array, refused .*allow_pickle"
    ):
        load_shard(npy)
    assert not marker.exists()
    assert issubclass(ShardFormatError, ValueError) and issubclass(ShardFormatError, ShardError)
    npy.write_bytes(b"\x93NUMPY\x01\x00garbage header")
    js.write_text(json.dumps(manifest | {"sha256": sha256_file(npy)}))
    with pytest.raises(ShardFormatError, match=rf"^{re.escape(str(npy))}: not a plain .npy array"):
        load_shard(npy)


@pytest.mark.parametrize(
    "manifest, message",
    [
        (None, r"shard manifest is missing \(shard incomplete\?\)"),
        (b'{"sha256": "ab', r"shard manifest is not valid JSON"),
        (b"\xff\xfe\x00", r"shard manifest is not UTF-8 text"),
        (b"[1, 2]", r"shard manifest is a JSON list, not an object"),
        ({"sha256": None}, r"shard manifest field 'sha256' is None, expected a 64-digit hex string"),
        ({"sha256": "abc"}, r"shard manifest field 'sha256' is 'abc', expected a 64-digit hex string"),
        ({"sha256": "DROP"}, r"shard manifest has no field 'sha256' \(not written by msdl\?\)"),
        ({"shape": "3x4x5"}, r"shard manifest field 'shape' is '3x4x5', expected a list of integers"),
        ({"dtype": "DROP"}, r"shard manifest has no field 'dtype'"),
    ],
)
def test_missing_or_malformed_manifest_is_named(tmp_path, manifest, message):
    npy, js = good_shard(tmp_path)
    if manifest is None:
        js.unlink()
    elif isinstance(manifest, bytes):
        js.write_bytes(manifest)
    else:
        good = json.loads(js.read_text())
        for key, value in manifest.items():
            good.pop(key) if value == "DROP" else good.__setitem__(key, value)
        js.write_text(json.dumps(good))
    with pytest.raises(ShardError, match=rf"^{re.escape(str(js))}: {message}"):
        load_shard(npy)
    with pytest.raises(ShardError, match=rf"^{re.escape(str(js))}: {message}"):
        load_split([npy])


def test_load_split_names_bad_seed_ranges(tmp_path):
    a, _ = good_shard(tmp_path, 0, first=0)
    b, jb = good_shard(tmp_path, 1, first=3)
    manifest = json.loads(jb.read_text())
    jb.write_text(json.dumps(manifest | {"seeds": {"first": 5}}))
    with pytest.raises(ShardError, match=rf"^{re.escape(str(jb))}: shard manifest field 'seeds' is \{{'first': 5\}}"):
        load_split([a, b])
    jb.write_text(json.dumps(manifest | {"seeds": {"first": 2, "stop": 5}}))
    with pytest.raises(ShardError, match=rf"^{re.escape(str(b))}: its seeds .* overlap those of {re.escape(str(a))}"):
        load_split([a, b])
    jb.write_text(json.dumps(manifest))
    assert load_split([b, a])[1].tolist() == list(range(6))


# ---------------------------------------------------------------------------------------
# 5. Model files and checkpoints
# ---------------------------------------------------------------------------------------


class Foreign:
    """A class of ours that a model file must not carry."""

    def __init__(self):
        self.weights = torch.ones(2)


def foreign_files(tmp_path: Path) -> dict[str, Path]:
    marker = tmp_path / "unpickled"

    class Trap:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    files = {
        name: tmp_path / f"{name}.pt" for name in ("torch_object", "plain_pickle", "trap", "truncated", "empty", "text")
    }
    torch.save({"model": Foreign()}, files["torch_object"])
    files["plain_pickle"].write_bytes(pickle.dumps({"config": "{}", "model": {}}))
    files["trap"].write_bytes(pickle.dumps(Trap()))
    torch.save({"config": "{}", "model": {"w": torch.ones(100)}}, files["truncated"])
    files["truncated"].write_bytes(files["truncated"].read_bytes()[:200])
    files["empty"].write_bytes(b"")
    files["text"].write_text("hello, not a model")
    return files


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_foreign_or_corrupt_model_files_are_refused_and_named(tmp_path):
    files = foreign_files(tmp_path)
    for name in ("torch_object", "plain_pickle", "trap"):
        for load in (load_model, load_gan_samples):
            with pytest.raises(
                ModelFileError, match=rf"^{re.escape(str(files[name]))}: not an msdl .*(model|GAN) file"
            ):
                load(files[name])
    with pytest.raises(
        ModelFileError, match=r"it holds Python objects other than tensors.*Unsupported global.*Foreign"
    ):
        load_model(files["torch_object"])
    with pytest.raises(
        ModelFileError, match=r"plain_pickle.pt: not an msdl model file: a plain pickle, not written by torch"
    ):
        load_model(files["plain_pickle"])
    assert not (tmp_path / "unpickled").exists()  # the trap's open() never ran
    for name in ("truncated", "empty", "text"):
        with pytest.raises(ModelFileError, match=rf"^{re.escape(str(files[name]))}: not a readable msdl model file \("):
            load_model(files[name])
    with pytest.raises(
        ModelFileError, match=r"truncated.pt: not a readable msdl model file \(truncated or corrupt\? RuntimeError"
    ):
        load_model(files["truncated"])


def test_model_file_without_msdl_content_is_named(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"weights": torch.ones(3)}, path)
    with pytest.raises(
        ModelFileError, match=r"weights.pt: not an msdl model file: no 'config', 'normalization', 'model', 'snapshots'"
    ):
        load_model(path)
    with pytest.raises(ModelFileError, match=r"weights.pt: not an msdl GAN file: no 'config', 'samples'"):
        load_gan_samples(path)
    torch.save([torch.ones(3)], path)
    with pytest.raises(ModelFileError, match=r"weights.pt: not an msdl model file: it holds a list, not a dict"):
        load_model(path)
    torch.save({"config": "{not json", "normalization": "{}", "model": {}, "snapshots": {}}, path)
    with pytest.raises(ModelFileError, match=r"weights.pt: not an msdl model file: bad config or normalization"):
        load_model(path)
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        load_model(tmp_path / "missing.pt")


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_foreign_or_corrupt_checkpoints_are_refused_and_named(tmp_path):
    files = foreign_files(tmp_path)
    with pytest.raises(
        ModelFileError, match=r"torch_object.pt: not an msdl checkpoint: .*; delete it to start afresh$"
    ):
        load_checkpoint(files["torch_object"], ("run_id",))
    with pytest.raises(
        ModelFileError, match=r"truncated.pt: not a readable msdl checkpoint .*; delete it to start afresh$"
    ):
        load_checkpoint(files["truncated"])
    path = tmp_path / "checkpoint.pt"
    torch.save({"epoch": 3}, path)
    with pytest.raises(ModelFileError, match=r"checkpoint.pt: not an msdl checkpoint: no 'run_id'"):
        load_checkpoint(path, ("run_id",))
    assert load_checkpoint(tmp_path / "none.pt") is None
    assert not (tmp_path / "unpickled").exists()


def test_every_load_in_msdl_refuses_pickles():
    """Every torch.load goes through load_torch_file (weights_only, map_location), every
    np.load passes allow_pickle=False."""
    torch_loads, np_loads = [], []
    for path in MSDL.rglob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#")[0]
            if "torch.load(" in code and "``" not in code:
                torch_loads.append(f"{path.relative_to(MSDL)}:{n}: {code.strip()}")
            if re.search(r"\bnp\.load\(", code) and "allow_pickle=False" not in code:
                np_loads.append(f"{path.relative_to(MSDL)}:{n}: {code.strip()}")
    assert len(torch_loads) == 1 and torch_loads[0].startswith("training/common.py:"), torch_loads
    assert 'map_location="cpu", weights_only=True' in torch_loads[0]
    assert np_loads == [], np_loads


def test_spparks_shard_job_stops_within_the_rules_runtime(tmp_path):
    """The potts_shard job hands SPPARKS what is left of the rule's runtime: a hang is
    killed and named (seed, deck) before the scheduler would kill the job, nothing written."""
    import yaml

    from msdl.potts.jobs import generate_potts_shard

    dataset = yaml.safe_load((Path(__file__).resolve().parent.parent / "config.yaml").read_text())["datasets"]
    dataset = {**dataset["kmc_grain_growth"], "engine": "spparks"}
    exe = fake_spparks(tmp_path, 'echo "Setting up" > "$4"\nsleep 60\n')
    out = tmp_path / "out"
    out.mkdir()
    job = dict(
        name="kmc_grain_growth",
        dataset=dataset,
        shard=Shard("train", 0, 21, 23),
        array_path=out / "shard-0000.npy",
        manifest_path=out / "shard-0000.json",
        spparks={"executable": exe},
        log=str(tmp_path / "potts.log"),
    )
    start = time.monotonic()
    with pytest.raises(SpparksError, match=r"seed 21: SPPARKS ran past the 1\.[89]\d* s timeout on deck in.deck"):
        generate_potts_shard(**job, time_limit_s=2)
    assert time.monotonic() - start < 20
    with pytest.raises(SpparksError, match=r"seed 21: no time left of the job's 0 s limit \(the rule's runtime\)"):
        generate_potts_shard(**job, time_limit_s=1e-9)
    assert sorted(p.name for p in out.iterdir()) == []
