"""Rule uhcsdb_select: join metadata and files, select, parse magnifications, split by sample."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.uhcsdb.jobs import select

select(
    metadata=snakemake.input.metadata,
    frames_dir=snakemake.input.frames,
    settings=snakemake.params.settings,
    out_csv=snakemake.output.selection,
    out_json=snakemake.output.summary,
    log=snakemake.log[0],
)
