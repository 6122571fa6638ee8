"""Rule mks_baseline: fit first-order MKS on the train shards, score it on the test shards."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.localization.jobs import mks_baseline

mks_baseline(
    name=snakemake.wildcards.composite,
    train_shards=list(snakemake.input.train),
    test_shards=list(snakemake.input.test),
    metrics_settings=snakemake.params.metrics,
    model_path=snakemake.output.model,
    metrics_path=snakemake.output.metrics,
    examples_path=snakemake.output.examples,
    log=snakemake.log[0],
)
