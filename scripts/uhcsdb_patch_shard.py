"""Rule uhcsdb_patch_shard: one shard of a patch dataset, from its pool."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.uhcsdb.jobs import patch_shard

patch_shard(
    name=snakemake.wildcards.dataset,
    pool_path=snakemake.input.pool,
    summary_path=snakemake.input.summary,
    shard_size=snakemake.params.shard_size,
    split=snakemake.wildcards.split,
    index=snakemake.wildcards.index,
    out_array=snakemake.output.array,
    out_manifest=snakemake.output.manifest,
    log=snakemake.log[0],
)
