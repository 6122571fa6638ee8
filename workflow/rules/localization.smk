# Localization (report sections 2.6, 4): composite SVEs + elastic fields in shards,
# section 4.2 statistics, first-order MKS baseline, CPNet and the periodic FNO,
# metrics and figures. A self-contained stage (its own datasets, models and wildcards),
# so its parity/slice figures, which draw one predictor's test examples, are here too.
# Shard lists come from msdl.localization.plan (imported in common.smk).

LOCALIZATION = config.get("localization", {"datasets": {}})
COMPOSITES = LOCALIZATION["datasets"]
LOC = f"{RESULTS}/localization"
SOLVE_RESOURCES = config["resources"].get("solve", config["resources"]["generate"])
GENERATED_COMPOSITES = [
    n for n, d in COMPOSITES.items() if d["generator"] == "elastic_composites"
]
IMPORTED_COMPOSITES = [
    n for n, d in COMPOSITES.items() if d["generator"] == "mks_import"
]
LOC_MODELS = LOCALIZATION.get("models", {})


# Final outputs of this stage (rule all): statistics, then metrics and figures per predictor.
LOC_PREDICTORS = [(name, "mks") for name in COMPOSITES] + [
    (m["dataset"], model) for model, m in LOC_MODELS.items()
]
LOCALIZATION_TARGETS = [f"{LOC}/{name}/statistics.json" for name in COMPOSITES] + [
    path
    for name, predictor in LOC_PREDICTORS
    for path in (
        f"{LOC}/{name}/{predictor}/metrics.json",
        f"{RESULTS}/figures/localization_{name}_{predictor}_parity.png",
        f"{RESULTS}/figures/localization_{name}_{predictor}_slices.png",
    )
]


wildcard_constraints:
    composite=_names_regex(COMPOSITES),


rule composite_shard:
    output:
        array=f"{LOC}/{{composite}}/{{split}}/shard-{{index}}.npy",
        manifest=f"{LOC}/{{composite}}/{{split}}/shard-{{index}}.json",
    log:
        f"{RESULTS}/logs/localization/{{composite}}/{{split}}/shard-{{index}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/localization/{{composite}}/{{split}}/shard-{{index}}.tsv"
    wildcard_constraints:
        composite=_names_regex(GENERATED_COMPOSITES),
    conda:
        "../../envs/torch.yaml"
    threads: SOLVE_RESOURCES["threads"]
    resources:
        mem_mb=SOLVE_RESOURCES["mem_mb"],
        runtime=SOLVE_RESOURCES["runtime"],
    params:
        dataset=lambda wc: COMPOSITES[wc.composite],
        shard=lambda wc: localization_plan.shard_of(
            config, wc.composite, wc.split, wc.index
        ),
        device=config["device"],
    script:
        "../../scripts/composite_shard.py"


rule mks_import_shard:
    output:
        array=f"{LOC}/{{composite}}/{{split}}/shard-{{index}}.npy",
        manifest=f"{LOC}/{{composite}}/{{split}}/shard-{{index}}.json",
    log:
        f"{RESULTS}/logs/localization/{{composite}}/{{split}}/shard-{{index}}.log",
    wildcard_constraints:
        composite=_names_regex(IMPORTED_COMPOSITES),
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("generate")["threads"]
    resources:
        mem_mb=resources_of("generate")["mem_mb"],
        runtime=resources_of("generate")["runtime"],
    params:
        dataset=lambda wc: COMPOSITES[wc.composite],
        shard=lambda wc: localization_plan.shard_of(
            config, wc.composite, wc.split, wc.index
        ),
    script:
        "../../scripts/mks_import_shard.py"


rule localization_statistics:
    input:
        train=lambda wc: localization_plan.shard_arrays(config, wc.composite, "train"),
    output:
        f"{LOC}/{{composite}}/statistics.json",
    log:
        f"{RESULTS}/logs/localization/{{composite}}/statistics.log",
    conda:
        "../../envs/simulate.yaml"
    threads: resources_of("statistics")["threads"]
    resources:
        mem_mb=resources_of("statistics")["mem_mb"],
        runtime=resources_of("statistics")["runtime"],
    script:
        "../../scripts/localization_statistics.py"


rule mks_baseline:
    input:
        train=lambda wc: localization_plan.shard_arrays(config, wc.composite, "train"),
        test=lambda wc: localization_plan.shard_arrays(config, wc.composite, "test"),
    output:
        model=f"{LOC}/{{composite}}/mks/model.npz",
        metrics=f"{LOC}/{{composite}}/mks/metrics.json",
        examples=f"{LOC}/{{composite}}/mks/examples.npz",
    log:
        f"{RESULTS}/logs/localization/{{composite}}/mks.log",
    benchmark:
        f"{RESULTS}/benchmarks/localization/{{composite}}/mks.tsv"
    conda:
        "../../envs/simulate.yaml"
    threads: resources_of("statistics")["threads"]
    resources:
        mem_mb=resources_of("statistics")["mem_mb"],
        runtime=resources_of("statistics")["runtime"],
    params:
        metrics=LOCALIZATION.get("metrics"),
    script:
        "../../scripts/mks_baseline.py"


rule train_localization_model:
    input:
        train=lambda wc: localization_plan.shard_arrays(
            config, LOC_MODELS[wc.predictor]["dataset"], "train"
        ),
        test=lambda wc: localization_plan.shard_arrays(
            config, LOC_MODELS[wc.predictor]["dataset"], "test"
        ),
        statistics=lambda wc: f"{LOC}/{LOC_MODELS[wc.predictor]['dataset']}/statistics.json",
    output:
        model=f"{LOC}/{{composite}}/{{predictor}}/model.pt",
        metrics=f"{LOC}/{{composite}}/{{predictor}}/metrics.json",
        examples=f"{LOC}/{{composite}}/{{predictor}}/examples.npz",
    log:
        f"{RESULTS}/logs/localization/{{composite}}/{{predictor}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/localization/{{composite}}/{{predictor}}.tsv"
    wildcard_constraints:
        predictor=_names_regex(LOC_MODELS),
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("train")["threads"]
    resources:
        mem_mb=resources_of("train")["mem_mb"],
        runtime=resources_of("train")["runtime"],
    params:
        model=lambda wc: LOC_MODELS[wc.predictor],
        checkpoint=lambda wc: f"{LOC}/{wc.composite}/{wc.predictor}/checkpoint.pt",
        metrics=LOCALIZATION.get("metrics"),
        device=config["device"],
    script:
        "../../scripts/train_localization.py"


rule localization_figures:
    input:
        examples=f"{LOC}/{{composite}}/{{predictor}}/examples.npz",
        metrics=f"{LOC}/{{composite}}/{{predictor}}/metrics.json",
    output:
        parity=report(
            f"{RESULTS}/figures/localization_{{composite}}_{{predictor}}_parity.png",
            caption="../report/localization_parity.rst",
            category="Localization",
        ),
        slices=report(
            f"{RESULTS}/figures/localization_{{composite}}_{{predictor}}_slices.png",
            caption="../report/localization_slices.rst",
            category="Localization",
        ),
    log:
        f"{RESULTS}/logs/figures/localization_{{composite}}_{{predictor}}.log",
    wildcard_constraints:
        predictor=_names_regex(["mks", *LOC_MODELS]),
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("figures")["threads"]
    resources:
        mem_mb=resources_of("figures")["mem_mb"],
        runtime=resources_of("figures")["runtime"],
    script:
        "../../scripts/localization_figures.py"
