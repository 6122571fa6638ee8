"""Layer tables in the format the report printed with torchsummary.

    Layer (type)        Output Shape         Param #
    Conv2d-1            [-1, 16, 43, 43]     160
    ...
    Total params: 8,801

Rows are the leaf modules in execution order, numbered as torchsummary numbers them.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class LayerRow:
    name: str
    output_shape: tuple[int, ...]
    params: int
    trainable: int


def layer_rows(model: nn.Module, input_shape: tuple[int, ...]) -> list[LayerRow]:
    """Run one zero input of ``input_shape`` (no batch axis) and record each leaf layer."""
    rows: list[LayerRow] = []
    hooks = []

    def hook(module: nn.Module, _inputs, output) -> None:
        params = sum(p.numel() for p in module.parameters(recurse=False))
        trainable = sum(p.numel() for p in module.parameters(recurse=False) if p.requires_grad)
        name = f"{type(module).__name__}-{len(rows) + 1}"
        rows.append(LayerRow(name, (-1, *output.shape[1:]), params, trainable))

    for module in model.modules():
        if not list(module.children()):
            hooks.append(module.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, *input_shape, device=next(model.parameters()).device))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return rows


def layer_table(model: nn.Module, input_shape: tuple[int, ...]) -> str:
    """The torchsummary-style table as text, with totals."""
    rows = layer_rows(model, input_shape)
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    line = "-" * 64
    out = [line, f"{'Layer (type)':>25}  {'Output Shape':>25}  {'Param #':>10}", "=" * 64]
    for row in rows:
        out.append(f"{row.name:>25}  {str(list(row.output_shape)):>25}  {row.params:>10,}")
    out += [
        "=" * 64,
        f"Total params: {total:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {total - trainable:,}",
        line,
    ]
    return "\n".join(out) + "\n"
