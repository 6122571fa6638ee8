"""Rule uhcsdb_dataset_index: every shard of a patch dataset checked, indexed, split by sample."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.uhcsdb.jobs import dataset_index

dataset_index(
    name=snakemake.wildcards.dataset,
    arrays=list(snakemake.input),
    out_json=snakemake.output[0],
    log=snakemake.log[0],
)
