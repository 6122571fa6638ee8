"""Rule gaussian_random_field_shard: one shard of smooth synthetic microstructures."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.synthetic.jobs import generate_gaussian_shard

generate_gaussian_shard(
    name=snakemake.wildcards.dataset,
    dataset=snakemake.params.dataset,
    shard=snakemake.params.shard,
    array_path=snakemake.output.array,
    manifest_path=snakemake.output.manifest,
    log=snakemake.log[0],
)
