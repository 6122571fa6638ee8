"""Rule train_localization_model: train CPNet or the periodic FNO, score it on the test split."""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # msdl from this checkout  # noqa: F821

import torch  # noqa: E402

from msdl.io import atomic_path, write_json  # noqa: E402
from msdl.localization.evaluate import evaluate  # noqa: E402
from msdl.localization.train import LocalizationModelConfig, Normalizer, load_fields, predictor, train_localization  # noqa: E402
from msdl.models.localization import parameter_count  # noqa: E402
from msdl.progress import get_logger  # noqa: E402

sm = snakemake  # noqa: F821
torch.set_num_threads(sm.threads)
logger = get_logger("train_localization", sm.log[0])
entry = sm.params.model
if entry["dataset"] != sm.wildcards.composite:
    raise ValueError(
        f"localization.models.{sm.wildcards.predictor}: trained on {entry['dataset']!r}, not {sm.wildcards.composite!r}"
    )
cfg = LocalizationModelConfig.from_config(entry)
norm = Normalizer.from_statistics(json.loads(Path(sm.input.statistics).read_text()))
x, y = load_fields(sm.input.train, norm)
t = time.perf_counter()
model, history = train_localization(cfg, x, y, sm.params.checkpoint, logger, sm.params.device)
logger.info(f"training {time.perf_counter() - t:.1f} s")  # timings in the log: outputs stay reproducible
with atomic_path(sm.output.model) as tmp:
    torch.save({"config": entry, "normalizer": vars(norm), "state_dict": model.state_dict(), "history": history}, tmp)
metrics = evaluate(
    predictor(model, cfg, norm, sm.params.device), sm.input.test, sm.params.metrics, sm.output.examples, logger
)
metrics.update(
    model=entry["architecture"],
    parameters=parameter_count(model),
    n_train=len(x),
    epochs=len(history),
    final_train_mse=history[-1]["train_mse"],
)
write_json(sm.output.metrics, metrics)
logger.info(f"{sm.wildcards.predictor} on {sm.wildcards.composite}: {metrics}")
