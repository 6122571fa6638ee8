# The results table: every model's headline numbers against their targets, from the files
# the evaluation, training and localization stages wrote (msdl/evaluation/results.py).
# Its Markdown section goes into README.md with `python -m msdl.evaluation.results`.

RESULTS_TARGETS = [
    f"{RESULTS}/results.csv",
    f"{RESULTS}/results.md",
    f"{RESULTS}/figures/results.png",
]


rule results_table:
    input:
        summary=f"{RESULTS}/evaluation/summary.csv",
        gan_metrics=[f"{RESULTS}/models/{name}/gan_metrics.csv" for name in GANS],
        localization_metrics=[
            f"{LOC}/{name}/{predictor}/metrics.json"
            for name, predictor in LOC_PREDICTORS
        ],
    output:
        table=report(
            f"{RESULTS}/results.csv",
            caption="../report/results.rst",
            category="Results",
        ),
        section=f"{RESULTS}/results.md",
        figure=report(
            f"{RESULTS}/figures/results.png",
            caption="../report/results.rst",
            category="Results",
        ),
    log:
        f"{RESULTS}/logs/results_table.log",
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("summary")["threads"]
    resources:
        mem_mb=resources_of("summary")["mem_mb"],
        runtime=resources_of("summary")["runtime"],
    params:
        gans=list(GANS),
        predictors=[f"{name}/{predictor}" for name, predictor in LOC_PREDICTORS],
        title=f"Results at {RESULTS}",
    script:
        "../../scripts/results_table.py"
