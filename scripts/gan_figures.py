"""Rule gan_figures: Figure 10-1 (64 samples per chosen epoch) and loss / diversity curves."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.training.jobs import gan_figures

gan_figures(
    name=snakemake.wildcards.gan,
    model_path=snakemake.input.model,
    metrics_path=snakemake.input.metrics,
    label=snakemake.params.label,
    out_samples=snakemake.output.samples,
    out_curves=snakemake.output.curves,
    log=snakemake.log[0],
)
