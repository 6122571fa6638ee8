"""Rule uhcsdb_rescale: crop the data bar, rescale to the target magnification, save."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.uhcsdb.jobs import rescale

rescale(
    selection_csv=snakemake.input.selection,
    selection_json=snakemake.input.summary,
    frames_dir=snakemake.input.frames,
    out_dir=snakemake.output.images,
    out_csv=snakemake.output.table,
    log=snakemake.log[0],
)
