"""Rule uhcsdb_standins: labelled stand-in frames for real metadata rows (no download)."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.uhcsdb.jobs import make_standins

make_standins(
    frames_dir=snakemake.output.frames,
    metadata_csv=snakemake.output.metadata,
    log=snakemake.log[0],
)
