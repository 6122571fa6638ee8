# Potts kMC datasets (report sections 2.2-2.4): one job per shard of seeds, then the
# AE-size downsampling and the 3x3 grids of Figures 2-3, 2-4, 2-5. Dataset lists and
# potts_outputs() are in common.smk (snakemake --lint wants functions there).


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
    resources:
        mem_mb=resources_of("figures")["mem_mb"],
        runtime=resources_of("figures")["runtime"],
    script:
        "../../scripts/figure_microstructure_grid.py"
