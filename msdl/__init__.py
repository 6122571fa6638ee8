"""msdl: microstructure simulation to deep-learning datasets and models.

The Snakemake workflow (``Snakefile``) calls the thin entry points in ``scripts/``;
everything they do lives in this package, one module per job.
"""

__version__ = "0.1.0"
