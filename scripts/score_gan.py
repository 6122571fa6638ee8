"""Rule score_gan: comparison scores of the GAN's samples at each figure epoch."""

import _bootstrap  # puts this checkout first on sys.path

from msdl.evaluation.jobs import score_gan

score_gan(
    name=snakemake.wildcards.gan,
    gan_path=snakemake.input.model,
    train_shards=list(snakemake.input.train),
    test_shards=list(snakemake.input.test),
    config=snakemake.config,
    dataset=snakemake.params.dataset,
    evaluation=snakemake.params.evaluation,
    out_csv=snakemake.output.scores,
    out_png=snakemake.output.figure,
    threads=snakemake.threads,
    log=snakemake.log[0],
)
