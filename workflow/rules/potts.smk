# Potts kMC datasets (report sections 2.2-2.4): one job per shard of seeds, then the
# AE-size downsampling. The 3x3 grids of Figures 2-3, 2-4, 2-5 show only these sets, so
# their rule is here, with the data it draws. Dataset lists are in common.smk.


# Final outputs of this stage (rule all): every shard of each Potts dataset (the weld's
# too, which no model reads) and a 3x3 grid per dataset.
POTTS_TARGETS = [
    path
    for name in POTTS_DATASETS
    for path in (
        *shard_arrays(name),
        f"{RESULTS}/figures/microstructure_grid_{name}.png",
    )
]


rule potts_shard:
    output:
        array=f"{RESULTS}/datasets/{{dataset}}/{{split}}/shard-{{index}}.npy",
        manifest=f"{RESULTS}/datasets/{{dataset}}/{{split}}/shard-{{index}}.json",
    log:
        f"{RESULTS}/logs/datasets/{{dataset}}/{{split}}/shard-{{index}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/datasets/{{dataset}}/{{split}}/shard-{{index}}.tsv"
    wildcard_constraints:
        dataset=_names_regex(POTTS_DATASETS),
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("generate")["threads"]
    resources:
        mem_mb=resources_of("generate")["mem_mb"],
        runtime=resources_of("generate")["runtime"],
    params:
        dataset=lambda wc: DATASETS[wc.dataset],
        shard=lambda wc: shard_of(wc.dataset, wc.split, wc.index),
        device=config["device"],
        spparks=config.get("spparks"),
    script:
        "../../scripts/potts_shard.py"


rule downsample_shard:
    input:
        source=lambda wc: f"{RESULTS}/datasets/{DATASETS[wc.dataset]['source']}/{wc.split}/shard-{wc.index}.npy",
    output:
        array=f"{RESULTS}/datasets/{{dataset}}/{{split}}/shard-{{index}}.npy",
        manifest=f"{RESULTS}/datasets/{{dataset}}/{{split}}/shard-{{index}}.json",
    log:
        f"{RESULTS}/logs/datasets/{{dataset}}/{{split}}/shard-{{index}}.log",
    wildcard_constraints:
        dataset=_names_regex(DOWNSAMPLE_DATASETS),
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("generate")["threads"]
    resources:
        mem_mb=resources_of("generate")["mem_mb"],
        runtime=resources_of("generate")["runtime"],
    params:
        dataset=lambda wc: DATASETS[wc.dataset],
    script:
        "../../scripts/downsample_shard.py"


rule figure_microstructure_grid:
    input:
        lambda wc: shard_arrays(wc.dataset, "test")[0],
    output:
        report(
            f"{RESULTS}/figures/microstructure_grid_{{dataset}}.png",
            caption="../report/microstructure_grid.rst",
            category="Datasets",
        ),
    log:
        f"{RESULTS}/logs/figures/microstructure_grid_{{dataset}}.log",
    wildcard_constraints:
        dataset=_names_regex(POTTS_DATASETS),
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("figures")["threads"]
    resources:
        mem_mb=resources_of("figures")["mem_mb"],
        runtime=resources_of("figures")["runtime"],
    script:
        "../../scripts/figure_microstructure_grid.py"
