"""Rule autoencoder_figures: Figures 5-2/6-1, 5-3/6-2 and the loss curves of one model."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.training.jobs import autoencoder_figures

autoencoder_figures(
    name=snakemake.wildcards.model,
    title=snakemake.params.title,
    model_path=snakemake.input.model,
    metrics_path=snakemake.input.metrics,
    train_shards=list(snakemake.input.train),
    test_shards=list(snakemake.input.test),
    settings=snakemake.params.figures,
    out_reconstructions=snakemake.output.reconstructions,
    out_samples=snakemake.output.samples,
    out_loss=snakemake.output.loss,
    threads=snakemake.threads,
    log=snakemake.log[0],
)
