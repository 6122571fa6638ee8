"""Rule localization_statistics: section 4.2 mean/std of phase, filtered phase, strain, stress."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.localization.jobs import localization_statistics

localization_statistics(
    name=snakemake.wildcards.composite,
    train_shards=list(snakemake.input.train),
    out_json=snakemake.output[0],
    log=snakemake.log[0],
)
