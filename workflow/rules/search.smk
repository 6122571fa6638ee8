# Architecture search (issue 7): one training job per grid trial, then one leaderboard
# per search. See README "Architecture search" and msdl/search/grid.py.


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
