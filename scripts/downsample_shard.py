"""Rule downsample_shard: area-average one Potts shard to the AE's input size."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.potts.jobs import downsample_shard

downsample_shard(
    name=snakemake.wildcards.dataset,
    dataset=snakemake.params.dataset,
    source_array=snakemake.input.source,
    array_path=snakemake.output.array,
    manifest_path=snakemake.output.manifest,
    log=snakemake.log[0],
)
