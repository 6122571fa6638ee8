"""Checkpoint uhcsdb_patches: equation (2) random crops, patch checks, per-split pools."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.uhcsdb.jobs import patches

patches(
    name=snakemake.wildcards.dataset,
    dataset=snakemake.params.dataset,
    settings=snakemake.params.settings,
    selection_csv=snakemake.input.selection,
    rescaled_csv=snakemake.input.table,
    rescaled_dir=snakemake.input.images,
    out_pool=snakemake.output.pool,
    out_json=snakemake.output.summary,
    log=snakemake.log[0],
)
