"""SPPARKS decks, the text-dump parser (on real SPPARKS dumps) and the spparks engine.

Real SPPARKS cannot run in CI (it is not installed here), so the engine's error paths
are tested with small fake executables, shell scripts written by the tests, that crash,
write a truncated dump, or write a good one.
"""

import gzip
import re
import stat
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import DATA, ROOT, spparks_array

from msdl.potts.decks import render_deck
from msdl.potts.dump import DumpError, parse_dump, read_dump
from msdl.potts.spparks import SpparksCommand, SpparksError, run_spparks

REF = DATA / "spparks"
# the real grain-growth dump as SPPARKS wrote it (stored gzipped)
with gzip.open(REF / "dumps" / "gg_12345.final.dump.gz", "rt") as _fh:
    REAL_GG = _fh.read()
CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text())
DATASETS = CONFIG["datasets"]
# Output and diagnostics lines differ by design (we write one final text dump).
OUTPUT_COMMANDS = ("dump", "dump_modify", "dump_one", "diag_style", "stats")


def _token(word: str):
    try:
        return float(word)  # 0.50 and 0.5 are the same number to SPPARKS
    except ValueError:
        return word


def commands(deck: str) -> list[list]:
    """Non-comment, non-output command lines as token lists, numbers as floats."""
    out = []
    for line in deck.splitlines():
        words = line.split("#")[0].split()
        if words and words[0] not in OUTPUT_COMMANDS:
            out.append([_token(w) for w in words])
    return out


@pytest.mark.parametrize(
    "dataset, reference",
    [
        ("kmc_grain_growth", "in.grain_growth_seed12345"),
        ("kmc_additive", "in.potts_additive_offset60_seed12345"),
        ("kmc_weld", "in.potts_weld_seed12345"),
    ],
)
def test_decks_match_the_decks_that_ran_on_current_spparks(dataset, reference):
    deck = render_deck(DATASETS[dataset], 12345, "final.dump")
    assert commands(deck) == commands((REF / "decks" / reference).read_text())
    # current syntax only: none of the report's retired styles and commands
    code = "\n".join(line.split("#")[0] for line in deck.splitlines())
    assert not re.search(
        r"potts/neighborly|potts/additive|am_pass|am_transverse_pass|am_cartesian_layer|am_pattern", code
    )
    # the final state is written as a text dump that the parser reads
    spin = "i1" if dataset == "kmc_additive" else "site"
    assert f"dump             final text 1.0e9 final.dump id {spin} x y" in deck
    assert deck.rstrip().endswith("dump_one         final")


def test_seed_is_substituted_and_checked():
    a = render_deck(DATASETS["kmc_grain_growth"], 7, "final.dump")
    b = render_deck(DATASETS["kmc_grain_growth"], 8, "final.dump")
    assert re.search(r"^seed\s+7$", a, re.M) and re.search(r"^seed\s+8$", b, re.M)
    assert [l for l in a.splitlines() if not l.startswith("seed")] == [
        l for l in b.splitlines() if not l.startswith("seed")
    ]
    with pytest.raises(ValueError, match="seed 0"):
        render_deck(DATASETS["kmc_grain_growth"], 0, "final.dump")


@pytest.mark.parametrize(
    "dump, array, time",
    [
        ("gg_12345.final.dump.gz", "grain_growth_seed12345", 1500.0),
        ("am_12345.final.dump.gz", "potts_additive_offset60_seed12345", 110.0),
        ("weld_12345.final.dump.gz", "potts_weld_seed12345", 52.0),
    ],
)
def test_real_dumps_parse_to_the_reference_arrays(dump, array, time):
    snap = read_dump(REF / "dumps" / dump)
    expected = spparks_array(array)
    assert snap.time == time
    assert snap.spins.shape == expected.shape
    np.testing.assert_array_equal(snap.spins, expected)


def test_truncated_and_corrupt_dumps_are_named(tmp_path):
    lines = REAL_GG.splitlines()
    with pytest.raises(DumpError, match=r"cut\.dump: truncated dump, 16000 of 16384"):
        parse_dump("\n".join(lines[: 9 + 16000]), "cut.dump")
    dup = lines[:9] + [lines[9]] + lines[9:-1]  # site 1 twice, last site missing
    with pytest.raises(DumpError, match="1 duplicated site ids"):
        parse_dump("\n".join(dup), "dup.dump")
    with pytest.raises(DumpError, match="no 'ITEM: TIMESTEP'"):
        parse_dump("", "empty.dump")
    bad = tmp_path / "bad.dump.gz"
    bad.write_bytes(gzip.compress(REAL_GG.encode())[:5000])
    with pytest.raises(DumpError, match="bad.dump.gz"):
        read_dump(bad)
    with pytest.raises(DumpError, match="missing"):
        read_dump(tmp_path / "nope.dump")


def test_last_snapshot_of_a_multi_snapshot_dump_is_returned():
    first = REAL_GG.replace("0       1500", "0       1000", 1).replace("\n1 882 0 0", "\n1 7 0 0", 1)
    snap = parse_dump(first + REAL_GG, "two.dump")
    assert snap.time == 1500.0 and snap.spins[0, 0] == 882


def fake_spparks(tmp_path: Path, body: str) -> str:
    """A fake SPPARKS (shell script): real SPPARKS cannot run in CI."""
    exe = tmp_path / "bin" / "spk_fake"
    exe.parent.mkdir(exist_ok=True)
    exe.write_text("#!/bin/sh\n# args: -in DECK -log LOG\n" + body)
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return str(exe)


def test_good_run_parses_the_dump_and_keeps_nothing(tmp_path):
    src = tmp_path / "src.dump"
    src.write_text(REAL_GG)
    exe = fake_spparks(
        tmp_path, f'grep -q "^seed *12345$" "$2" || exit 3\necho "SPPARKS fake" > "$4"\ncp {src} final.dump\n'
    )
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    spins = run_spparks(DATASETS["kmc_grain_growth"], 12345, SpparksCommand(exe), scratch)
    np.testing.assert_array_equal(spins, spparks_array("grain_growth_seed12345"))
    assert list(scratch.iterdir()) == []


def test_crash_names_the_seed_with_the_log_tail(tmp_path):
    exe = fake_spparks(
        tmp_path, 'echo "Reading input" > "$4"\necho "ERROR: Illegal app_style command" >> "$4"\nexit 1\n'
    )
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with pytest.raises(SpparksError, match=r"(?s)seed 42: .*exited with status 1.*ERROR: Illegal app_style command"):
        run_spparks(DATASETS["kmc_grain_growth"], 42, SpparksCommand(exe), scratch)
    assert list(scratch.iterdir()) == []


def test_truncated_dump_names_the_seed(tmp_path):
    src = tmp_path / "src.dump"
    src.write_text("\n".join(REAL_GG.splitlines()[:5000]))
    exe = fake_spparks(tmp_path, f'echo "Loop time of 1.9" > "$4"\ncp {src} final.dump\n')
    with pytest.raises(SpparksError, match=r"(?s)seed 43: bad SPPARKS output: .*truncated dump.*Loop time of 1.9"):
        run_spparks(DATASETS["kmc_grain_growth"], 43, SpparksCommand(exe), tmp_path)


def test_wrong_shape_and_missing_dump_and_executable(tmp_path):
    src = tmp_path / "src.dump"
    src.write_text(REAL_GG)
    exe = fake_spparks(tmp_path, f"cp {src} final.dump\n")
    with pytest.raises(SpparksError, match="seed 44: SPPARKS dump has 128 x 128 sites, config sites are 100 x 100"):
        run_spparks(DATASETS["kmc_additive"], 44, SpparksCommand(exe), tmp_path)
    quiet = fake_spparks(tmp_path, "exit 0\n")
    with pytest.raises(SpparksError, match="seed 45: bad SPPARKS output: .*dump file is missing"):
        run_spparks(DATASETS["kmc_grain_growth"], 45, SpparksCommand(quiet), tmp_path)
    with pytest.raises(SpparksError, match="seed 46: SPPARKS executable 'spk_not_installed' not found"):
        run_spparks(DATASETS["kmc_grain_growth"], 46, SpparksCommand("spk_not_installed"), tmp_path)


def test_mpi_argument_list(tmp_path):
    mpirun = fake_spparks(tmp_path, "")
    cmd = SpparksCommand(executable=mpirun, mpi_ranks=4, mpirun=mpirun)
    argv = cmd.argv()
    assert argv[1:3] == ["-np", "4"] and argv[-4:] == ["-in", "in.deck", "-log", "log.spparks"]
    assert SpparksCommand(executable=mpirun).argv()[1:] == ["-in", "in.deck", "-log", "log.spparks"]
