# UHCSDB stage: paths, the data-dependent shard list and the stage's outputs (functions
# only, as snakemake --lint asks; the rules are in uhcsdb.smk).
import json

from msdl.shards import shard_plan
from msdl.uhcsdb import frames_label

UHCSDB = config.get("uhcsdb", {})
U = f"{RESULTS}/uhcsdb"


def uhcsdb_metadata():
    return UHCSDB.get("metadata") or f"{U}/standins/metadata.csv"


def uhcsdb_frames():
    return UHCSDB.get("micrographs") or f"{U}/standins/frames"


def uhcsdb_shard_arrays(dataset, split=None):
    """Shards of a patch dataset: their count is known once its checkpoint has run."""
    summary = checkpoints.uhcsdb_patches.get(dataset=dataset).output.summary
    n = json.loads(Path(summary).read_text())["n"]
    plan = shard_plan(0, n["train"], n["test"], DATASETS[dataset]["shard_size"])
    return [
        f"{RESULTS}/datasets/{dataset}/{s.split}/{s.name}.npy"
        for s in plan
        if split is None or s.split == split
    ]


def uhcsdb_outputs():
    if not UHCSDB_DATASETS:
        return []
    return [
        f"{U}/curation_report.csv",
        f"{U}/curation_summary.md",
        *(f"{RESULTS}/datasets/{name}/index.json" for name in UHCSDB_DATASETS),
        *(
            [f"{RESULTS}/figures/uhcsdb_inpainting.png"]
            if UHCSDB.get("inpainting")
            else []
        ),
        *gan_outputs(),
    ]


GANS = config.get("gans") or {}


def gan_outputs():
    return [
        f"{RESULTS}/figures/{name}_{figure}.png"
        for name in GANS
        for figure in ("samples", "curves")
    ]


def figure_title(model):
    """A model's name for figure titles; models of UHCSDB patches say what the frames were."""
    if MODELS[model]["dataset"] in UHCSDB_DATASETS:
        return f"{model} [{frames_label(UHCSDB)}]"
    return model
