"""Rule composite_shard: generate one shard of composite SVEs and solve their elastic fields."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.localization.jobs import composite_shard

composite_shard(
    name=snakemake.wildcards.composite,
    dataset=snakemake.params.dataset,
    shard=snakemake.params.shard,
    array_path=snakemake.output.array,
    manifest_path=snakemake.output.manifest,
    device=snakemake.params.device,
    threads=snakemake.threads,
    log=snakemake.log[0],
)
