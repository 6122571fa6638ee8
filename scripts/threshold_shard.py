"""Rule threshold_shard: binarize one source shard at the exact volume fraction."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.synthetic.jobs import threshold_shard

threshold_shard(
    name=snakemake.wildcards.dataset,
    dataset=snakemake.params.dataset,
    source_array=snakemake.input.source,
    array_path=snakemake.output.array,
    manifest_path=snakemake.output.manifest,
    log=snakemake.log[0],
)
