"""Rule search_trial: train one architecture-search trial, write its JSON record."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.search.jobs import run_trial

run_trial(
    search_name=snakemake.wildcards.search,
    search=snakemake.params.search,
    trial_name=snakemake.wildcards.trial,
    device=snakemake.params.device,
    train_shards=list(snakemake.input.train),
    test_shards=list(snakemake.input.test),
    statistics_path=snakemake.input.normalization,
    state_dir=snakemake.params.state_dir,
    model_path=snakemake.output.model,
    metrics_path=snakemake.output.metrics,
    record_path=snakemake.output.record,
    threads=snakemake.threads,
    log=snakemake.log[0],
)
