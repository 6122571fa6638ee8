# Training (report sections 5-8, 10): normalization statistics of a dataset, then each
# autoencoder/VAE (layer table, training with a checkpoint each epoch, resumable) and each
# GAN of UHCSDB patches. Figures 5-2/6-1 (reconstructions), 5-3/6-2 (decoder samples),
# the loss curves and Figure 10-1 (GAN samples, curves) draw one trained model and its
# training metrics, so their rules are here; scores of generated sets are in
# evaluation.smk. normalization_statistics is here, not in a dataset stage: it runs for
# datasets of every kind (synthetic, Potts, UHCSDB) and only training reads it.


# Final outputs of this stage (rule all): per autoencoder its layer table and figures
# (which pull in training), per GAN its figures.
TRAINING_TARGETS = [
    path
    for name in MODELS
    for path in (
        f"{RESULTS}/models/{name}/layers.txt",
        f"{RESULTS}/figures/{name}_reconstructions.png",
        f"{RESULTS}/figures/{name}_latent_samples.png",
        f"{RESULTS}/figures/{name}_loss.png",
    )
] + [
    f"{RESULTS}/figures/{name}_{figure}.png"
    for name in GANS
    for figure in ("samples", "curves")
]


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


rule layer_table:
    output:
        f"{RESULTS}/models/{{model}}/layers.txt",
    log:
        f"{RESULTS}/logs/models/{{model}}/layers.log",
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("summary")["threads"]
    resources:
        mem_mb=resources_of("summary")["mem_mb"],
        runtime=resources_of("summary")["runtime"],
    params:
        architecture=lambda wc: MODELS[wc.model]["architecture"],
    script:
        "../../scripts/layer_table.py"


rule train_autoencoder:
    input:
        unpack(model_inputs),
    output:
        model=f"{RESULTS}/models/{{model}}/model.pt",
        metrics=f"{RESULTS}/models/{{model}}/metrics.csv",
    log:
        f"{RESULTS}/logs/models/{{model}}/train.log",
    benchmark:
        f"{RESULTS}/benchmarks/models/{{model}}/train.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("train")["threads"]
    resources:
        mem_mb=resources_of("train")["mem_mb"],
        runtime=resources_of("train")["runtime"],
    params:
        model=lambda wc: MODELS[wc.model],
        device=config["device"],
        state_dir=lambda wc: f"{RESULTS}/models/{wc.model}/state",
    script:
        "../../scripts/train_autoencoder.py"


rule autoencoder_figures:
    input:
        unpack(figure_inputs),
    output:
        reconstructions=report(
            f"{RESULTS}/figures/{{model}}_reconstructions.png",
            caption="../report/reconstructions.rst",
            category="Autoencoders",
        ),
        samples=report(
            f"{RESULTS}/figures/{{model}}_latent_samples.png",
            caption="../report/latent_samples.rst",
            category="Autoencoders",
        ),
        loss=report(
            f"{RESULTS}/figures/{{model}}_loss.png",
            caption="../report/loss.rst",
            category="Autoencoders",
        ),
    log:
        f"{RESULTS}/logs/figures/{{model}}.log",
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("figures")["threads"]
    resources:
        mem_mb=resources_of("figures")["mem_mb"],
        runtime=resources_of("figures")["runtime"],
    params:
        figures=config["figures"],
        title=lambda wc: figure_title(wc.model),
    script:
        "../../scripts/autoencoder_figures.py"


rule train_gan:
    input:
        train=lambda wc: shard_arrays(GANS[wc.gan]["dataset"], "train"),
    output:
        model=f"{RESULTS}/models/{{gan}}/gan.pt",
        metrics=f"{RESULTS}/models/{{gan}}/gan_metrics.csv",
    log:
        f"{RESULTS}/logs/models/{{gan}}/train_gan.log",
    benchmark:
        f"{RESULTS}/benchmarks/models/{{gan}}/train_gan.tsv"
    wildcard_constraints:
        gan=_names_regex(GANS),
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("train")["threads"]
    resources:
        mem_mb=resources_of("train")["mem_mb"],
        runtime=resources_of("train")["runtime"],
    params:
        gan=lambda wc: GANS[wc.gan],
        device=config["device"],
        state_dir=lambda wc: f"{RESULTS}/models/{wc.gan}/state",
    script:
        "../../scripts/train_gan.py"


rule gan_figures:
    input:
        model=f"{RESULTS}/models/{{gan}}/gan.pt",
        metrics=f"{RESULTS}/models/{{gan}}/gan_metrics.csv",
    output:
        samples=report(
            f"{RESULTS}/figures/{{gan}}_samples.png",
            caption="../report/gan_samples.rst",
            category="UHCSDB",
        ),
        curves=report(
            f"{RESULTS}/figures/{{gan}}_curves.png",
            caption="../report/gan_curves.rst",
            category="UHCSDB",
        ),
    log:
        f"{RESULTS}/logs/figures/{{gan}}.log",
    wildcard_constraints:
        gan=_names_regex(GANS),
    conda:
        "../../envs/torch.yaml"
    threads: resources_of("figures")["threads"]
    resources:
        mem_mb=resources_of("figures")["mem_mb"],
        runtime=resources_of("figures")["runtime"],
    params:
        label=frames_label(UHCSDB),
    script:
        "../../scripts/gan_figures.py"
