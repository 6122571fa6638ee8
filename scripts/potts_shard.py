"""Rule potts_shard: one shard of Potts kMC microstructures (builtin engine or SPPARKS)."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.potts.jobs import generate_potts_shard

generate_potts_shard(
    name=snakemake.wildcards.dataset,
    dataset=snakemake.params.dataset,
    shard=snakemake.params.shard,
    array_path=snakemake.output.array,
    manifest_path=snakemake.output.manifest,
    device=snakemake.params.device,
    spparks=snakemake.params.spparks,
    threads=snakemake.threads,
    time_limit_s=snakemake.resources.runtime * 60,  # minutes
    log=snakemake.log[0],
)
