"""Differentiable augmentation for the DCGAN's discriminator: each transform does what it
says, is reproducible from its generator, and lets gradients through to the images."""

import pytest
import torch

from msdl.training.augment import diff_augment, parse_policy


def _batch(n=16, size=16):
    return torch.rand(n, 1, size, size, generator=torch.Generator().manual_seed(1)) * 2 - 1


def test_policies_parse_and_unknown_ones_are_named():
    assert parse_policy("none") == () and parse_policy("") == ()
    assert parse_policy("translation, cutout") == ("translation", "cutout")
    with pytest.raises(ValueError, match=r"'colour'"):
        parse_policy("translation,colour")


def test_flip_is_one_of_the_eight_symmetries_of_the_square():
    x = _batch()
    y = diff_augment(x, ("flip",), torch.Generator().manual_seed(0))
    seen = set()
    for xi, yi in zip(x, y):
        matches = [
            (k, m)
            for k in range(4)
            for m in (0, 1)
            if torch.equal(torch.rot90(xi.flip(-1) if m else xi, k, (-2, -1)), yi)
        ]
        assert len(matches) == 1
        seen.add(matches[0])
    assert len(seen) > 2  # drawn per image, not one transform for the batch


def test_translation_shifts_by_at_most_an_eighth_and_fills_with_zero():
    x = torch.ones(64, 1, 32, 32)
    y = diff_augment(x, ("translation",), torch.Generator().manual_seed(0))
    for yi in y[:, 0]:
        rows, cols = yi.any(1), yi.any(0)  # rows and columns still holding image content
        assert 28 <= int(rows.sum()) <= 32 and 28 <= int(cols.sum()) <= 32
        assert set(yi.unique().tolist()) <= {0.0, 1.0}
        assert int((yi == 1).sum()) == int(rows.sum()) * int(cols.sum())  # a rectangle: a pure shift
    assert (y == 0).any() and (y == 1).all(dim=(1, 2, 3)).any()  # some shifted, some by zero
    ramp = torch.arange(32.0).view(1, 1, 1, 32).expand(8, 1, 32, 32)
    shifted = diff_augment(ramp, ("translation",), torch.Generator().manual_seed(3))
    inside = shifted[:, 0, 16] != 0
    steps = (shifted[:, 0, 16, 1:] - shifted[:, 0, 16, :-1])[inside[:, 1:] & inside[:, :-1]]
    assert torch.equal(steps, torch.ones_like(steps))  # neighbouring columns stay neighbours


def test_cutout_zeroes_one_square_of_half_the_size_at_most():
    x = torch.ones(64, 1, 32, 32)
    y = diff_augment(x, ("cutout",), torch.Generator().manual_seed(0))
    holes = (y == 0).sum(dim=(1, 2, 3))
    assert int(holes.max()) == 16 * 16 and int(holes.min()) > 0
    for yi in y[:, 0]:
        r, c = (yi == 0).any(1), (yi == 0).any(0)
        assert int((yi == 0).sum()) == int(r.sum()) * int(c.sum())


def test_same_generator_same_images_and_gradients_reach_the_input():
    x = _batch().requires_grad_(True)
    policy = parse_policy("flip,translation,cutout")
    a = diff_augment(x, policy, torch.Generator().manual_seed(5))
    b = diff_augment(x, policy, torch.Generator().manual_seed(5))
    assert torch.equal(a, b)
    assert not torch.equal(a, diff_augment(x, policy, torch.Generator().manual_seed(6)))
    a.sum().backward()
    assert x.grad is not None and 0 < int((x.grad != 0).sum()) < x.numel()  # cut-out pixels get no gradient
    assert diff_augment(x, (), torch.Generator()) is x
