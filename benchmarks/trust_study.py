"""How far to trust a prediction (docs/trust.md): fit, calibrate and score each pretrained name's uncertainty.

    python benchmarks/trust_study.py --data DIR [--names N ...] [--members 5] [--checkpoints W ...]
        [--calibrate-on OOD2.npz] [--recalibrate] [--write]

DIR holds what benchmarks/trust_data.py and trust_ood_cells.py write (general ``train``/``val``/``test``,
``gapped_*`` for photonic_inv_dilated_gapped, ``ood.npz``) and ``magnet_6x4/`` from ``keras-imnn generate magnet
--lattice square --shape 6 4 --j2 0.5`` (the checkpoints' data; see ``_magnet_splits``). Per name:
``--members`` heads on the frozen trunk, each on a bootstrap resample of the train features
(``keras_imnn.uncertainty.heads``); the std calibrated on ``val``; scored on ``test`` and the OOD cells against
the alternatives on the same cells (a constant std; the distance to the 5 nearest training cells in feature space;
both together, "combined" (``calibration.fit_combined``), shipped for photonic names;
for the non-invariant CNNs the spread over the 8 D4 copies of a cell, test-time augmentation; for magnets
temperature scaling alone). ``--checkpoints`` (one photonic name) makes the name a deep ensemble: the shipped
checkpoint and these weights files of the same architecture, each trained with its own seed; the prediction is
their mean, their variance the spread of the shipped "combined" std, the heads an alternative.
``--shipped-mean`` (with ``--checkpoints``, not with ``--write``) keeps the shipped checkpoint's prediction and
takes only the std from the ensemble's spread.
``--calibrate-on`` adds cells of another draw of the OOD kinds (``trust_ood_cells.py --seed``, not the scored one)
to the photonic calibration cells, so that the std also holds on kinds of cells the training never drew.
``--recalibrate`` keeps the shipped members and training features (no ``train`` file is read) and refits only the
calibration (with ``--checkpoints``: the heads stay an alternative, the checkpoints become the members). With
``--write`` the members go to ``weights/<name>/head_member_<i>.npz`` (or the checkpoints to
``ensemble_member_<i>.weights.h5``) and the manifest entry gains ``"uncertainty"`` (``--recalibrate``: only its
calibration, scores and command change); results go to ``--results`` (docs/trust/results.json, which the docs'
tables read; merged by name).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from keras_imnn.arrays import Arrays
from keras_imnn.atomic import atomic_path, atomic_write_text, read_json
from keras_imnn.groups import orbit
from keras_imnn.models.registry import WEIGHTS_DIR, get_spec, list_models, load, manifest, sha256
from keras_imnn.npz import read_npz
from keras_imnn.physics.photonic.cells import FAMILIES
from keras_imnn.tasks import get_task
from keras_imnn.training.data.splits import npz_dir_splits
from keras_imnn.uncertainty import calibration as cal
from keras_imnn.uncertainty.ensemble import member_outputs
from keras_imnn.uncertainty.heads import features_and_outputs, head_outputs, save_head, train_heads
from keras_imnn.uncertainty.novelty import Novelty
from keras_imnn.uncertainty.shipped import load_uncertainty


def _json(value: object, indent: int) -> str:
    """Strict JSON (no NaN, which many readers refuse): an undefined score, e.g. the rank correlation of a
    constant std, becomes null."""
    def strict(v: object) -> object:
        if isinstance(v, dict):
            return {k: strict(x) for k, x in v.items()}
        if isinstance(v, list):
            return [strict(x) for x in v]
        return None if isinstance(v, float) and np.isnan(v) else v
    return json.dumps(strict(value), indent=indent, allow_nan=False) + "\n"


RESULTS = Path(__file__).resolve().parents[1] / "docs" / "trust" / "results.json"
NOMINAL = np.round(np.arange(0.05, 1.0, 0.05), 2)
MAGNET_TRAIN = 5000


def _photonic_splits(data: Path, name: str, task, calibrate_on: Path | None, train: bool = True
                     ) -> dict[str, tuple[Arrays, np.ndarray, list[str]]]:
    """split → (arrays, group index per cell, group names): families for test, kinds for the OOD cells."""
    prefix = "gapped_" if get_spec(name).dataset.endswith("gapped") else ""
    out = {}
    for split in ("train", "val", "test")[0 if train else 1:]:
        raw = read_npz(data / f"{prefix}{split}.npz")
        out[split] = (task.arrays(raw), raw["family"], list(FAMILIES))
    if calibrate_on is not None:  # only the fits read the validation groups' arrays
        val, family, families = out["val"]
        extra = task.arrays(read_npz(calibrate_on))
        out["val"] = (Arrays.concatenate([val, extra]), np.concatenate([family, np.full(len(extra), -1)]), families)
    raw = read_npz(data / "ood.npz")
    out["ood"] = (task.arrays(raw), raw["kind"], [str(k) for k in raw["kinds"]])
    return out


def _magnet_splits(data: Path, task) -> dict[str, tuple[Arrays, np.ndarray, list[str]]]:
    """Heads on a subset of train; calibration on one random half of test, scores on the other: the checkpoint's
    validation states were drawn with |ψ|² from train, unlike the test states, so they would calibrate for
    another distribution."""
    train, _, test = npz_dir_splits(data / "magnet_6x4", seed=0, task=task)
    order = np.random.default_rng(0).permutation(len(test))
    half = len(test) // 2
    take = {"train": train.take(MAGNET_TRAIN, 0), "val": test.subset(np.sort(order[:half])),
            "test": test.subset(np.sort(order[half:]))}
    return {k: (a, np.zeros(len(a), int), ["square 6x4"]) for k, a in take.items()}


def _d4_variance(model, x: np.ndarray) -> np.ndarray:
    """Variance of a model's outputs over the 8 D4 copies of each cell (test-time augmentation)."""
    return np.stack([model.predict(c, batch_size=256, verbose=0)[1] for c in orbit(x, "d4")]).var(axis=0)


def _regression_scores(err: np.ndarray, stds: dict[str, np.ndarray], group: np.ndarray,
                       names: list[str]) -> dict:
    scores = {"n": len(err), "mae": float(np.mean(np.abs(err)))}
    for method, std in stds.items():
        scores[method] = {"coverage_2std": cal.coverage(err, std), "spearman": cal.spearman(std, err),
                          "nll": cal.gaussian_nll(err, std), "reliability": cal.reliability(err, std, NOMINAL).tolist()}
    scores["groups"] = {names[g]: {"n": int(np.sum(group == g)), "mae": float(np.mean(np.abs(err[group == g]))),
                                   **{m: {"coverage_2std": cal.coverage(err[group == g], s[group == g]),
                                          "spearman": cal.spearman(s[group == g], err[group == g])}
                                      for m, s in stds.items()}}
                        for g in np.unique(group)}
    return scores


def _sign_scores(y: np.ndarray, probs: dict[str, np.ndarray]) -> dict:
    y = np.ravel(y)
    out = {"n": len(y)}
    for method, p in probs.items():
        p = np.clip(np.ravel(p), 1e-12, 1 - 1e-12)
        out[method] = {"accuracy": float(np.mean((p > 0.5) == y)), "ece": cal.expected_calibration_error(p, y),
                       "log_loss": float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p))),
                       "spearman": cal.spearman(np.sqrt(p * (1 - p)), y - p)}
    return out


def study(name: str, data: Path, members: int, write: bool, checkpoints: list[Path],
          calibrate_on: Path | None = None, recalibrate: bool = False, shipped_mean: bool = False) -> dict:
    """Fit ``name``'s members and calibration (``recalibrate``: only the calibration, on the shipped members and
    training features) and score them against the alternatives; ``write`` ships them."""
    spec, task = get_spec(name), get_task(get_spec(name).task)
    began = time.perf_counter()
    model = features_and_outputs(load(name))
    kept = load_uncertainty(name) if recalibrate else None  # the shipped members and training features
    splits = _magnet_splits(data, task) if spec.task == "magnet" else _photonic_splits(data, name, task,
                                                                                        calibrate_on, not recalibrate)
    run = {k: [np.asarray(o, np.float64) for o in model.predict(a.x, batch_size=256, verbose=0)]
           for k, (a, _, _) in splits.items()}
    n_train = manifest()[name]["uncertainty"]["n_train"] if recalibrate else len(splits["train"][0])
    result: dict = {"task": spec.task, "members": len(kept.heads) if recalibrate else members,
                    "n_train": n_train, "n_val": len(splits["val"][0])}
    if checkpoints:  # the prediction becomes the deep ensemble's mean (or stays the checkpoint's: shipped_mean)
        others = [load(name, weights=p) for p in checkpoints]
        runs = {k: np.concatenate([run[k][1][None], member_outputs(others, a.x)])
                for k, (a, _, _) in splits.items() if k != "train"}
        result["checkpoints"] = len(checkpoints) + 1
        result["mae_shipped_checkpoint"] = {
            k: float(np.mean(np.abs(task.point_prediction(run[k][1], splits[k][0].x) - splits[k][0].y))) for k in runs}
        result["shipped_mean"] = shipped_mean
        for k, r in runs.items():
            run[k][1] = r[0] if shipped_mean else r.mean(axis=0)
        deep = {k: r.var(axis=0) for k, r in runs.items()}
    heads = kept.heads if recalibrate else train_heads(
        run["train"][0].astype(np.float32), splits["train"][0].y, spec.config, task.loss(), members=members, seed=0)
    var = {k: head_outputs(heads, f, spec.config).var(axis=0) for k, (f, _) in run.items()}
    if spec.task == "magnet":
        y = {k: a.y for k, (a, _, _) in splits.items()}
        fits = {"heads": cal.fit_sign(run["val"][1], var["val"], y["val"]),
                "temperature": cal.fit_sign(run["val"][1], var["val"], y["val"], spread=False)}
        result["test"] = _sign_scores(y["test"], {
            "raw": 1 / (1 + np.exp(-run["test"][1])),
            **{m: cal.sign_probability(run["test"][1], var["test"], f["temperature"], f["variance_weight"])
               for m, f in fits.items()}})
    else:
        err = {k: task.point_prediction(run[k][1], a.x) - a.y for k, (a, _, _) in splits.items()}
        spreads = {"heads": var, **({"deep_ensemble": deep} if checkpoints else {})}
        if spec.config.arch != "inv":  # the "inv" models are exactly D4-invariant: their spread is 0
            spreads["d4_tta"] = {k: _d4_variance(model, splits[k][0].x) for k in ("val", "test", "ood")}
        novelty = kept.novelty if recalibrate else Novelty.fit(run["train"][0])  # float16, as shipped
        knn = {k: novelty.distance2(f) for k, (f, _) in run.items()}
        spreads["knn"] = {k: np.repeat(v, var[k].shape[1], axis=1) for k, v in knn.items()}
        fits = {m: cal.fit_regression(v["val"], err["val"]) for m, v in spreads.items()}
        fits["constant"] = cal.fit_regression(var["val"], err["val"], spread=False)
        spread = deep if checkpoints else var  # what the shipped std is built on
        fits["combined"] = cal.fit_combined(spread["val"], knn["val"], err["val"])
        for split in ("test", "ood"):
            stds = {m: cal.regression_std((spreads.get(m) or var)[split], np.asarray(f["a"]), np.asarray(f["b"]))
                    for m, f in fits.items() if m != "combined"}
            stds["combined"] = cal.combined_std(spread[split], knn[split], fits["combined"])
            _, group, names = splits[split]
            result[split] = _regression_scores(err[split], stds, group, names)
    result["calibration"] = fits
    result["seconds"] = round(time.perf_counter() - began, 1)
    if write:
        _write(name, heads, checkpoints, fits["heads" if spec.task == "magnet" else "combined"], result,
               None if spec.task == "magnet" else novelty, recalibrate)
    return result


def _write(name: str, heads: list, checkpoints: list[Path], calibration: dict, result: dict,
           novelty: Novelty | None, recalibrated: bool = False) -> None:
    headline = {split: {k: ({m: x for m, x in v.items() if m != "reliability"} if isinstance(v, dict) else v)
                        for k, v in result[split].items() if k != "groups"}
                for split in ("test", "ood") if split in result}
    entries = manifest(WEIGHTS_DIR)
    command = "python benchmarks/trust_study.py " + " ".join(sys.argv[1:])
    if recalibrated:  # the training features (and the members unless checkpoints replace them): the earlier fit's;
        # an earlier recalibration is superseded, so only the fit's own command is kept before this one
        command = f"{entries[name]['uncertainty']['command'].split('; then ')[0]}; then {command}"
    if recalibrated and not checkpoints:
        entries[name]["uncertainty"].update(calibration=calibration, metrics=headline, command=command,
                                            n_val=result["n_val"])
        atomic_write_text(WEIGHTS_DIR / "manifest.json", _json(dict(sorted(entries.items())), indent=2))
        return
    folder = WEIGHTS_DIR / name
    stale = {*folder.glob("head_member_*.npz"), *folder.glob("ensemble_member_*.weights.h5")}
    files = []
    for i, checkpoint in enumerate(checkpoints, start=1):
        path = folder / f"ensemble_member_{i}.weights.h5"
        with atomic_path(path) as tmp:
            shutil.copyfile(checkpoint, tmp)
        files.append({"file": f"{name}/{path.name}", "sha256": sha256(path)})
    for i, head in enumerate([] if checkpoints else heads):
        path = folder / f"head_member_{i}.npz"
        save_head(path, head)
        files.append({"file": f"{name}/{path.name}", "sha256": sha256(path)})
    knn = {}
    if novelty is not None:
        path = WEIGHTS_DIR / name / "knn_features.npz"
        novelty.save(path)
        knn = {"knn": {"file": f"{name}/{path.name}", "sha256": sha256(path)}}
    members = (f"a deep ensemble of {len(checkpoints) + 1} whole checkpoints (this one and {len(checkpoints)} "
               "trained with their own seeds; the prediction is their mean)" if checkpoints
               else f"{len(heads)} bootstrap heads on the frozen trunk")
    entries[name]["uncertainty"] = {
        "method": members + ("" if novelty is None else " and the 5-NN distance to the training features") +
                  "; std calibrated on held-out cells (keras_imnn.uncertainty)",
        "checkpoints" if checkpoints else "members": files, **knn, "calibration": calibration, "metrics": headline,
        "command": command, "n_train": result["n_train"], "n_val": result["n_val"]}
    atomic_write_text(WEIGHTS_DIR / "manifest.json", _json(dict(sorted(entries.items())), indent=2))
    for path in stale - {WEIGHTS_DIR / f["file"] for f in files}:  # the other method's members, or more than now
        path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--names", nargs="+", default=[n for n in list_models() if n in manifest()])
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--checkpoints", nargs="+", type=Path, default=[],
                        help="weights files of more whole members of the one photonic name: a deep ensemble")
    parser.add_argument("--calibrate-on", type=Path,
                        help="cells of another OOD draw added to the photonic names' calibration cells")
    parser.add_argument("--recalibrate", action="store_true",
                        help="keep the shipped members and training features; refit only the calibration")
    parser.add_argument("--shipped-mean", action="store_true",
                        help="with --checkpoints: keep the shipped checkpoint's prediction, the spread is the std")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--results", type=Path, default=RESULTS, help="JSON file the scores are merged into")
    args = parser.parse_args()
    if args.shipped_mean and (args.write or not args.checkpoints):
        parser.error("--shipped-mean measures a deep ensemble's spread around the shipped prediction: it needs "
                     "--checkpoints, and predict() ships only the ensemble's mean, so not --write")
    if args.checkpoints and (len(args.names) != 1 or get_spec(args.names[0]).task == "magnet"):
        parser.error("--checkpoints belong to one photonic name: give exactly one --names")
    if absent := [str(f) for f in [*args.checkpoints, args.calibrate_on] if f is not None and not f.is_file()]:
        parser.error(f"no such file: {', '.join(absent)}")
    try:  # a results path that cannot be merged into fails now, not after the first name's minutes of fitting
        if not isinstance(read_json(args.results, default={}), dict):
            parser.error(f"--results {args.results} holds JSON that is not an object of {{name: scores}}")
    except (ValueError, OSError) as err:  # not JSON, or a folder
        parser.error(f"--results {args.results}: {err}")
    blocks = {n: manifest().get(n, {}).get("uncertainty") for n in args.names} if args.recalibrate else {}
    if missing := [n for n, block in blocks.items() if block is None]:
        parser.error(f"--recalibrate needs shipped members; none for {', '.join(missing)}")
    if (whole := [n for n, block in blocks.items() if "checkpoints" in block]) and not args.checkpoints:
        parser.error(f"--recalibrate of a deep ensemble ({', '.join(whole)}) needs its members as --checkpoints")
    for name in args.names:
        result = study(name, args.data, args.members, args.write, args.checkpoints, args.calibrate_on,
                       args.recalibrate, args.shipped_mean)
        results = read_json(args.results, default={})
        results[name] = result
        args.results.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.results, _json(results, indent=1))
        print(name, json.dumps({k: v for k, v in result.items() if k in ("seconds",)}), flush=True)


if __name__ == "__main__":
    main()
