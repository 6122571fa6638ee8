# UHCSDB (report sections 9, 10): curate micrographs into patch datasets, each step a rule
# with a log. Without uhcsdb.micrographs the frames are labelled stand-ins (no download).
# Curation only: the GAN of Figure 10-1 and the AE/VAE of the patches are trained (and
# drawn) in training.smk. The inpainting figure stays here: its rule is a curation step
# (patches of the rescaled frames) whose figure is its own output. The number of patch
# shards is known only once checkpoint uhcsdb_patches has run (uhcsdb_shard_arrays() in
# common.smk); the targets below name the files that do not depend on it.


# Final outputs of this stage (rule all): the curation report, each patch dataset's index
# (which pulls in its data-dependent shards) and, if configured, the inpainting figure.
UHCSDB_TARGETS = (
    [
        f"{U}/curation_report.csv",
        f"{U}/curation_summary.md",
        *(f"{RESULTS}/datasets/{name}/index.json" for name in UHCSDB_DATASETS),
        *(
            [f"{RESULTS}/figures/uhcsdb_inpainting.png"]
            if UHCSDB.get("inpainting")
            else []
        ),
    ]
    if UHCSDB_DATASETS
    else []
)


rule uhcsdb_standins:
    output:
        frames=directory(f"{U}/standins/frames"),
        metadata=f"{U}/standins/metadata.csv",
    log:
        f"{RESULTS}/logs/uhcsdb/standins.log",
    conda:
        "../../envs/uhcsdb.yaml"
    threads: resources_of("curate")["threads"]
    resources:
        mem_mb=resources_of("curate")["mem_mb"],
        runtime=resources_of("curate")["runtime"],
    script:
        "../../scripts/uhcsdb_standins.py"


rule uhcsdb_select:
    input:
        metadata=uhcsdb_metadata(),
        frames=uhcsdb_frames(),
    output:
        selection=f"{U}/selection.csv",
        summary=f"{U}/selection.json",
    log:
        f"{RESULTS}/logs/uhcsdb/select.log",
    conda:
        "../../envs/uhcsdb.yaml"
    threads: resources_of("curate")["threads"]
    resources:
        mem_mb=resources_of("curate")["mem_mb"],
        runtime=resources_of("curate")["runtime"],
    params:
        settings=UHCSDB,
    script:
        "../../scripts/uhcsdb_select.py"


rule uhcsdb_rescale:
    input:
        selection=f"{U}/selection.csv",
        summary=f"{U}/selection.json",
        frames=uhcsdb_frames(),
    output:
        images=directory(f"{U}/rescaled"),
        table=f"{U}/rescaled.csv",
    log:
        f"{RESULTS}/logs/uhcsdb/rescale.log",
    benchmark:
        f"{RESULTS}/benchmarks/uhcsdb/rescale.tsv"
    conda:
        "../../envs/uhcsdb.yaml"
    threads: resources_of("curate")["threads"]
    resources:
        mem_mb=resources_of("curate")["mem_mb"],
        runtime=resources_of("curate")["runtime"],
    script:
        "../../scripts/uhcsdb_rescale.py"


checkpoint uhcsdb_patches:
    input:
        selection=f"{U}/selection.csv",
        table=f"{U}/rescaled.csv",
        images=f"{U}/rescaled",
    output:
        pool=f"{RESULTS}/datasets/{{dataset}}/pool.npz",
        summary=f"{RESULTS}/datasets/{{dataset}}/patches.json",
    log:
        f"{RESULTS}/logs/datasets/{{dataset}}/patches.log",
    benchmark:
        f"{RESULTS}/benchmarks/datasets/{{dataset}}/patches.tsv"
    wildcard_constraints:
        dataset=_names_regex(UHCSDB_DATASETS),
    conda:
        "../../envs/uhcsdb.yaml"
    threads: resources_of("curate")["threads"]
    resources:
        mem_mb=resources_of("curate")["mem_mb"],
        runtime=resources_of("curate")["runtime"],
    params:
        dataset=lambda wc: DATASETS[wc.dataset],
        settings=UHCSDB,
    script:
        "../../scripts/uhcsdb_patches.py"


rule uhcsdb_patch_shard:
    input:
        pool=f"{RESULTS}/datasets/{{dataset}}/pool.npz",
        summary=f"{RESULTS}/datasets/{{dataset}}/patches.json",
    output:
        array=f"{RESULTS}/datasets/{{dataset}}/{{split}}/shard-{{index}}.npy",
        manifest=f"{RESULTS}/datasets/{{dataset}}/{{split}}/shard-{{index}}.json",
    log:
        f"{RESULTS}/logs/datasets/{{dataset}}/{{split}}/shard-{{index}}.log",
    wildcard_constraints:
        dataset=_names_regex(UHCSDB_DATASETS),
    conda:
        "../../envs/uhcsdb.yaml"
    threads: resources_of("curate")["threads"]
    resources:
        mem_mb=resources_of("curate")["mem_mb"],
        runtime=resources_of("curate")["runtime"],
    params:
        shard_size=lambda wc: DATASETS[wc.dataset]["shard_size"],
    script:
        "../../scripts/uhcsdb_patch_shard.py"


rule uhcsdb_curation_report:
    input:
        selection=f"{U}/selection.csv",
        table=f"{U}/rescaled.csv",
        summaries=expand(
            f"{RESULTS}/datasets/{{dataset}}/patches.json", dataset=UHCSDB_DATASETS
        ),
    output:
        table=f"{U}/curation_report.csv",
        summary=report(
            f"{U}/curation_summary.md",
            caption="../report/uhcsdb_curation.rst",
            category="UHCSDB",
        ),
    log:
        f"{RESULTS}/logs/uhcsdb/curation_report.log",
    conda:
        "../../envs/uhcsdb.yaml"
    threads: resources_of("curate")["threads"]
    resources:
        mem_mb=resources_of("curate")["mem_mb"],
        runtime=resources_of("curate")["runtime"],
    params:
        datasets=UHCSDB_DATASETS,
        label=frames_label(UHCSDB),
    script:
        "../../scripts/uhcsdb_curation_report.py"


rule uhcsdb_dataset_index:
    input:
        lambda wc: shard_arrays(wc.dataset),
    output:
        f"{RESULTS}/datasets/{{dataset}}/index.json",
    log:
        f"{RESULTS}/logs/datasets/{{dataset}}/index.log",
    wildcard_constraints:
        dataset=_names_regex(UHCSDB_DATASETS),
    conda:
        "../../envs/uhcsdb.yaml"
    threads: resources_of("curate")["threads"]
    resources:
        mem_mb=resources_of("curate")["mem_mb"],
        runtime=resources_of("curate")["runtime"],
    script:
        "../../scripts/uhcsdb_dataset_index.py"


rule uhcsdb_inpainting:
    input:
        table=f"{U}/rescaled.csv",
        images=f"{U}/rescaled",
    output:
        array=f"{U}/inpainting/train/shard-0000.npy",
        manifest=f"{U}/inpainting/train/shard-0000.json",
        closeness=f"{U}/inpainting/closeness.csv",
        figure=report(
            f"{RESULTS}/figures/uhcsdb_inpainting.png",
            caption="../report/uhcsdb_inpainting.rst",
            category="UHCSDB",
        ),
    log:
        f"{RESULTS}/logs/uhcsdb/inpainting.log",
    benchmark:
        f"{RESULTS}/benchmarks/uhcsdb/inpainting.tsv"
    conda:
        "../../envs/uhcsdb.yaml"
    threads: resources_of("curate")["threads"]
    resources:
        mem_mb=resources_of("curate")["mem_mb"],
        runtime=resources_of("curate")["runtime"],
    params:
        settings=UHCSDB.get("inpainting"),
        label=frames_label(UHCSDB),
    script:
        "../../scripts/uhcsdb_inpainting.py"
