"""What the shipped head ensemble misses: a whole-network deep ensemble (Lakshminarayanan et al. 2017) against
heads on one trunk, and both with the 5-NN feature distance, on the same cells.

    python benchmarks/trust_deep_ensemble.py --data FINETUNE_DIR --ood OOD.npz [--members 5] [--minutes 4]

FINETUNE_DIR is what benchmarks/trust_retrain_data.py writes; the members train on its solver-labelled training
cells only (``source`` 0: the ``varied`` cells), ``--members`` photonic_inv_dilated networks from scratch, seeds
0.., each within ``--minutes`` of CPU wall time (a scarce-data setting: every method sees the same cells, so the
comparison is fair even though none is the shipped checkpoint). Each method's std is calibrated on the
validation cells as the shipped one is (``keras_imnn.uncertainty.calibration``) and scored on the test and OOD
cells: 2-std coverage, Spearman(std, |error|), Gaussian NLL, MAE of the mean. Writes docs/trust/deep_ensemble.json.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from keras_imnn.atomic import atomic_write_text
from keras_imnn.models.registry import get_spec, load
from keras_imnn.npz import read_npz
from keras_imnn.tasks import get_task
from keras_imnn.training.loop.train import fit
from keras_imnn.training.settings import TrainSettings
from keras_imnn.uncertainty import calibration as cal
from keras_imnn.uncertainty.heads import features_and_outputs, head_outputs, train_heads
from keras_imnn.uncertainty.novelty import Novelty

NAME = "photonic_inv_dilated"
RESULTS = Path(__file__).resolve().parents[1] / "docs" / "trust" / "deep_ensemble.json"


def _scores(err: np.ndarray, std: np.ndarray) -> dict[str, float]:
    return {"mae": float(np.mean(np.abs(err))), "coverage_2std": cal.coverage(err, std),
            "spearman": cal.spearman(std, err), "nll": cal.gaussian_nll(err, std)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--ood", type=Path, required=True)
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--minutes", type=float, default=4.0)
    args = parser.parse_args()
    task = get_task(get_spec(NAME).task)
    raw = {s: read_npz(args.data / f"{s}.npz") for s in ("train", "validation", "test")}
    raw["train"] = {k: v[raw["train"]["source"] == 0] for k, v in raw["train"].items()}
    raw["ood"] = read_npz(args.ood)
    data = {s: task.arrays(r) for s, r in raw.items()}
    settings = TrainSettings(epochs=300, patience=8, lr_patience=3, monitor="mae", verbose=0,
                             max_minutes=args.minutes)
    began = time.perf_counter()
    outputs, features = [], []
    for seed in range(args.members):
        model = load(NAME, weights=None, orbit_training="sample")
        fit(model, data["train"], data["validation"], task=task, settings=dataclasses.replace(settings, seed=seed))
        run = features_and_outputs(model)
        pred = {s: [np.asarray(o, np.float64) for o in run.predict(a.x, batch_size=256, verbose=0)]
                for s, a in data.items()}
        outputs.append({s: task.point_prediction(p[1], data[s].x) for s, p in pred.items()})
        features.append({s: p[0] for s, p in pred.items()})
        print(f"member {seed}: test MAE {np.mean(np.abs(outputs[-1]['test'] - data['test'].y)):.4f} "
              f"({time.perf_counter() - began:.0f} s)", flush=True)
    y = {s: a.y for s, a in data.items()}
    mean = {s: np.mean([o[s] for o in outputs], axis=0) for s in data}
    spread = {s: np.var([o[s] for o in outputs], axis=0) for s in data}
    heads = train_heads(features[0]["train"].astype(np.float32), y["train"], get_spec(NAME).config, task.loss(),
                        members=args.members, seed=0)
    head_var = {s: head_outputs(heads, features[0][s], get_spec(NAME).config).var(axis=0) for s in data}
    novelty = Novelty.fit(features[0]["train"])
    knn = {s: novelty.distance2(features[0][s]) for s in data}
    err_one = {s: outputs[0][s] - y[s] for s in data}
    err_deep = {s: mean[s] - y[s] for s in data}
    fits = {"deep ensemble": cal.fit_regression(spread["validation"], err_deep["validation"]),
            "heads on one trunk": cal.fit_regression(head_var["validation"], err_one["validation"]),
            "heads + 5-NN (shipped method)": cal.fit_combined(head_var["validation"], knn["validation"],
                                                             err_one["validation"]),
            "deep ensemble + 5-NN": cal.fit_combined(spread["validation"], knn["validation"],
                                                    err_deep["validation"])}
    result = {"n_train": len(data["train"]), "members": args.members, "minutes_per_member": args.minutes,
              "seconds": round(time.perf_counter() - began), "methods": {}}
    for method, f in fits.items():
        deep = method.startswith("deep")
        var = spread if deep else head_var
        err = err_deep if deep else err_one
        result["methods"][method] = {}
        for split in ("test", "ood"):
            std = (cal.combined_std(var[split], knn[split], f) if "5-NN" in method
                   else cal.regression_std(var[split], np.asarray(f["a"]), np.asarray(f["b"])))
            result["methods"][method][split] = _scores(err[split], std)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS, json.dumps(result, indent=1) + "\n")
    for method, r in result["methods"].items():
        print(method, json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
