"""Put this checkout first on ``sys.path``, so that ``import msdl`` finds its package.

A rule's job may run in a conda environment (``--use-conda``) where msdl is not installed,
or in one where another copy is: the scripts import it from the repository they belong
to. Snakemake's ``script:`` directive puts the script's own folder on ``sys.path``, so
each script's ``import _bootstrap`` finds this module.
"""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)
if sys.path[:1] != [ROOT]:
    sys.path.insert(0, ROOT)
