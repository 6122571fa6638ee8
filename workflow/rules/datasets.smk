# Datasets: shards of seeds (one job each), then normalization statistics.


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


rule normalization_statistics:
    input:
        train=lambda wc: shard_arrays(wc.dataset, "train"),
    output:
        f"{RESULTS}/datasets/{{dataset}}/normalization.json",
    log:
        f"{RESULTS}/logs/datasets/{{dataset}}/normalization.log",
    conda:
        "../../envs/simulate.yaml"
    threads: resources_of("statistics")["threads"]
    resources:
        mem_mb=resources_of("statistics")["mem_mb"],
        runtime=resources_of("statistics")["runtime"],
    script:
        "../../scripts/normalization_statistics.py"
