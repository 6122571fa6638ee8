"""Rule search_trial: train one architecture-search trial, write its JSON record."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.search.jobs import run_trial  # noqa: E402

sm = snakemake  # noqa: F821
run_trial(
    search_name=sm.wildcards.search,
    search=sm.params.search,
    trial_name=sm.wildcards.trial,
    device=sm.params.device,
    train_shards=list(sm.input.train),
    test_shards=list(sm.input.test),
    statistics=json.loads(Path(sm.input.normalization).read_text()),
    state_dir=sm.params.state_dir,
    model_path=sm.output.model,
    metrics_path=sm.output.metrics,
    record_path=sm.output.record,
    log_path=sm.log[0],
    threads=sm.threads,
)
