"""Rule mks_import_shard: copy the original MKS files of one shard into the shard format."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.localization.jobs import mks_import_shard

mks_import_shard(
    name=snakemake.wildcards.composite,
    dataset=snakemake.params.dataset,
    shard=snakemake.params.shard,
    array_path=snakemake.output.array,
    manifest_path=snakemake.output.manifest,
    log=snakemake.log[0],
)
