# Figures of the report: 2-2 (samples), 5-2/6-1 (reconstructions), 5-3/6-2 (decoder samples), loss.


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
    conda:
        "../../envs/torch.yaml"
    resources:
        mem_mb=resources_of("figures")["mem_mb"],
        runtime=resources_of("figures")["runtime"],
    params:
        n=config["figures"]["microstructure_samples"],
    script:
        "../../scripts/figure_microstructures.py"


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
