"""Ship a checkpoint trained into another weights folder: copy it into ``weights/`` and take over its manifest entry.

    python -m keras_imnn.training.install CANDIDATE_DIR NAME [--data TEXT] [--test-npz GENERAL.npz [MORE.npz ...]]

CANDIDATE_DIR is the ``--weights-dir`` of a ``python -m keras_imnn.training.checkpoints`` run. A fine-tune must have
started from the checkpoint it replaces (its ``initial_weights`` sha256 is the shipped one), so that the entry's
history stays true. ``--test-npz`` rescores the candidate: ``test_metrics`` on the first file (the test cells the
zoo's other checkpoints are compared on), ``test_metrics_by_family`` on all of them. The shipped uncertainty
block belongs to the replaced trunk, so it is dropped (``predict`` then returns a NaN std) until
``benchmarks/trust_study.py --names NAME --write`` refits it on the new one.
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

from keras_imnn.arrays import Arrays
from keras_imnn.atomic import atomic_path
from keras_imnn.models.registry import WEIGHTS_DIR, check_sha256, get_spec, load, pretrained_entry
from keras_imnn.models.registry import manifest as read_manifest
from keras_imnn.npz import read_npz
from keras_imnn.physics.photonic.cells import FAMILIES
from keras_imnn.tasks import get_task
from keras_imnn.training.checkpoints import record_checkpoint
from keras_imnn.training.loop.evaluation import evaluate_arrays, evaluate_by_group


def rescore(name: str, weights: Path, test_files: list[Path]) -> dict:
    """``test_metrics`` of ``weights`` on the first file's cells, ``test_metrics_by_family`` on all of them."""
    task = get_task(get_spec(name).task)
    model = load(name, weights=weights)
    raw = [read_npz(f, required=("family",), made_by="`keras-imnn generate photonic`") for f in test_files]
    first = task.arrays(raw[0])
    every = Arrays.concatenate([task.arrays(r) for r in raw])
    family = np.asarray(FAMILIES)[np.concatenate([r["family"] for r in raw])]
    return {"n_test": len(first), "test_metrics": evaluate_arrays(model, first, task),
            "test_metrics_by_family": evaluate_by_group(model, every, task, family)}


def install(candidate_dir: Path, name: str, *, data: str | None = None, test_files: list[Path] = (),
            weights_dir: Path = WEIGHTS_DIR) -> dict:
    """Copy ``name``'s checkpoint from ``candidate_dir`` into ``weights_dir`` and record its entry there."""
    entry, root = pretrained_entry(name, candidate_dir)  # checked as load checks the shipped ones
    source = root / entry["file"]
    check_sha256(source, entry["sha256"])
    shipped = read_manifest(weights_dir).get(name)
    started = entry.get("initial_weights", {}).get("sha256")
    if shipped is not None and started is not None and started != shipped["sha256"]:
        raise ValueError(f"{name} in {candidate_dir} started from weights {started[:12]}…, not from the shipped "
                         f"checkpoint {shipped['sha256'][:12]}…: its entry's history would be false")
    entry = {k: v for k, v in entry.items() if k != "uncertainty"}
    if started is not None:
        entry["initial_weights"] = {"file": f"{entry['file']} (previous)", "sha256": started}
    if data is not None:
        entry["data"] = data
    if test_files:
        entry.update(rescore(name, source, list(test_files)))
    target = weights_dir / entry["file"]
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
    return record_checkpoint(weights_dir, name, entry)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("candidate_dir", type=Path, help="the --weights-dir the checkpoint was trained into")
    parser.add_argument("name", help="zoo name")
    parser.add_argument("--data", help="the entry's description of its training data (default: the candidate's)")
    parser.add_argument("--test-npz", nargs="+", type=Path, default=[],
                        help="rescore on these generated cells: headline on the first, per family on all")
    parser.add_argument("--weights-dir", type=Path, default=WEIGHTS_DIR)
    args = parser.parse_args(argv)
    get_spec(args.name)  # an unknown name fails here with the accepted ones
    if absent := [str(f) for f in [args.candidate_dir / "manifest.json", *args.test_npz] if not f.is_file()]:
        parser.error(f"no such file: {', '.join(absent)}")
    entry = install(args.candidate_dir, args.name, data=args.data, test_files=args.test_npz,
                    weights_dir=args.weights_dir)
    print(json.dumps({args.name: {k: entry[k] for k in ("file", "sha256", "test_metrics") if k in entry}}, indent=2))
    print(f"installed; refit its uncertainty: python benchmarks/trust_study.py --names {args.name} --write ...")


if __name__ == "__main__":
    from keras_imnn.cli_options import report_user_errors

    raise SystemExit(report_user_errors("install", main))
