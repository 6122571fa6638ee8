# Evaluation: every generated set judged by microstructure statistics against the real
# test set (msdl/evaluation/scoring.py), latent space interpolations and sampling schemes, a summary.
# The score, interpolation and summary figures are outputs of the rules that compute their
# numbers, so they are here; figures of one model's training are in training.smk.


# Final outputs of this stage (rule all): the summary, and per autoencoder/VAE its scores
# and interpolation figures, per GAN its scores figure.
EVALUATION_TARGETS = (
    [f"{RESULTS}/evaluation/summary.csv", f"{RESULTS}/figures/score_summary.png"]
    + [
        path
        for name in MODELS
        for path in (
            f"{RESULTS}/figures/{name}_scores.png",
            f"{RESULTS}/figures/{name}_interpolation.png",
        )
    ]
    + [f"{RESULTS}/figures/{name}_scores.png" for name in GANS]
)


rule score_autoencoder:
    input:
        unpack(
            lambda wc: evaluation_inputs(
                MODELS[wc.model]["dataset"], f"{RESULTS}/models/{wc.model}/model.pt"
            )
        ),
    output:
        scores=f"{RESULTS}/evaluation/{{model}}/scores.csv",
        figure=report(
            f"{RESULTS}/figures/{{model}}_scores.png",
            caption="../report/scores.rst",
            category="Evaluation",
        ),
    log:
        f"{RESULTS}/logs/evaluation/{{model}}/scores.log",
    benchmark:
        f"{RESULTS}/benchmarks/evaluation/{{model}}/scores.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("evaluate")["threads"]
    resources:
        mem_mb=resources_of("evaluate")["mem_mb"],
        runtime=resources_of("evaluate")["runtime"],
    params:
        evaluation=config["evaluation"],
        latent_fit_images=config["figures"]["latent_fit_images"],
        dataset=lambda wc: MODELS[wc.model]["dataset"],
    script:
        "../../scripts/autoencoder_evaluation.py"


rule latent_space:
    input:
        unpack(
            lambda wc: evaluation_inputs(
                MODELS[wc.model]["dataset"], f"{RESULTS}/models/{wc.model}/model.pt"
            )
        ),
    output:
        scores=f"{RESULTS}/evaluation/{{model}}/latent_sampling.csv",
        figure=report(
            f"{RESULTS}/figures/{{model}}_interpolation.png",
            caption="../report/interpolation.rst",
            category="Evaluation",
        ),
    log:
        f"{RESULTS}/logs/evaluation/{{model}}/latent_space.log",
    benchmark:
        f"{RESULTS}/benchmarks/evaluation/{{model}}/latent_space.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("evaluate")["threads"]
    resources:
        mem_mb=resources_of("evaluate")["mem_mb"],
        runtime=resources_of("evaluate")["runtime"],
    params:
        evaluation=config["evaluation"],
        latent_fit_images=config["figures"]["latent_fit_images"],
        dataset=lambda wc: MODELS[wc.model]["dataset"],
    script:
        "../../scripts/autoencoder_evaluation.py"


rule score_gan:
    input:
        unpack(
            lambda wc: evaluation_inputs(
                GANS[wc.gan]["dataset"], f"{RESULTS}/models/{wc.gan}/gan.pt"
            )
        ),
    output:
        scores=f"{RESULTS}/evaluation/{{gan}}/scores.csv",
        figure=report(
            f"{RESULTS}/figures/{{gan}}_scores.png",
            caption="../report/scores.rst",
            category="Evaluation",
        ),
    log:
        f"{RESULTS}/logs/evaluation/{{gan}}/scores.log",
    benchmark:
        f"{RESULTS}/benchmarks/evaluation/{{gan}}/scores.tsv"
    wildcard_constraints:
        gan=_names_regex(GANS),
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("evaluate")["threads"]
    resources:
        mem_mb=resources_of("evaluate")["mem_mb"],
        runtime=resources_of("evaluate")["runtime"],
    params:
        evaluation=config["evaluation"],
        dataset=lambda wc: GANS[wc.gan]["dataset"],
    script:
        "../../scripts/score_gan.py"


rule score_summary:
    input:
        scores=[f"{RESULTS}/evaluation/{name}/scores.csv" for name in [*MODELS, *GANS]],
        latent=[f"{RESULTS}/evaluation/{name}/latent_sampling.csv" for name in MODELS],
    output:
        table=report(
            f"{RESULTS}/evaluation/summary.csv",
            caption="../report/score_summary.rst",
            category="Evaluation",
        ),
        figure=report(
            f"{RESULTS}/figures/score_summary.png",
            caption="../report/score_summary.rst",
            category="Evaluation",
        ),
    log:
        f"{RESULTS}/logs/evaluation/summary.log",
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("summary")["threads"]
    resources:
        mem_mb=resources_of("summary")["mem_mb"],
        runtime=resources_of("summary")["runtime"],
    params:
        datasets={
            **{name: m["dataset"] for name, m in MODELS.items()},
            **{name: g["dataset"] for name, g in GANS.items()},
        },
    script:
        "../../scripts/score_summary.py"
