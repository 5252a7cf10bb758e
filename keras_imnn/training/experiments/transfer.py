"""Transfer of a sign model to other lattices: zero-shot sign overlap, and after fine-tuning on a few states.

For every test lattice the ground state comes from exact diagonalization (``physics.magnet.ed.ground_state``,
all Sz = 0 states; up to ``MAX_EXPANDED_SITES`` spins). The fine-tuning states are drawn ∝ |ψ|² without
replacement (``sampling.split_indices``, the ε-protocol of the datasets); the overlaps are measured on the other
states, the same ones before and after fine-tuning ("others": they leave out the heaviest states, so they differ
from lattice to lattice and from the zero-shot overlap on all states, which the table also gives):

- exactly, Σ sgn·sgn_pred·|ψ|² / Σ|ψ|² over all of them, when there are at most ``eval_states``;
- else on ``eval_states`` of them drawn ∝ |ψ|² (with replacement): the mean of sgn·sgn_pred, an unbiased
  estimate of the same overlap with standard error sqrt((1 − o²)/n) (≤ 0.007 at n = 20 000).

Fine-tuning is ``keras_imnn.finetune`` (binary cross-entropy on the sign logit, 20 % of the states held out for
early stopping) from the loaded weights, once per freeze mode: "trunk" trains the dense head only, "none" every
weight. The table also says whether every element of the model's point group maps the test lattice's bonds onto
those of its image (the lattice itself, or the Ly x Lx lattice for an element that transposes a rectangle), and
the largest |ψ|² weight whose sign one of the elements that map the lattice onto itself flips: where it is above 0
no such invariant model can reach overlap 1 (the anisotropic triangular lattice keeps only C2 and, across
orientations, the diagonal mirrors: D2 and D4 do not fit it). Above ``MAX_EXPANDED_SITES`` spins (6x6) the ground
state is the symmetric-sector one held as orbits, written by ``benchmarks/magnet_36_spins.py``: every set is drawn
through ``sampling.sample_states`` and the sign violation is estimated on the drawn states.
``benchmarks/bench_magnet_transfer.py`` is the command line.
"""
from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

import keras_imnn
from keras_imnn.atomic import read_json
from keras_imnn.groups import group_elements, site_permutation
from keras_imnn.lattices import Torus
from keras_imnn.layers import GroupAverage
from keras_imnn.physics.magnet.ed import GroundState, ground_state, permute_states
from keras_imnn.physics.magnet.lattices import make_lattice, maps_bonds
from keras_imnn.physics.magnet.metrics import sign_overlap
from keras_imnn.physics.magnet.representatives import SymmetricGroundState, find_ground_state, ground_state_filename
from keras_imnn.physics.magnet.sampling import MAX_EXPANDED_SITES, sample_states, split_indices
from keras_imnn.training.experiments.generalization import Point, point_label
from keras_imnn.training.settings import TrainSettings
from keras_imnn.training.size_transfer import overlap_standard_error, predict_signs

#: Fine-tuning modes: "trunk" trains the dense head only, "none" every weight.
FREEZES = ("trunk", "none")


class ModelSource:
    """Loads a fresh copy of the model under test (fine-tuning changes it) and says where it was trained.

    ``model``: a zoo name (its pretrained checkpoint), a run folder of ``keras-imnn train`` or a .keras file;
    ``group``: rebuild the zoo model with this point group and load its checkpoint file into it (the manifest's
    config check skipped on purpose). ValueError when ``group`` is given for a saved run or a model without
    checkpoint.
    """

    def __init__(self, model: str, group: str | None = None) -> None:
        from keras_imnn.models.registry import WEIGHTS_DIR, get_spec, manifest

        self.model, self.group = model, group
        names = keras_imnn.list_models()
        if model in names:
            entry = manifest().get(model, {})
            self.trained_on = entry.get("dataset", get_spec(model).dataset).split("/")[-1]
            self.config = {**entry.get("config", {}), **({"group": group} if group else {})}
            self.weights = WEIGHTS_DIR / entry["file"] if group and entry.get("file") else None
            if group and self.weights is None:
                raise ValueError(f"--group needs a pretrained checkpoint of {model}; the manifest lists none")
            self.label = model + (f" (its weights averaged over {group})" if group else "")
        else:
            if group:
                raise ValueError("--group rebuilds a zoo model; a saved run keeps the group it was trained with")
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
    """The sign overlap of ``model`` on spins ``x`` ``(n, Lx, Ly, 1)`` with 0/1 ``signs`` ``(n,)``, weighted by |ψ|²
    ``weights`` ``(n,)`` (None: states drawn ∝ |ψ|², the plain mean)."""
    return float(sign_overlap(signs, predict_signs(model, x), weights))


def cached_ground_state(lattice: str, shape: tuple[int, int], j2: float, cache_dir: str | None = None
                        ) -> GroundState:
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


def exact_sets(gs: GroundState, *, finetune_states: int, eval_states: int, seed: int) -> dict[str, Any]:
    """Fine-tuning, "others" and "all" sets of an expanded ground state (see the module docstring).

    Returns ``{"n_states", "gap", "tune": (x, signs), "others": (x, signs, weights, text), "all": (...),
    "group_check": groups → group_check's dict}``; ``x``: ``(n, Lx, Ly, 1)`` float32 spins, ``signs``: ``(n,)`` 0/1,
    ``weights``: ``(n,)`` |ψ|² (None where drawn ∝ |ψ|²), ``text``: how the states were chosen.
    """
    weights, signs = gs.weights, gs.signs
    n_states = len(weights)
    tune = split_indices(weights, finetune_states / n_states, test_size=0, seed=seed)["train"]
    rest = np.setdiff1d(np.arange(n_states), tune, assume_unique=True)
    rng = np.random.default_rng(seed + 1)

    def eval_set(among: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, str]:
        """All of ``among`` with their |ψ|², or ``eval_states`` of them drawn ∝ |ψ|² (unweighted)."""
        if len(among) <= eval_states:
            index, w, text = among, weights[among], f"exact, all {len(among)} {what}"
        else:
            index = np.sort(rng.choice(among, size=eval_states, replace=True,
                                       p=weights[among] / weights[among].sum()))
            w, text = None, f"{eval_states} {what} drawn ∝ ψ²"  # no "|": a Markdown cell
        return gs.spins(index).astype("float32"), signs[index], w, text

    def flipped(perm: np.ndarray) -> float:
        moved = signs[np.searchsorted(gs.states, permute_states(gs.states, perm))]
        return float(weights[moved != signs].sum() / weights.sum())

    return {"n_states": n_states, "gap": gs.gap, "tune": (gs.spins(tune).astype("float32"), signs[tune]),
            "others": eval_set(rest, "others"), "all": eval_set(np.arange(n_states), "states"),
            "group_check": lambda groups: group_check(groups, gs.lattice, flipped)}


def sampled_sets(gs: SymmetricGroundState, *, finetune_states: int, eval_states: int, seed: int) -> dict[str, Any]:
    """``exact_sets``' sets from a ground state held as orbits (36 spins): fine-tuning states drawn ∝ |ψ|² without
    replacement, ``eval_states`` drawn ∝ |ψ|² with replacement ("all"), and those of them not among the
    fine-tuning states ("others": drawn ∝ |ψ|² restricted to the rest, as for the exact sets)."""
    tune = sample_states(gs, finetune_states, seed=seed, replace=False)
    drawn = sample_states(gs, eval_states, seed=seed + 1)
    rest = ~np.isin(drawn.states, tune.states)
    spins = gs.spins(drawn.states).astype("float32")

    def flipped(perm: np.ndarray) -> float:
        """Estimated on the drawn states (drawn ∝ |ψ|²: the share whose sign ``perm`` changes)."""
        return float(np.mean(gs.signs_of(permute_states(drawn.states, perm)) != drawn.signs))

    return {"n_states": math.comb(gs.lattice.n_sites, gs.lattice.n_sites // 2), "gap": None,
            "tune": (gs.spins(tune.states).astype("float32"), tune.signs),
            "others": (spins[rest], drawn.signs[rest], None, f"{int(rest.sum())} others drawn ∝ ψ²"),
            "all": (spins, drawn.signs, None, f"{eval_states} states drawn ∝ ψ² (symmetric sector)"),
            "group_check": lambda groups: group_check(groups, gs.lattice, flipped)}


def load_sets(spec: Point, *, finetune_states: int, eval_states: int, seed: int, cache_dir: str | None = None,
              ground_state_dir: str | Path) -> tuple[dict[str, Any], float]:
    """The sets of one test lattice ``(lattice, (Lx, Ly), J2)`` and its energy: exact ED up to
    ``MAX_EXPANDED_SITES`` spins (kept in ``cache_dir`` if given), else the orbit-representative ground state that
    ``benchmarks/magnet_36_spins.py`` wrote to ``ground_state_dir`` (FileNotFoundError naming that command when it
    is missing)."""
    lattice, shape, j2 = spec
    sizes = {"finetune_states": finetune_states, "eval_states": eval_states, "seed": seed}
    if shape[0] * shape[1] <= MAX_EXPANDED_SITES:
        gs = cached_ground_state(lattice, shape, j2, cache_dir)
        return exact_sets(gs, **sizes), gs.energy
    gs = find_ground_state(lattice, shape, j2, folder=ground_state_dir)
    if gs is None:
        raise FileNotFoundError(f"{point_label(*spec)}: no ground state "
                                f"{Path(ground_state_dir) / ground_state_filename(lattice, shape, j2)}; make it with "
                                f"benchmarks/magnet_36_spins.py --out {ground_state_dir} --j2 {j2:g}")
    return sampled_sets(gs, **sizes), gs.energy


def run_lattice(source: ModelSource, spec: Point, *, freezes: Sequence[str], settings: TrainSettings,
                finetune_states: int, eval_states: int, seed: int, cache_dir: str | None = None,
                ground_state_dir: str | Path) -> dict[str, Any]:
    """One row of the table: the test lattice ``spec``'s sets (``load_sets``), the group check, the zero-shot
    overlaps (or ``"error"`` where the model does not take the lattice) and, per mode of ``freezes`` (of
    ``FREEZES``), the overlap on "others" after ``keras_imnn.finetune`` with ``settings``."""
    start = time.perf_counter()
    sets, energy = load_sets(spec, finetune_states=finetune_states, eval_states=eval_states, seed=seed,
                             cache_dir=cache_dir, ground_state_dir=ground_state_dir)
    record: dict[str, Any] = {"train": source.trained_on, "test": point_label(*spec), "n_states": sets["n_states"],
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
            record[f"{key}_standard_error"] = overlap_standard_error(record[key], n)
    for freeze in freezes:
        start = time.perf_counter()
        tuned, history = keras_imnn.finetune(source.load(), x_tune, y_tune, task="magnet", freeze=freeze,
                                             settings=settings)
        record[f"finetuned_{freeze}"] = overlap(tuned, x_eval, y_eval, eval_weights)
        record[f"finetuned_{freeze}_epochs"] = len(history.history["loss"])
        record[f"finetuned_{freeze}_seconds"] = round(time.perf_counter() - start, 1)
    return record


def markdown(records: list[dict[str, Any]], freezes: Sequence[str], n_finetune: int) -> str:
    """The Markdown table of ``run_lattice``'s records, one row per test lattice."""
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
