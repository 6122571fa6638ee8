"""Rule normalization_statistics: the report's mean/std estimator over the train shards."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.synthetic.jobs import normalization_statistics

normalization_statistics(
    name=snakemake.wildcards.dataset,
    train_shards=list(snakemake.input.train),
    out_json=snakemake.output[0],
    log=snakemake.log[0],
)
