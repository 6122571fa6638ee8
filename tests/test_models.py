"""The autoencoders reproduce the report's torchsummary tables row by row."""

import re

import pytest
import torch
from helpers import DATA

from msdl.models.registry import build_autoencoder
from msdl.models.summary import layer_rows, layer_table

REPORT = DATA / "report" / "sand2020-10580_tables.txt"  # the tables, verbatim
ROW = re.compile(r"^(\w+-\d+)\s+\$?\[(-1(?:, \d+)+)\]\$?\s+([\d,]+)\s*$")


def report_table(start: str, stop: str) -> list[tuple[str, tuple[int, ...], int]]:
    """The torchsummary rows printed in the report between two headings."""
    text = REPORT.read_text()
    section = text[text.index(start) : text.index(stop)]
    rows = []
    for line in section.splitlines():
        m = ROW.match(line.strip())
        if m:
            rows.append((m.group(1), tuple(int(v) for v in m.group(2).split(", ")), int(m.group(3).replace(",", ""))))
    return rows


@pytest.mark.parametrize(
    "architecture, start, stop, total",
    [
        ("ae_smooth", "5. AUTOENCODER FOR SYNTHETIC 2D SMOOTH", "6. AUTOENCODER FOR SYNTHETIC 2D BINARY", 8801),
        ("ae_binary", "6. AUTOENCODER FOR SYNTHETIC 2D BINARY", "7. AUTOENCODER FOR KMC/GG", 15833),
        ("ae_uhcsdb", "9.4. UHCSDDB autoencoder 48x64", "10. GAN FOR UHCSDB DATASET", 5855),
    ],
)
def test_layers_match_the_report(architecture, start, stop, total):
    expected = report_table(start, stop)
    assert len(expected) >= 12  # the table was found (section 6's is split by a page break)
    model = build_autoencoder(architecture)
    got = [(r.name, r.output_shape, r.params) for r in layer_rows(model, (1, *model.image_size))]
    assert got == expected
    assert sum(p.numel() for p in model.parameters()) == total


@pytest.mark.parametrize(
    "architecture, latent", [("ae_smooth", (8, 10, 10)), ("ae_binary", (32, 10, 10)), ("ae_uhcsdb", (8, 8, 12))]
)
def test_shapes_roundtrip(architecture, latent):
    model = build_autoencoder(architecture)
    x = torch.randn(3, 1, *model.image_size)
    assert model.latent_shape() == latent
    assert model.encode(x).shape == (3, *latent)
    y = model(x)
    assert y.shape == x.shape and float(y.detach().abs().max()) <= 1.0


def test_layer_table_text_has_rows_and_totals():
    text = layer_table(build_autoencoder("ae_smooth"), (1, 128, 128))
    assert "ConvTranspose2d-9" in text and "[-1, 8, 65, 65]" in text and "6,280" in text
    assert "Total params: 8,801" in text and "Trainable params: 8,801" in text and "Non-trainable params: 0" in text


def test_unknown_architecture_is_named():
    with pytest.raises(ValueError, match="unknown architecture 'ae_foo'"):
        build_autoencoder("ae_foo")
