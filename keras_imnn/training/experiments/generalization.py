"""Sign generalization across a J2 scan: the protocol of Westerhout et al., Nat. Commun. 11, 1593 (2020).

For every lattice and J2 the ground state's Sz = 0 basis is split exactly as ``keras-imnn generate
magnet`` and the ``frustrated_magnets`` builder split it (``physics.magnet.sampling.split_indices``):
train = a fraction ε drawn ∝ |ψ|², test = states drawn uniformly from the rest; 10 % of train is held
out for early stopping (``hold_out_validation``, as for those datasets). A point's ground-state
quantities and splits are cached as one .npz (``scan_point``). Each (model, seed) at each point is
one ``comparison.run_variants`` run, labelled ``"<model> @ <lattice> <Lx>x<Ly> J2=<j2>"`` in one
results file, so that file is resumed run by run; ``run_scan`` goes seed-major over all points.
``scan_tables`` and ``plot_scan`` summarize it per lattice (``comparison.summarize``'s mean ± std).
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from keras_imnn.arrays import Arrays
from keras_imnn.atomic import atomic_path, atomic_write_text, read_json
from keras_imnn.tasks.magnet_sign import MAGNET_SIGN
from keras_imnn.training.data.splits import hold_out_validation
from keras_imnn.training.data.task_data import TaskData
from keras_imnn.training.settings import TrainSettings

#: The J2 / J1 values of the generalization scans (6×4): square up to 1.0, anisotropic triangular up to 1.4.
SCAN_J2 = {"square": tuple(round(0.1 * k, 1) for k in range(11)),
           "triangular": tuple(round(0.2 * k, 1) for k in range(8))}
#: The models of the scan: Westerhout et al.'s dense baseline, the plain CNN and the two invariant ones.
SCAN_MODELS = ("magnet_dense", "magnet_cnn", "magnet_inv", "magnet_inv_dilated")

Point = tuple[str, tuple[int, int], float]  # (lattice, (Lx, Ly), J2)


def point_label(lattice: str, shape: Sequence[int], j2: float) -> str:
    return f"{lattice} {shape[0]}x{shape[1]} J2={j2:g}"


def run_label(model: str, point: Point) -> str:
    """The ``variant`` label of a run in the results file: the model at one scan point."""
    return f"{model} @ {point_label(*point)}"


def lattice_group(lattice: str, shape: Sequence[int]) -> str:
    """The largest point group of ``keras_imnn.groups.GROUPS`` whose elements map the lattice's J1 and J2
    bonds onto themselves: what the invariant models average over (square 6×4: "d2", square 4×4:
    "d4", anisotropic triangular: "c2"; the J2 bonds count even at J2 = 0, so one model serves a scan)."""
    from keras_imnn.groups import GROUPS, SQUARE_ONLY
    from keras_imnn.physics.magnet.lattices import preserving_groups

    # On a rectangle the transposing groups map it onto its rotated copy: not a group of the lattice itself.
    fitting = [name for name in preserving_groups(lattice, shape) if not (name in SQUARE_ONLY and shape[0] != shape[1])]
    return max(fitting, key=lambda name: len(GROUPS[name]))  # "trivial" always fits


def sign_invariance_violation(gs: Any, group: str) -> float:
    """Largest |ψ|² weight of states whose sign a translation (Tx, Ty) or an element of ``group`` flips.

    0 when the sign structure is invariant under the translations and ``group``, so that an invariant
    model can represent it exactly; otherwise the sign overlap of such a model is bounded below 1.
    """
    from keras_imnn.groups import group_elements, site_permutation
    from keras_imnn.physics.magnet.ed import permute_states

    states, amplitudes, weights = gs.states, gs.amplitudes, gs.weights
    perms = [*gs.lattice.translations.values(),
             *(site_permutation(g, gs.lattice.shape) for g in group_elements(group)[1:])]
    negative = amplitudes < 0
    worst = 0.0
    for perm in perms:
        moved = negative[np.searchsorted(states, permute_states(states, perm))]
        worst = max(worst, float(weights[moved != negative].sum() / weights.sum()))
    return worst


@dataclass
class ScanPoint:
    """The data of one (lattice, shape, J2): train / validation / test arrays and the ground state's
    quantities (``meta``: energy, gap, sector, Marshall and invariance violation, split sizes)."""

    train: Arrays
    validation: Arrays
    test: Arrays
    meta: dict[str, Any]

    def task_data(self) -> TaskData:
        """The splits as ``TaskData`` of the magnet sign task on the point's lattice."""
        lattice, shape = self.meta["lattice"], tuple(self.meta["shape"])
        return TaskData(self.train, self.validation, self.test, MAGNET_SIGN, (lattice, shape),
                        point_label(lattice, shape, self.meta["j2"]))


def _cache_name(lattice: str, shape: Sequence[int], j2: float, train_fraction: float, test_size: int,
                split_seed: int) -> str:
    return f"{lattice}_{shape[0]}x{shape[1]}_j2_{j2:g}_eps_{train_fraction:g}_test_{test_size}_seed_{split_seed}.npz"


def scan_point(lattice: str, shape: Sequence[int], j2: float, *, train_fraction: float = 0.01,
               test_size: int = 5000, split_seed: int = 0, cache_dir: str | Path | None = None) -> ScanPoint:
    """The ground state of ``lattice`` ``shape`` at ``j2`` (ED over all real sectors) and its ε-split.

    With ``cache_dir``, the splits' states, signs and |ψ|² and the ground-state quantities are kept in
    ``cache_dir/<lattice>_<Lx>x<Ly>_j2_<j2>_eps_<ε>_test_<n>_seed_<s>.npz`` (written atomically) and read
    back from there next time. Validation = 10 % of train, seeded by ``split_seed`` (as the datasets).
    """
    shape = (int(shape[0]), int(shape[1]))
    name = _cache_name(lattice, shape, j2, train_fraction, test_size, split_seed)
    path = Path(cache_dir) / name if cache_dir is not None else None
    if path is not None and path.exists():
        with np.load(path) as f:
            data = {k: f[k] for k in f.files}
        meta = json.loads(str(data.pop("meta")))
    else:
        data, meta = _compute_point(lattice, shape, j2, train_fraction, test_size, split_seed)
        if path is not None:
            with atomic_path(path) as tmp:
                np.savez(tmp, meta=json.dumps(meta), **data)
    asked = {"lattice": lattice, "shape": list(shape), "j2": float(j2), "train_fraction": train_fraction,
             "test_size": test_size, "split_seed": split_seed}
    differ = {k: (meta.get(k), v) for k, v in asked.items() if meta.get(k) != v}
    if differ:
        raise ValueError(f"{path} holds another scan point (stored, asked: {differ}); delete it")
    train = _arrays(data, "train", shape)
    train, validation = hold_out_validation(train, split_seed)
    return ScanPoint(train, validation, _arrays(data, "test", shape), meta)


def _compute_point(lattice: str, shape: tuple[int, int], j2: float, train_fraction: float, test_size: int,
                   split_seed: int) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    from keras_imnn.physics.magnet.ed import ground_state, sector_label
    from keras_imnn.physics.magnet.sampling import split_indices
    from keras_imnn.physics.magnet.signs import marshall_violation, sign_characters

    start = time.perf_counter()
    gs = ground_state(lattice, shape, float(j2), progress=False)
    splits = split_indices(gs.weights, train_fraction, test_size, split_seed)
    group = lattice_group(lattice, shape)
    meta = {"lattice": lattice, "shape": list(shape), "j2": float(j2), "train_fraction": train_fraction,
            "test_size": test_size, "split_seed": split_seed, "n_states": len(gs.states),
            "energy_per_site": gs.energy / gs.lattice.n_sites, "gap": gs.gap, "sector": sector_label(gs.sector),
            "sign_characters": sign_characters(gs), "marshall_violation": marshall_violation(gs),
            "group": group, "invariance_violation": sign_invariance_violation(gs, group)}
    data = {}
    for name in ("train", "test"):
        index = splits[name]
        data.update({f"{name}_states": gs.states[index], f"{name}_sign": gs.signs[index],
                     f"{name}_weight": gs.weights[index]})
    meta["seconds"] = round(time.perf_counter() - start, 1)
    return data, meta


def _arrays(data: Mapping[str, np.ndarray], split: str, shape: tuple[int, int]) -> Arrays:
    from keras_imnn.physics.magnet.ed import states_to_spins

    return MAGNET_SIGN.arrays({"spins": states_to_spins(data[f"{split}_states"], shape),
                              "sign": data[f"{split}_sign"], "weight": data[f"{split}_weight"]})


def scan_runs(points: Sequence[Point], seeds: Mapping[str, int]) -> list[tuple[int, Point, str]]:
    """(seed, point, model) in the scan's order: seed-major, so a cut scan has its first seeds everywhere;
    model ``m`` gets seeds 0 .. ``seeds[m]`` − 1."""
    return [(seed, point, model) for seed in range(max(seeds.values(), default=0)) for point in points
            for model, n in seeds.items() if seed < n]


def run_scan(points: Sequence[Point], seeds: Mapping[str, int], data: Callable[[Point], ScanPoint], *,
             settings: Callable[[str], TrainSettings], results_path: str | Path, deadline: float | None = None,
             log: Callable[[str], Any] = print) -> list[dict[str, Any]]:
    """Train every model of ``seeds`` on every point, seed-major; return the results file's records.

    ``data(point)`` gives a point's arrays (called once per point that still has runs), ``settings(model)``
    its training settings (the run's seed replaces theirs). Each run is a ``run_variants`` run of the
    variant ``run_label(model, point)`` on the point's ``lattice_group``, appended to ``results_path`` as it
    finishes with ``model``, ``lattice``, ``shape``, ``j2``, ``group``, ``settings`` and ``seconds`` added
    (the file rewritten atomically). Finished runs are skipped, unless they were trained with other
    settings or another model config: then this raises. ``deadline`` (``time.monotonic()``): start no
    run after it.
    """
    from keras_imnn.training.experiments.comparison import run_variants, with_group

    path = Path(results_path)
    runs = scan_runs(points, seeds)
    loaded: dict[Point, ScanPoint] = {}
    for i, (seed, point, model) in enumerate(runs, 1):
        label, chosen = run_label(model, point), settings(model)
        results = read_json(path, [])
        done = next((r for r in results if r["variant"] == label and r["seed"] == seed), None)
        if done is not None:
            if done.get("settings", chosen.record()) != chosen.record():
                raise ValueError(f"{path} holds {label!r} seed {seed} trained with {done['settings']}, not "
                                 f"{chosen.record()}: use another results file or the same settings")
            continue
        if deadline is not None and time.monotonic() > deadline:
            log(f"time budget reached before run {i}/{len(runs)}; rerun to resume")
            break
        if point not in loaded:
            loaded[point] = data(point)
        d, group = loaded[point], lattice_group(point[0], point[1])
        variant = with_group([(label, model, False, {})], group)[0]
        start = time.monotonic()
        results = run_variants([variant], d.task_data(), sizes=[None], seeds=[seed],
                               settings=replace(chosen, seed=seed), results_path=path, progress=False)
        record = results[-1]
        record.update(model=model, lattice=point[0], shape=list(point[1]), j2=point[2], group=group,
                      settings=chosen.record(), seconds=round(time.monotonic() - start, 1))
        atomic_write_text(path, json.dumps(results, indent=1))
        m = record["test_metrics"]
        log(f"[{i}/{len(runs)}] {label} seed {seed}: sign overlap {m.get('sign_overlap', float('nan')):.4f}, "
            f"accuracy {m['accuracy']:.4f}, {record['epochs_run']} epochs, {record['seconds']:.0f} s")
    return read_json(path, [])


def scan_stats(results: Sequence[Mapping[str, Any]]) -> dict[tuple[str, float, str, str], tuple[float, float, int]]:
    """``{(lattice, j2, model, metric): (mean, std, n_seeds)}`` over the scan's records (``summarize``'s stats)."""
    from keras_imnn.training.experiments.comparison import summarize

    _, stats = summarize(list(results), MAGNET_SIGN)
    counts: dict[str, int] = {}
    where = {}
    for r in results:
        counts[r["variant"]] = counts.get(r["variant"], 0) + 1
        where[r["variant"]] = (r["lattice"], float(r["j2"]), r["model"])
    return {(*where[label], metric): (*value, counts[label]) for (label, _, metric), value in stats.items()}


def scan_tables(results: Sequence[Mapping[str, Any]], metas: Mapping[Point, Mapping[str, Any]],
                models: Sequence[str] = SCAN_MODELS) -> str:
    """Markdown: per lattice, test sign overlap and accuracy (mean ± std over seeds, seeds in brackets) by J2
    and model, beside the ground state's Marshall-sign and invariance violations."""
    stats = scan_stats(results)
    present = [m for m in models if any(k[2] == m for k in stats)] + sorted({k[2] for k in stats} - set(models))
    out = []
    for lattice in dict.fromkeys(p[0] for p in metas):
        points = sorted((p for p in metas if p[0] == lattice), key=lambda p: p[2])
        first = metas[points[0]]
        shape = first["shape"]
        n_train = round(first["train_fraction"] * first["n_states"])
        out.append(f"### {lattice} {shape[0]}×{shape[1]}, invariant models on {first['group']}\n\n"
                   f"ε = {first['train_fraction']:g}: {n_train} of {first['n_states']} states drawn ∝ |ψ|² "
                   f"(10 % of them held out for early stopping), {first['test_size']} uniform test states "
                   f"from the rest. Marshall: |ψ|² weight violating the Marshall sign; invariance: largest "
                   f"|ψ|² weight whose sign a translation or a {first['group']} element flips (0: an invariant "
                   f"model can be exact).\n")
        for metric, title in (("sign_overlap", "test sign overlap"), ("accuracy", "test accuracy")):
            out.append(f"{title}, mean ± std over seeds (seeds):\n")
            out.append("| J2 | Marshall | invariance | " + " | ".join(present) + " |")
            out.append("|---|---|---|" + "---|" * len(present))
            for p in points:
                meta = metas[p]
                cells = []
                for model in present:
                    mean, std, n = stats.get((lattice, float(p[2]), model, metric), (np.nan, np.nan, 0))
                    cells.append(f"{mean:.3f} ± {std:.3f} ({n})" if n else "—")
                out.append(f"| {p[2]:g} | {meta['marshall_violation']:.3f} | {meta['invariance_violation']:.3f} | "
                           + " | ".join(cells) + " |")
            out.append("")
    return "\n".join(out)


def plot_scan(results: Sequence[Mapping[str, Any]], metas: Mapping[Point, Mapping[str, Any]], lattice: str,
              path: str | Path, models: Sequence[str] = SCAN_MODELS, title: str = "") -> None:
    """Three panels over J2 for one lattice: test sign overlap and accuracy (a line per model, mean ± std over
    seeds), and the ground state's Marshall-sign and invariance violations."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from keras_imnn.training.experiments.comparison import _save

    stats = scan_stats([r for r in results if r["lattice"] == lattice])
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    present = [m for m in models if any(k[2] == m for k in stats)] + sorted({k[2] for k in stats} - set(models))
    for ax, metric in zip(axes, ("sign_overlap", "accuracy")):
        for model in present:
            pts = sorted((j2, mean, std, n) for (lat, j2, m, met), (mean, std, n) in stats.items()
                         if m == model and met == metric)
            if not pts:
                continue
            j2, mean, std, n = map(np.array, zip(*pts))
            seeds = f"{n.min()}–{n.max()}" if n.min() != n.max() else f"{n.max()}"
            plural = "s" if n.max() > 1 else ""
            ax.errorbar(j2, mean, yerr=std, marker="o", capsize=3, label=f"{model} ({seeds} seed{plural})")
        ax.set_xlabel("J2 / J1")
        ax.set_ylabel(f"test {metric.replace('_', ' ')} (mean ± std over seeds)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    points = sorted((p for p in metas if p[0] == lattice), key=lambda p: p[2])
    j2 = np.array([p[2] for p in points])
    ax = axes[2]
    ax.plot(j2, [metas[p]["marshall_violation"] for p in points], "o-", color="C3", label="Marshall-sign violation")
    group = metas[points[0]]["group"] if points else ""
    ax.plot(j2, [metas[p]["invariance_violation"] for p in points], "s--", color="k", mfc="none",
            label=f"sign flipped by a translation or {group} element")
    ax.set_xlabel("J2 / J1")
    ax.set_ylabel("|ψ|² weight of the ground state")
    ax.set_ylim(-0.02, 0.52)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    _save(fig, path, title)
