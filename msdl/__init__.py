"""msdl: microstructure simulation to deep-learning datasets and models.

The Snakemake workflow (``Snakefile``) calls the thin entry points in ``scripts/``, each
one call of a stage's ``jobs`` module. The package, in pipeline order: shared basics at
the top (config, io, shards, progress, normalization, figures, device, rng), then one
subpackage per stage: synthetic, potts, uhcsdb (datasets), models, training,
localization, evaluation, search; ``pipeline`` composes every stage's config checks.
Imports run one way, down this list (tests/test_structure.py checks it).
"""

__version__ = "0.1.0"
