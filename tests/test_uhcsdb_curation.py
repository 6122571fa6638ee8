"""UHCSDB curation on stand-in frames (the real micrographs cannot be downloaded here):
bar crop, rescale factors, equation (2), patch checks, split by sample, and every kind of
bad input ending in the curation report with its reason."""

import dataclasses

import numpy as np
import pytest
from helpers import DATA
from PIL import Image

from msdl.progress import get_logger
from msdl.uhcsdb import curation
from msdl.uhcsdb.frames import crop_data_bar, detect_data_bar, read_frame, rescale, rescaled_size
from msdl.uhcsdb.metadata import write_metadata_csv
from msdl.uhcsdb.patches import PatchCheck, crop_count, random_crops, split_by_sample
from msdl.uhcsdb.standins import EXCERPT, data_bar, microstructure, standin_frame, write_standins

DB = DATA / "uhcsdb" / "microstructures.sqlite"
SETTINGS = {
    "select": {"primary_microconstituent": ["spheroidite"]},
    "missing_magnification": "drop",
    "scale_bar_constant": 190.5,
    "exclude": {"micrograph1173.tif": "report section 9.1: low quality and small size"},
    "target_magnification": None,
    "test_fraction": 0.25,
    "low_contrast_fraction": 0.05,
    "seed": 0,
}
LOG = get_logger("test-uhcsdb")


def test_standin_frames_look_like_uhcsdb_frames():
    frame = standin_frame(EXCERPT[0])
    assert frame.shape == (522, 645) and frame.dtype == np.uint8
    image, bar = frame[:484], frame[484:]
    assert (bar == 0).mean() > 0.7 and (bar == 255).any()  # black bar, white text and scale bar
    assert bar[18:21].max() == 255 and (bar[19] == 255).sum() >= EXCERPT[0].micron_bar_px
    dark = image < 120
    assert 0.05 < dark.mean() < 0.3  # dark carbides on a lighter matrix
    assert image[~dark].mean() > image[dark].mean() + 60
    # particles are drawn in micrometres: 4x the magnification, ~4x the particle diameter in pixels
    low, high = (microstructure((200, 200), 190.5 / m, seed=1) < 120 for m in (982.0, 3928.0))
    from scipy import ndimage

    sizes = [np.sqrt(np.bincount(ndimage.label(d)[0].ravel())[1:]).mean() for d in (low, high)]
    assert 2.5 < sizes[1] / sizes[0] < 5.5


def test_bar_crop_standard_and_detected_and_absent():
    frame = standin_frame(EXCERPT[0])
    image, bar = crop_data_bar(frame)
    assert image.shape == (484, 645) and bar.rows == 38 and "standard" in bar.note
    assert detect_data_bar(frame).rows == 38  # the detector agrees on the standard frame
    other = np.concatenate([microstructure((600, 800), 0.1, seed=2), data_bar(EXCERPT[0], 800, rows=50)])
    image, bar = crop_data_bar(other)
    assert image.shape == (600, 800) and bar.rows == 50 and "detected" in bar.note
    plain = microstructure((300, 400), 0.1, seed=3)
    image, bar = crop_data_bar(plain)
    assert image.shape == (300, 400) and bar.rows == 0 and bar.note.startswith("no data bar found")


def test_rescale_factors_and_antialiasing():
    assert rescaled_size((484, 645), 1964 / 982) == (968, 1290)
    assert rescaled_size((484, 645), 1964 / 4910) == (194, 258)
    assert rescaled_size((484, 645), 1964 / 19641) == (48, 64)  # micrograph1173: the report's smallest
    checker = ((np.indices((484, 645)).sum(axis=0) % 2) * 255).astype(np.uint8)
    small = rescale(checker, 0.4)
    assert small.shape == (194, 258)
    assert abs(float(small[2:-2, 2:-2].mean()) - 127.5) < 3 and small[2:-2, 2:-2].std() < 12  # no aliasing


def test_crop_counts_follow_equation_2():
    for (H, W), (h, w), expect in [
        ((484, 645), (48, 64), 152),
        ((484, 645), (64, 64), 114),
        ((968, 1290), (48, 64), 609),
        ((48, 64), (48, 64), 1),
    ]:
        assert crop_count(H, W, (h, w), 1.5) == expect == int(np.floor(H * W / (h * w) * 1.5))
    image = np.arange(60 * 80, dtype=np.uint32).reshape(60, 80)
    crops, corners = random_crops(image, (48, 64), 2000, seed=0, micrograph_id=5)
    assert crops.shape == (2000, 48, 64)
    assert (
        corners[:, 0].min() == 0 and corners[:, 0].max() == 12 and corners[:, 1].max() == 16
    )  # every position reachable
    assert all((c == image[y : y + 48, x : x + 64]).all() for c, (y, x) in zip(crops[:50], corners[:50]))
    again, _ = random_crops(image, (48, 64), 2000, seed=0, micrograph_id=5)
    other, _ = random_crops(image, (48, 64), 2000, seed=0, micrograph_id=6)
    assert (again == crops).all() and not (other == crops).all()


def test_patch_checks_count_reasons():
    check = PatchCheck((48, 64))
    good = microstructure((48, 64), 0.1, seed=4)
    flat = np.full((48, 64), 150, np.uint8)
    kept, reasons = check.filter(np.stack([good, flat, good]))
    assert len(kept) == 2 and reasons == {"low contrast": 1}
    assert check.reason(np.zeros((40, 64), np.uint8)) == "wrong size"


def test_split_by_sample_keeps_samples_whole():
    weights = {s: float(s % 5 + 1) for s in range(40)}
    split = split_by_sample(weights, 0.25, seed=1)
    test_weight = sum(w for s, w in weights.items() if split[s] == "test")
    assert set(split) == set(weights) and 0.25 <= test_weight / sum(weights.values()) < 0.25 + 5 / sum(weights.values())
    assert split == split_by_sample(weights, 0.25, seed=1) and split != split_by_sample(weights, 0.25, seed=2)
    assert set(split_by_sample({7: 3.0}, 0.25, 0).values()) == {"train"}
    assert set(split_by_sample({7: 3.0, 8: 1.0}, 0.9, 0).values()) == {"train", "test"}


@pytest.fixture
def bad_inputs(tmp_path):
    """Stand-ins for the excerpt plus every kind of bad input."""
    frames = tmp_path / "frames"
    rows = list(EXCERPT)
    rows[6] = dataclasses.replace(rows[6], magnification_text="about 1500X")  # micrograph29: unknown format
    extra = dataclasses.replace(EXCERPT[0], micrograph_id=5001, path="micrograph5001.png", sample_key=77)
    rows.append(extra)  # too small: a 40x40 image at 1964X
    write_standins(frames, [r for r in rows if r.path not in ("micrograph11.tif", "micrograph5001.png")])
    (frames / "micrograph2.tif").write_bytes(b"II*\x00 not really a tiff")  # unreadable
    Image.fromarray(microstructure((40, 40), 0.1, seed=5)).save(frames / "micrograph5001.png")
    Image.fromarray(standin_frame(EXCERPT[3])).save(frames / "micrograph99999.tif")  # a file with no row
    (frames / "notes.txt").write_text("not an image: ignored")
    write_metadata_csv(tmp_path / "metadata.csv", rows)  # micrograph11.tif: a row with no file
    return tmp_path


def run_curation(root, settings=SETTINGS):
    selection, summary = curation.select_micrographs(root / "metadata.csv", root / "frames", settings, LOG)
    rescaled = curation.rescale_micrographs(
        selection, root / "frames", root / "rescaled", summary["target_magnification"], LOG
    )
    patches = {}
    for name, size in (("p48x64", [48, 64]), ("p64x64", [64, 64])):
        _, patches[name] = curation.cut_patches(
            selection, rescaled, root / "rescaled", {"patch_size": size, "redundancy": 1.5}, settings, LOG
        )
    report, fields, text = curation.curation_report(selection, rescaled, patches, "stand-ins")
    return {r["path"]: r for r in report}, summary, patches, text


def test_bad_input_ends_in_the_report_with_a_reason(bad_inputs):
    report, summary, patches, text = run_curation(bad_inputs)
    reasons = {p: (r["fate"], r["reason"]) for p, r in report.items()}
    assert reasons["micrograph2.tif"][0] == "dropped" and "unreadable image" in reasons["micrograph2.tif"][1]
    assert reasons["micrograph11.tif"] == (
        "dropped",
        "metadata row has no file 'micrograph11.tif' in the micrograph folder",
    )
    assert reasons["micrograph99999.tif"] == ("dropped", "file has no metadata row")
    assert reasons["micrograph29.tif"] == (
        "dropped",
        "unknown magnification format 'about 1500X' (expected e.g. '1964X' or '982x')",
    )
    assert reasons["micrograph5001.png"][0] == "dropped"
    assert "p48x64: rescaled image 40x40 is smaller than a 48x64 patch" in reasons["micrograph5001.png"][1]
    assert reasons["micrograph762.tif"][0] == "dropped" and reasons["micrograph762.tif"][1].startswith(
        "magnification missing (policy: drop)"
    )
    assert reasons["micrograph1173.tif"] == (
        "dropped",
        "excluded by config: report section 9.1: low quality and small size",
    )
    assert reasons["micrograph1.tif"][0] == "not selected"
    assert "notes.txt" not in report
    used = {p for p, r in report.items() if r["fate"] == "used"}
    assert used == {"micrograph10.png", "micrograph48.tif", "micrograph53.tif", "micrograph30.tif", "micrograph67.tif"}
    assert len(report) == len(EXCERPT) + 2  # every row and every image file, once
    # patch counts: equation (2) on the rescaled sizes, all accepted on these stand-ins
    assert report["micrograph30.tif"]["p48x64_patches"] == crop_count(968, 1290, (48, 64), 1.5) == 609
    assert report["micrograph67.tif"]["p64x64_patches"] == crop_count(194, 258, (64, 64), 1.5)
    for s in patches.values():
        assert not set(s["samples"]["train"]) & set(s["samples"]["test"])
        assert s["n"]["train"] + s["n"]["test"] == s["crops_drawn"] - sum(s["rejected"].values())
    assert "unreadable image" in text and "file has no metadata row" in text


def test_recover_policy_uses_the_scale_bar(bad_inputs):
    report, summary, _, _ = run_curation(bad_inputs, {**SETTINGS, "missing_magnification": "recover"})
    row = report["micrograph762.tif"]
    assert row["fate"] == "used" and row["magnification"] == 9811 and row["magnification_source"] == "scale bar"
    assert float(row["scale_factor"]) == pytest.approx(1964 / 9811, rel=1e-5)
    assert summary["target_magnification"] == 1964


def test_low_contrast_patches_are_counted(tmp_path):
    frames = tmp_path / "frames"
    write_standins(frames, EXCERPT[:2])
    frame = read_frame(frames / "micrograph2.tif")
    frame[:242] = 160  # the top half of the image is blank
    Image.fromarray(frame).save(frames / "micrograph2.tif")
    write_metadata_csv(tmp_path / "metadata.csv", list(EXCERPT[:2]))
    report, _, patches, _ = run_curation(tmp_path)
    rejected = patches["p48x64"]["rejected"]["low contrast"]
    assert 20 < rejected < 152 and report["micrograph2.tif"]["p48x64_rejected"] == f"low contrast {rejected}"
    assert report["micrograph2.tif"]["p48x64_patches"] == 152 - rejected


def test_real_metadata_with_standin_files(tmp_path):
    write_standins(tmp_path, EXCERPT)
    selection, summary = curation.select_micrographs(DB, tmp_path, SETTINGS, LOG)
    assert len(selection) == 1732
    status = {k: v for k, v in summary["status"].items()}
    assert status == {"not selected": 1732 - 374, "selected": 8, "dropped": 374 - 8}
    no_file = [r for r in selection if r["reason"].startswith("metadata row has no file")]
    assert len(no_file) == 374 - 10


def test_metadata_that_cannot_be_read_stops_with_its_name(tmp_path):
    (tmp_path / "frames").mkdir()
    (tmp_path / "metadata.csv").write_bytes(b"\x00\x01\x02")
    with pytest.raises(Exception, match="metadata.csv"):
        curation.select_micrographs(tmp_path / "metadata.csv", tmp_path / "frames", SETTINGS, LOG)
