"""Rule train_autoencoder: Adam + MSE, checkpoint each epoch, resume after a kill."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

from msdl.training.jobs import launch_training  # noqa: E402

sm = snakemake  # noqa: F821
launch_training(
    processes=getattr(sm.resources, "processes", 1),  # a resource of 1 does not reach the job
    model_config=sm.params.model,
    device=sm.params.device,
    train_shards=list(sm.input.train),
    test_shards=list(sm.input.test),
    statistics=json.loads(Path(sm.input.normalization).read_text()),
    state_dir=sm.params.state_dir,
    model_path=sm.output.model,
    metrics_path=sm.output.metrics,
    log_path=sm.log[0],
    threads=sm.threads,
)
