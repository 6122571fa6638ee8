"""Rule uhcsdb_inpainting: Figure 2-6, inpainted variants as a shard, two-point closeness."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.uhcsdb.jobs import inpainting

inpainting(
    rescaled_csv=snakemake.input.table,
    rescaled_dir=snakemake.input.images,
    settings=snakemake.params.settings,
    label=snakemake.params.label,
    out_array=snakemake.output.array,
    out_manifest=snakemake.output.manifest,
    out_csv=snakemake.output.closeness,
    out_figure=snakemake.output.figure,
    log=snakemake.log[0],
)
