"""Rule train_localization_model: train CPNet or the periodic FNO, score it on the test split."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.localization.jobs import train_localization_model

train_localization_model(
    predictor_name=snakemake.wildcards.predictor,
    composite=snakemake.wildcards.composite,
    model_config=snakemake.params.model,
    train_shards=list(snakemake.input.train),
    test_shards=list(snakemake.input.test),
    statistics_path=snakemake.input.statistics,
    checkpoint_path=snakemake.params.checkpoint,
    metrics_settings=snakemake.params.metrics,
    device=snakemake.params.device,
    model_path=snakemake.output.model,
    metrics_path=snakemake.output.metrics,
    examples_path=snakemake.output.examples,
    threads=snakemake.threads,
    log=snakemake.log[0],
)
