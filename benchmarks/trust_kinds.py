"""Per-kind errors of the flagship and the band-edge model, before and after fine-tuning on ``varied`` cells.

    python benchmarks/trust_kinds.py --data DIR --label before [--weights-dir weights]

DIR holds ``ood.npz`` (benchmarks/trust_ood_cells.py: seven kinds drawn by their own code, not the generator's),
``varied_test.npz`` and the general ``test.npz`` (benchmarks/trust_data.py). Scores each group (OOD kind, or
family of the test cells) with the task's own metrics (``evaluate_by_group``): photonic_inv_dilated's TM gap
MAE, photonic_edges_inv_dilated's median relative error of TM and TE bands 1-4. ``--weights-dir`` loads the
checkpoint from another folder (a candidate before it is shipped; otherwise a name shipped as a deep ensemble is
scored on its members' mean, as ``keras_imnn.predict`` gives it); ``--names`` scores only these models.
Results merge into docs/trust/kinds.json under ``--label`` (by model name); ``--table`` prints the Markdown table of
every label.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from keras_imnn.atomic import atomic_write_text, read_json
from keras_imnn.models.registry import get_spec, load
from keras_imnn.npz import read_npz
from keras_imnn.physics.photonic.cells import FAMILIES
from keras_imnn.tasks import get_task
from keras_imnn.training.loop.evaluation import evaluate_by_group
from keras_imnn.uncertainty.ensemble import averaged
from keras_imnn.uncertainty.shipped import load_uncertainty

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "trust" / "kinds.json"
METRICS = {"photonic_inv_dilated": ("mae",),
           "photonic_edges_inv_dilated": ("tm_bands_1_4_median_rel_err", "te_bands_1_4_median_rel_err")}


def _model(name: str, weights_dir: Path | None):
    """The shipped prediction (a deep ensemble's mean where the name ships one), or a candidate checkpoint."""
    if weights_dir is not None:
        return load(name, weights=weights_dir / name / "model.weights.h5")
    uncertainty = load_uncertainty(name)
    members = uncertainty.checkpoints if uncertainty else []
    return averaged([load(name), *members], name) if members else load(name)


def groups(data: Path) -> dict[str, tuple[dict, np.ndarray]]:
    """split → (raw arrays, group name of each cell)."""
    out = {}
    ood = read_npz(data / "ood.npz")
    out["ood"] = (ood, np.asarray([str(k) for k in ood["kinds"]])[ood["kind"]])
    for split, file in (("varied test", "varied_test.npz"), ("pairs test", "pairs_test.npz"),
                        ("general test", "test.npz")):
        if split == "pairs test" and not (data / file).exists():  # drawn for the later fine-tunes only
            continue
        raw = read_npz(data / file)
        out[split] = (raw, np.asarray(FAMILIES)[raw["family"]])
    return out


def score(weights_dir: Path | None, data: Path, names: list[str]) -> dict:
    result = {}
    splits = groups(data)
    for name in names:
        keys = METRICS[name]
        task = get_task(get_spec(name).task)
        model = _model(name, weights_dir)
        result[name] = {}
        for split, (raw, group) in splits.items():
            arrays = task.arrays(raw)
            by_group = evaluate_by_group(model, arrays, task, group)
            by_group["all"] = evaluate_by_group(model, arrays, task, np.zeros(len(arrays), int))["0"]
            result[name][split] = {g: {k: m[k] for k in keys} | {"n": int(np.sum(group == g)) if g != "all"
                                                                else len(arrays)} for g, m in by_group.items()}
    return result


def table(results: dict) -> str:
    labels = list(results)
    lines = [f"| model | split | kind | n | {' | '.join(labels)} |", "|---|---|---|---|" + "---|" * len(labels)]
    grouped: dict[tuple[str, str], dict[str, int]] = {}  # (model, split) -> kind -> n, over every label
    for result in results.values():
        for name, splits in result.items():
            for split, kinds in splits.items():
                for kind, m in kinds.items():
                    grouped.setdefault((name, split), {}).setdefault(kind, m["n"])
    names = list(dict.fromkeys(name for name, _ in grouped))
    for name, split in sorted(grouped, key=lambda key: names.index(key[0])):  # stable: splits keep their order
        kinds = grouped[name, split]
        for kind, n in kinds.items():
            if kind == "all" and len(kinds) == 2:  # one kind: its "all" row would repeat it
                continue
            cells = []
            for label in labels:
                r = results[label].get(name, {}).get(split, {}).get(kind)
                cells.append("–" if r is None else " / ".join(
                    f"{r[k]:.4f}" if k == "mae" else f"{100 * r[k]:.1f} %" for k in METRICS[name]))
            lines.append(f"| {name} | {split} | {kind} | {n} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--label")
    parser.add_argument("--weights-dir", type=Path)
    parser.add_argument("--names", nargs="+", choices=list(METRICS), default=list(METRICS))
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    results = read_json(RESULTS, default={})
    if args.label:
        results.setdefault(args.label, {}).update(score(args.weights_dir, args.data, args.names))
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(RESULTS, json.dumps(results, indent=1) + "\n")
    if args.table:
        print(table(results))


if __name__ == "__main__":
    main()
