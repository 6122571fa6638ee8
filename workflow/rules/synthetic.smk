# Synthetic datasets (report section 2.1): Gaussian random fields and their thresholded
# binary sets, one job per shard of seeds. Figure 2-2 (smooth vs. binary samples) shows
# only these sets, so its rule is here, with the data it draws. Normalization statistics
# are in training.smk: every dataset kind gets them, and only training reads them.


# Final outputs of this stage (rule all): the shards are pulled in by training and
# evaluation; Figure 2-2 for each thresholded set.
SYNTHETIC_TARGETS = [
    f"{RESULTS}/figures/microstructures_{name}.png" for name in THRESHOLD_DATASETS
]


rule gaussian_random_field_shard:
    output:
        array=f"{RESULTS}/datasets/{{dataset}}/{{split}}/shard-{{index}}.npy",
        manifest=f"{RESULTS}/datasets/{{dataset}}/{{split}}/shard-{{index}}.json",
    log:
        f"{RESULTS}/logs/datasets/{{dataset}}/{{split}}/shard-{{index}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/datasets/{{dataset}}/{{split}}/shard-{{index}}.tsv"
    wildcard_constraints:
        dataset=_names_regex(GAUSSIAN_DATASETS),
    conda:
        "../../envs/simulate.yaml"
    threads: resources_of("generate")["threads"]
    resources:
        mem_mb=resources_of("generate")["mem_mb"],
        runtime=resources_of("generate")["runtime"],
    params:
        dataset=lambda wc: DATASETS[wc.dataset],
        shard=lambda wc: shard_of(wc.dataset, wc.split, wc.index),
    script:
        "../../scripts/generate_shard.py"


rule threshold_shard:
    input:
        source=lambda wc: f"{RESULTS}/datasets/{DATASETS[wc.dataset]['source']}/{wc.split}/shard-{wc.index}.npy",
    output:
        array=f"{RESULTS}/datasets/{{dataset}}/{{split}}/shard-{{index}}.npy",
        manifest=f"{RESULTS}/datasets/{{dataset}}/{{split}}/shard-{{index}}.json",
    log:
        f"{RESULTS}/logs/datasets/{{dataset}}/{{split}}/shard-{{index}}.log",
    wildcard_constraints:
        dataset=_names_regex(THRESHOLD_DATASETS),
    conda:
        "../../envs/simulate.yaml"
    threads: resources_of("generate")["threads"]
    resources:
        mem_mb=resources_of("generate")["mem_mb"],
        runtime=resources_of("generate")["runtime"],
    params:
        dataset=lambda wc: DATASETS[wc.dataset],
    script:
        "../../scripts/threshold_shard.py"


rule figure_microstructures:
    input:
        smooth=lambda wc: shard_arrays(DATASETS[wc.dataset]["source"], "test")[0],
        binary=lambda wc: shard_arrays(wc.dataset, "test")[0],
    output:
        report(
            f"{RESULTS}/figures/microstructures_{{dataset}}.png",
            caption="../report/microstructures.rst",
            category="Datasets",
        ),
    log:
        f"{RESULTS}/logs/figures/microstructures_{{dataset}}.log",
    wildcard_constraints:
        dataset=_names_regex(THRESHOLD_DATASETS),
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("figures")["threads"]
    resources:
        mem_mb=resources_of("figures")["mem_mb"],
        runtime=resources_of("figures")["runtime"],
    params:
        n=config["figures"]["microstructure_samples"],
    script:
        "../../scripts/figure_microstructures.py"
