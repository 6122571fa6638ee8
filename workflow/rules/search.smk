# Architecture search (issue 7): one training job per grid trial, then one leaderboard
# per search. See README "Architecture search" and msdl/search/grid.py. SEARCHES and
# SEARCH_TRIALS (trial names expanded from config `search.<name>.grid` at parse time) and
# the input functions are in common.smk. The leaderboard's bar and curve figures compare
# the trials of one search, so they are outputs of its rule here.


# Final outputs of this stage (rule all): the leaderboard, figures and findings of every
# enabled search.
SEARCH_TARGETS = [
    path
    for name, trials in SEARCH_TRIALS.items()
    if trials
    for path in (
        f"{RESULTS}/search/{name}/leaderboard.csv",
        f"{RESULTS}/search/{name}/findings.json",
        f"{RESULTS}/search/{name}/findings.txt",
        f"{RESULTS}/figures/search_{name}_leaderboard.png",
        f"{RESULTS}/figures/search_{name}_curves.png",
    )
]


wildcard_constraints:
    search=_names_regex([name for name, trials in SEARCH_TRIALS.items() if trials]),
    trial=trial_regex([t for trials in SEARCH_TRIALS.values() for t in trials]),


rule search_trial:
    input:
        unpack(search_trial_inputs),
    output:
        record=f"{RESULTS}/search/{{search}}/{{trial}}/trial.json",
        model=f"{RESULTS}/search/{{search}}/{{trial}}/model.pt",
        metrics=f"{RESULTS}/search/{{search}}/{{trial}}/metrics.csv",
    log:
        f"{RESULTS}/logs/search/{{search}}/{{trial}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/search/{{search}}/{{trial}}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("train")["threads"]
    resources:
        mem_mb=resources_of("train")["mem_mb"],
        runtime=resources_of("train")["runtime"],
    params:
        search=lambda wc: SEARCHES[wc.search],
        device=config["device"],
        state_dir=lambda wc: f"{RESULTS}/search/{wc.search}/{wc.trial}/state",
    script:
        "../../scripts/search_trial.py"


rule search_leaderboard:
    input:
        search_records,
    output:
        table=report(
            f"{RESULTS}/search/{{search}}/leaderboard.csv",
            caption="../report/search_table.rst",
            category="Architecture search",
        ),
        bars=report(
            f"{RESULTS}/figures/search_{{search}}_leaderboard.png",
            caption="../report/search_leaderboard.rst",
            category="Architecture search",
        ),
        curves=report(
            f"{RESULTS}/figures/search_{{search}}_curves.png",
            caption="../report/search_curves.rst",
            category="Architecture search",
        ),
        findings=f"{RESULTS}/search/{{search}}/findings.json",
        text=report(
            f"{RESULTS}/search/{{search}}/findings.txt",
            caption="../report/search_findings.rst",
            category="Architecture search",
        ),
    log:
        f"{RESULTS}/logs/search/{{search}}/leaderboard.log",
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("figures")["threads"]
    resources:
        mem_mb=resources_of("figures")["mem_mb"],
        runtime=resources_of("figures")["runtime"],
    script:
        "../../scripts/search_leaderboard.py"
