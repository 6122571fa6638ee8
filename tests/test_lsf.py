"""profiles/lsf through the real snakemake-executor-plugin-lsf, with recording stand-ins
for bsub/bjobs/badmin/lsclusters (tests/cluster/lsf_standin): IBM Spectrum LSF is
proprietary and cannot run here. The stand-in bsub records each submission and runs the
job locally, so the whole DAG completes and each submission can be inspected."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from helpers import BIN, ROOT, tiny_config

from msdl.training.common import read_metrics

STANDIN = ROOT / "tests" / "cluster" / "lsf_standin"


@pytest.mark.slow
def test_lsf_submissions_put_training_on_one_gpu_of_the_gpu_queue(tmp_path):
    state, record = tmp_path / "lsf", tmp_path / "bsub.jsonl"
    (state / "conf/lsbatch/standin/configdir").mkdir(parents=True)
    (state / "conf/lsbatch/standin/configdir/lsb.params").write_text("Begin Parameters\nEnd Parameters\n")
    results = tmp_path / "results"
    env = {
        **os.environ,
        "PATH": f"{STANDIN}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}",
        "MSDL_LSF_STATE": str(state),
        "MSDL_LSF_RECORD": str(record),
    }
    target = results / "models/ae_smooth/model.pt"  # 5 jobs: 3 shards, statistics, training
    # status checks every second (then backing off by 10 s while nothing finishes) instead of every 10 s
    args = [str(BIN / "snakemake"), str(target), "--profile", "profiles/lsf", "--seconds-between-status-checks", "1"]
    args += tiny_config(tmp_path, results)
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert [r["epoch"] for r in read_metrics(results / "models/ae_smooth/metrics.csv")] == [1, 2]

    submissions = [json.loads(line) for line in record.read_text().splitlines()]
    by_rule = {}
    for argv in submissions:
        name = argv[argv.index("-J") + 1]
        rule = name.split("rule_", 1)[1].split(":", 1)[0].split("___", 1)[0]
        by_rule.setdefault(rule, []).append(argv)
    assert len(by_rule["train_autoencoder"]) == 1
    assert len(by_rule["gaussian_random_field_shard"]) == 3 and len(by_rule["normalization_statistics"]) == 1
    for argv in by_rule["train_autoencoder"]:
        text = " ".join(argv)
        assert "-q rhel7G" in text and "-gpu num=1:mode=exclusive_process" in text
        assert "-P my_project" in text and "-n 2" in text and "-W 30" in text
        assert "-R rusage[mem=2000.0]" in text  # 4,000 MB for 2 threads, per CPU as LSF wants
    for rule, argvs in by_rule.items():
        if rule != "train_autoencoder":
            for argv in argvs:
                text = " ".join(argv)
                assert "-q rhel7F" in text and "-gpu" not in text, (rule, text)
