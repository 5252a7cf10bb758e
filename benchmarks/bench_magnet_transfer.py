"""Transfer of a sign model to other lattices: zero-shot sign overlap, and after fine-tuning on a few states.

    PYTHONPATH=. python benchmarks/bench_magnet_transfer.py MODEL [--test square:4x6:0.5 square:4x4:0.5 ...]
        [--group d4] [--finetune-states 1000] [--freeze trunk none] [--epochs 100] [--patience 10]
        [--eval-states 20000] [--seed 0] [--cache-dir data/transfer_ed] [--out docs/transfer_MODEL.json]

MODEL is a zoo name (its pretrained checkpoint), a run folder of ``keras-imnn train`` (model.keras) or a
.keras file. ``--group`` rebuilds a zoo model with another point group and loads its checkpoint file into it
(the manifest's config check is skipped on purpose: e.g. the D2-trained magnet checkpoints averaged over D4 at
inference); the table says so.

For every test lattice (``lattice:LxxLy:J2``, default: the training lattice square 6x4 at J2 = 0.5, its
90°-rotated copy 4x6, 4x4 and 6x4 at J2 = 0) the ground state comes from exact diagonalization
(``physics.magnet.ed.ground_state``, all Sz = 0 states; up to ~30 spins). The fine-tuning states are drawn
∝ |ψ|² without replacement (``sampling.split_indices``, the ε-protocol of the datasets); the overlaps are
measured on the other states, the same ones before and after fine-tuning ("others": they leave out the
heaviest states, so they differ from lattice to lattice and from the zero-shot overlap on all states, which
the table also gives):

- exactly, Σ sgn·sgn_pred·|ψ|² / Σ|ψ|² over all of them, when there are at most ``--eval-states``;
- else on ``--eval-states`` of them drawn ∝ |ψ|² (with replacement): the mean of sgn·sgn_pred, an unbiased
  estimate of the same overlap with standard error sqrt((1 − o²)/n) (≤ 0.007 at n = 20 000).

Fine-tuning is ``keras_imnn.finetune`` (binary cross-entropy on the sign logit, 20 % of the states held out for
early stopping) from the loaded weights, once per ``--freeze`` mode: "trunk" trains the dense head only,
"none" every weight. The table also says whether every element of the model's point group maps the test
lattice's bonds onto those of its image (the lattice itself, or the Ly x Lx lattice for an element that
transposes a rectangle), and the largest |ψ|² weight whose sign one of the elements that map the lattice onto
itself flips: where it is above 0 no such invariant model can reach overlap 1 (the anisotropic triangular
lattice keeps only C2 and, across orientations, the diagonal mirrors: D2 and D4 do not fit it). Above 30 spins
(6x6) the ground state is the symmetric-sector one held as orbits, read from ``--ground-state-dir`` (the
``--out`` of ``benchmarks/magnet_36_spins.py``): every set is drawn through ``sampling.sample_states`` and the
sign violation is estimated on the drawn states. ``--cache-dir`` keeps each ground
state (states and amplitudes, 42 MB at 24 spins) for the next model.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

import keras_imnn
from keras_imnn.atomic import atomic_write_text, read_json
from keras_imnn.cli_options import point_group, positive_int
from keras_imnn.groups import group_elements, site_permutation
from keras_imnn.lattices import Torus
from keras_imnn.layers import GroupAverage
from keras_imnn.physics.magnet.ed import GroundState, ground_state, permute_states
from keras_imnn.physics.magnet.lattices import make_lattice, maps_bonds
from keras_imnn.physics.magnet.metrics import sign_overlap
from keras_imnn.physics.magnet.representatives import SymmetricGroundState, find_ground_state, ground_state_filename
from keras_imnn.physics.magnet.sampling import MAX_EXPANDED_SITES, sample_states, split_indices
from keras_imnn.training.settings import FINETUNE_DEFAULTS, TrainSettings, add_settings_options

DEFAULT_TESTS = ("square:6x4:0.5", "square:4x6:0.5", "square:4x4:0.5", "square:6x4:0")
FREEZES = ("trunk", "none")


def parse_lattice(text: str) -> tuple[str, tuple[int, int], float]:
    """``"square:4x6:0.5"`` → ("square", (4, 6), 0.5)."""
    match = re.fullmatch(r"(\w+):(\d+)x(\d+):([-+0-9.eE]+)", text)
    if not match:
        raise argparse.ArgumentTypeError(f"a test lattice is lattice:LxxLy:J2, e.g. square:4x6:0.5; got {text!r}")
    return match[1], (int(match[2]), int(match[3])), float(match[4])


def lattice_label(lattice: str, shape: tuple[int, int], j2: float) -> str:
    return f"{lattice} {shape[0]}x{shape[1]} J2={j2:g}"


class ModelSource:
    """Loads a fresh copy of the model under test (fine-tuning changes it) and says where it was trained."""

    def __init__(self, model: str, group: str | None) -> None:
        from keras_imnn.models.registry import WEIGHTS_DIR, get_spec, manifest

        self.model, self.group = model, group
        names = keras_imnn.list_models()
        if model in names:
            entry = manifest().get(model, {})
            self.trained_on = entry.get("dataset", get_spec(model).dataset).split("/")[-1]
            self.config = {**entry.get("config", {}), **({"group": group} if group else {})}
            self.weights = WEIGHTS_DIR / entry["file"] if group and entry.get("file") else None
            if group and self.weights is None:
                raise SystemExit(f"--group needs a pretrained checkpoint of {model}; the manifest lists none")
            self.label = model + (f" (its weights averaged over {group})" if group else "")
        else:
            if group:
                raise SystemExit("--group rebuilds a zoo model; a saved run keeps the group it was trained with")
            path = Path(model)
            run = (path if path.is_dir() else path.parent) / "run.json"
            record = read_json(run) if run.is_file() else {}
            self.trained_on = str(record.get("dataset", record.get("data", "?"))).split("/")[-1]
            self.config = record.get("config", {})
            self.label = str(model)

    def load(self) -> keras.Model:
        from keras_imnn.training.commands import load_model_or_name

        if self.group:
            return keras_imnn.load(self.model, weights=self.weights, group=self.group)
        return load_model_or_name(self.model)


def model_groups(model: keras.Model) -> list[str]:
    """The point groups the model is invariant under: its GroupAverage layers' and tied kernels' groups."""
    found: list[str] = []

    def walk(layer: Any) -> None:
        if isinstance(layer, GroupAverage):
            found.append(layer.group)
            walk(layer.layer)
        tied = getattr(layer, "tied_group", None)
        if tied:
            found.append(tied)
        for sub in getattr(layer, "layers", []):
            walk(sub)

    walk(model)
    return sorted(set(found))


def _name(g) -> str:
    return "[[{}, {}], [{}, {}]]".format(*g.matrix.ravel().tolist())


def group_check(groups: list[str], lattice: Torus, flipped: Callable[[np.ndarray], float]) -> dict[str, Any]:
    """Which elements do not map the lattice's bonds onto their image's, and the largest |ψ|² weight whose sign
    one of the others flips within the lattice (elements that transpose a rectangle change lattice: not counted).
    ``flipped(perm)``: the |ψ|² weight whose sign the site permutation ``perm`` changes."""
    shape = lattice.shape
    wrong, violation = [], 0.0
    for g in sorted({g for group in groups for g in group_elements(group)}):
        if not maps_bonds(lattice, g):
            wrong.append(_name(g))
        elif not g.transpose or shape[0] == shape[1]:
            violation = max(violation, flipped(site_permutation(g, shape)))
    return {"groups": groups, "group_fits": not wrong, "wrong_elements": wrong, "sign_violation": violation}


def overlap(model: keras.Model, x: np.ndarray, signs: np.ndarray, weights: np.ndarray | None) -> float:
    pred = (np.ravel(model.predict(x, batch_size=1024, verbose=0)) > 0).astype(np.int64)
    return float(sign_overlap(signs, pred, weights))


def cached_ground_state(lattice: str, shape: tuple[int, int], j2: float, cache_dir: str | None) -> GroundState:
    """``ed.ground_state`` (all real sectors, expanded), read from / written to ``cache_dir`` if given."""
    path = Path(cache_dir) / f"{lattice}_{shape[0]}x{shape[1]}_j2_{j2:g}.npz" if cache_dir else None
    if path is not None and path.exists():
        with np.load(path) as f:
            meta = json.loads(str(f["meta"]))
            return GroundState(lattice=make_lattice(lattice, shape), states=f["states"], amplitudes=f["amplitudes"],
                               **meta)
    gs = ground_state(lattice, shape, j2, progress=False)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {k: getattr(gs, k) for k in ("j1", "j2", "energy", "sector", "sector_dim", "sector_energies", "gap")}
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, states=gs.states, amplitudes=gs.amplitudes, meta=json.dumps(meta))
        tmp.replace(path)
    return gs


def exact_sets(gs: GroundState, args: argparse.Namespace) -> dict[str, Any]:
    """Fine-tuning, "others" and "all" sets of an expanded ground state (see the module docstring)."""
    weights, signs = gs.weights, gs.signs
    n_states = len(weights)
    tune = split_indices(weights, args.finetune_states / n_states, test_size=0, seed=args.seed)["train"]
    rest = np.setdiff1d(np.arange(n_states), tune, assume_unique=True)
    rng = np.random.default_rng(args.seed + 1)

    def eval_set(among: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, str]:
        """All of ``among`` with their |ψ|², or ``--eval-states`` of them drawn ∝ |ψ|² (unweighted)."""
        if len(among) <= args.eval_states:
            index, w, text = among, weights[among], f"exact, all {len(among)} {what}"
        else:
            index = np.sort(rng.choice(among, size=args.eval_states, replace=True,
                                       p=weights[among] / weights[among].sum()))
            w, text = None, f"{args.eval_states} {what} drawn ∝ ψ²"  # no "|": a Markdown cell
        return gs.spins(index).astype("float32"), signs[index], w, text

    def flipped(perm: np.ndarray) -> float:
        moved = signs[np.searchsorted(gs.states, permute_states(gs.states, perm))]
        return float(weights[moved != signs].sum() / weights.sum())

    return {"n_states": n_states, "gap": gs.gap, "tune": (gs.spins(tune).astype("float32"), signs[tune]),
            "others": eval_set(rest, "others"), "all": eval_set(np.arange(n_states), "states"),
            "group_check": lambda groups: group_check(groups, gs.lattice, flipped)}


def sampled_sets(gs: SymmetricGroundState, args: argparse.Namespace) -> dict[str, Any]:
    """The same sets from a ground state held as orbits (36 spins): fine-tuning states drawn ∝ |ψ|² without
    replacement, ``--eval-states`` drawn ∝ |ψ|² with replacement ("all"), and those of them not among the
    fine-tuning states ("others": drawn ∝ |ψ|² restricted to the rest, as for the exact sets)."""
    tune = sample_states(gs, args.finetune_states, seed=args.seed, replace=False)
    drawn = sample_states(gs, args.eval_states, seed=args.seed + 1)
    rest = ~np.isin(drawn.states, tune.states)
    spins = gs.spins(drawn.states).astype("float32")

    def flipped(perm: np.ndarray) -> float:
        """Estimated on the drawn states (drawn ∝ |ψ|²: the share whose sign ``perm`` changes)."""
        return float(np.mean(gs.signs_of(permute_states(drawn.states, perm)) != drawn.signs))

    return {"n_states": math.comb(gs.lattice.n_sites, gs.lattice.n_sites // 2), "gap": None,
            "tune": (gs.spins(tune.states).astype("float32"), tune.signs),
            "others": (spins[rest], drawn.signs[rest], None, f"{int(rest.sum())} others drawn ∝ ψ²"),
            "all": (spins, drawn.signs, None, f"{args.eval_states} states drawn ∝ ψ² (symmetric sector)"),
            "group_check": lambda groups: group_check(groups, gs.lattice, flipped)}


def load_sets(spec: tuple[str, tuple[int, int], float], args: argparse.Namespace) -> tuple[dict[str, Any], float]:
    """The sets of one test lattice and its energy: exact ED up to ``MAX_EXPANDED_SITES`` spins, else the
    orbit-representative ground state that ``benchmarks/magnet_36_spins.py`` wrote to ``--ground-state-dir``."""
    lattice, shape, j2 = spec
    if shape[0] * shape[1] <= MAX_EXPANDED_SITES:
        gs = cached_ground_state(lattice, shape, j2, args.cache_dir)
        return exact_sets(gs, args), gs.energy
    gs = find_ground_state(lattice, shape, j2, folder=args.ground_state_dir)
    if gs is None:
        raise SystemExit(f"{lattice_label(*spec)}: no ground state "
                         f"{Path(args.ground_state_dir) / ground_state_filename(lattice, shape, j2)}; make it with "
                         f"benchmarks/magnet_36_spins.py --out {args.ground_state_dir} --j2 {j2:g}")
    return sampled_sets(gs, args), gs.energy


def run_lattice(source: ModelSource, spec: tuple[str, tuple[int, int], float], args: argparse.Namespace
                ) -> dict[str, Any]:
    start = time.perf_counter()
    sets, energy = load_sets(spec, args)
    record: dict[str, Any] = {"train": source.trained_on, "test": lattice_label(*spec), "n_states": sets["n_states"],
                              "energy": energy, "gap": sets["gap"]}
    x_eval, y_eval, eval_weights, record["eval"] = sets["others"]
    x_all, y_all, all_weights, record["eval_all"] = sets["all"]
    x_tune, y_tune = sets["tune"]
    record["n_finetune"] = len(y_tune)
    record["ground_state_seconds"] = round(time.perf_counter() - start, 1)

    model = source.load()
    record.update(sets["group_check"](model_groups(model)))
    try:
        record["zero_shot_all"] = overlap(model, x_all, y_all, all_weights)
        record["zero_shot"] = overlap(model, x_eval, y_eval, eval_weights)
    except ValueError as err:  # e.g. a fixed-size model on another lattice
        record["error"] = str(err).splitlines()[0]
        return record
    for key, w, n in (("zero_shot", eval_weights, len(y_eval)), ("zero_shot_all", all_weights, len(y_all))):
        if w is None:
            record[f"{key}_standard_error"] = float(np.sqrt(max(0.0, 1 - record[key] ** 2) / n))
    for freeze in args.freeze:
        start = time.perf_counter()
        tuned, history = keras_imnn.finetune(source.load(), x_tune, y_tune, task="magnet", freeze=freeze,
                                             settings=TrainSettings.from_args(args, verbose=0))
        record[f"finetuned_{freeze}"] = overlap(tuned, x_eval, y_eval, eval_weights)
        record[f"finetuned_{freeze}_epochs"] = len(history.history["loss"])
        record[f"finetuned_{freeze}_seconds"] = round(time.perf_counter() - start, 1)
    return record


def markdown(records: list[dict[str, Any]], freezes: list[str], n_finetune: int) -> str:
    heads = {"trunk": f"fine-tuned head ({n_finetune})", "none": f"fine-tuned all ({n_finetune})"}
    columns = ["train", "test", "group (fits?)", "sign violation", "zero-shot, all states", "zero-shot, others",
               *(heads[f] + ", others" for f in freezes), "eval"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]

    def value(r: dict[str, Any], key: str) -> str:
        se = r.get(f"{key}_standard_error")
        return f"{r[key]:.3f}" + ("" if se is None else f" ± {se:.3f}")

    for r in records:
        fits = "yes" if r["group_fits"] else "NO: " + ", ".join(r["wrong_elements"])
        cells = [r["train"], r["test"], f"{'+'.join(r['groups']) or 'none'} ({fits})", f"{r['sign_violation']:.3f}"]
        if "error" in r:
            cells += [f"n/a: {r['error']}"] + ["n/a"] * (1 + len(freezes))
        else:
            cells += [value(r, "zero_shot_all"), value(r, "zero_shot")]
            cells += [f"{r[f'finetuned_{f}']:.3f} ({r[f'finetuned_{f}_epochs']} ep)" for f in freezes]
        lines.append("| " + " | ".join([*cells, f"{r['eval_all']}; {r['eval']}"]) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="zoo name (pretrained), run folder or .keras file")
    parser.add_argument("--test", nargs="+", type=parse_lattice, default=[parse_lattice(t) for t in DEFAULT_TESTS],
                        metavar="LATTICE:LxxLy:J2", help=f"test lattices (default: {' '.join(DEFAULT_TESTS)})")
    parser.add_argument("--group", type=point_group,
                        help="rebuild the zoo model with this point group and load its checkpoint file")
    parser.add_argument("--finetune-states", type=positive_int, default=1000)
    parser.add_argument("--freeze", nargs="*", choices=FREEZES, default=list(FREEZES),
                        help="fine-tuning modes (none given: zero-shot only)")
    add_settings_options(parser, defaults=FINETUNE_DEFAULTS)
    parser.add_argument("--eval-states", type=positive_int, default=20000)
    parser.add_argument("--cache-dir", help="keep the ground states here (npz) for the next run")
    parser.add_argument("--ground-state-dir", default="out/magnet_36",
                        help=f"where benchmarks/magnet_36_spins.py wrote the ground states of lattices above "
                             f"{MAX_EXPANDED_SITES} spins (its --out)")
    parser.add_argument("--out", help="JSON file (default: transfer_<model>.json in the working directory)")
    args = parser.parse_args()

    source = ModelSource(args.model, args.group)
    out = Path(args.out or f"transfer_{Path(args.model).stem}{'_' + args.group if args.group else ''}.json")
    start = time.perf_counter()
    records = []
    for spec in args.test:
        records.append(run_lattice(source, spec, args))
        print(f"{lattice_label(*spec)}: {json.dumps({k: v for k, v in records[-1].items() if k != 'train'})}",
              flush=True)
    table = markdown(records, args.freeze, args.finetune_states)
    print(f"\n{source.label}, trained on {source.trained_on}\n\n{table}\n\ntotal {time.perf_counter() - start:.0f} s")
    result = {"model": args.model, "label": source.label, "trained_on": source.trained_on, "config": source.config,
              "settings": {k: v for k, v in vars(args).items() if k not in ("model", "test")},
              "backend": keras.backend.backend(), "records": records, "table": table}
    atomic_write_text(out, json.dumps(result, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
