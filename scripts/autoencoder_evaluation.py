"""Rules score_autoencoder and latent_space: one model's generated sets scored, or its latent space."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.evaluation.jobs import autoencoder_evaluation

autoencoder_evaluation(
    rule=snakemake.rule,
    name=snakemake.wildcards.model,
    model_path=snakemake.input.model,
    train_shards=list(snakemake.input.train),
    test_shards=list(snakemake.input.test),
    config=snakemake.config,
    dataset=snakemake.params.dataset,
    evaluation=snakemake.params.evaluation,
    latent_fit_images=snakemake.params.latent_fit_images,
    out_csv=snakemake.output.scores,
    out_png=snakemake.output.figure,
    threads=snakemake.threads,
    log=snakemake.log[0],
)
