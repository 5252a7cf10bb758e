"""Inverse design through the surrogate, verified and corrected by the solver (active learning).

A round: several starts climb the surrogate's score by Adam on the latent density while the projection
sharpens (β continuation); the binary cell of every start after every β stage is labelled by the solver, at the
cutoffs of the surrogate's training labels; before a fine-tuning, so are a few variants of the best design
(boundary pixels flipped), which teach the surrogate the slope around it; the surrogate is fine-tuned on all
labelled cells plus a replay of cells like its training data, so it stops believing in gaps that are not there.
The run ends when the best verified design's prediction agrees with the solver within ``tolerance``, or after
``rounds`` rounds, the last of which fine-tunes too.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops
from tqdm.auto import tqdm

from keras_imnn.design.gradients import check_backend, value_and_grad
from keras_imnn.design.labels import solver_labels, solver_settings
from keras_imnn.design.objectives import GapObjective
from keras_imnn.design.parameterization import DensityMap, N, boundary_flips, enforce_min_feature, min_feature_ok
from keras_imnn.design.result import DesignHistory, DesignResult
from keras_imnn.domain import PhotonicDomain
from keras_imnn.errors import UserError
from keras_imnn.physics.photonic.dataset import SolverSettings

#: Projection sharpness per stage: from a blurred density to an (almost) binary one.
BETAS = (2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
#: Fine-tuning: every layer, a small step, few epochs (the replay keeps the rest of the data in mind).
FINETUNE = dict(freeze="none", learning_rate=3e-4, validation_split=0.0, batch_size=16, verbose=0)


def _positive_int(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def _positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number; got {value!r}")
    return float(value)


def _resolve_model(model: str | keras.Model | None,
                   objective: GapObjective) -> tuple[keras.Model, PhotonicDomain, SolverSettings]:
    """The surrogate (a fresh copy: fine-tuning changes it), its validity domain and its labels' solver settings."""
    from keras_imnn.models.registry import get_spec, load, model_domain

    model = objective.default_model() if model is None else model
    if isinstance(model, str):
        spec = get_spec(model)
        if spec.task not in ("photonic", "photonic_edges"):
            raise ValueError(f"model must be a photonic zoo model (gap ratio or band edges); {model!r} is a "
                             f"{spec.task} model")
        domain, settings = model_domain(spec.name), solver_settings(spec.dataset)
        model = load(model)
    else:
        domain, settings = PhotonicDomain(), solver_settings()
    if tuple(model.input_shape[1:]) != (N, N, 1) or model.output_shape[-1] not in (1, 32):
        raise ValueError(f"model must map (batch, {N}, {N}, 1) cells to 1 output (TM 1-2 gap/midgap) or 32 band "
                         f"edges; got {model.input_shape} → {model.output_shape}")
    objective.from_model_output(ops.zeros((1, model.output_shape[-1])))  # the ratio model's objectives only
    return model, domain, settings


def _check_eps(eps: Sequence[float], domain: PhotonicDomain) -> tuple[float, float]:
    try:
        lo, hi = (float(e) for e in eps)
    except (TypeError, ValueError):
        raise ValueError(f"eps must be two numbers (ε_min, ε_max); got {eps!r}") from None
    a, b = domain.eps_range
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"eps must be (ε_min, ε_max) with ε_min < ε_max; got ({lo:g}, {hi:g})")
    if lo < a or hi > b:
        raise ValueError(f"eps ({lo:g}, {hi:g}) leaves the surrogate's training range [{a:g}, {b:g}]: its designs "
                         f"would be out of its validity domain; choose ε_min >= {a:g} and ε_max <= {b:g}")
    return lo, hi


def initial_latents(starts: int, seed: int) -> np.ndarray:
    """``(starts, 32, 32)`` latent densities: centred high-ε disks, low-ε holes and smooth random fields in turn,
    with seeded radii and noise."""
    rng = np.random.default_rng(seed)
    c = (np.arange(N) + 0.5) / N - 0.5
    r = np.hypot(c[:, None], c[None, :])
    out = []
    for k in range(starts):
        kind = k % 3
        if kind == 0:
            mask = r < rng.uniform(0.12, 0.3)
        elif kind == 1:
            mask = r > rng.uniform(0.25, 0.45)
        else:
            field = np.real(np.fft.ifft2(np.fft.fft2(rng.normal(size=(N, N))) * (np.hypot(
                *np.meshgrid(np.fft.fftfreq(N) * N, np.fft.fftfreq(N) * N)) < 3)))
            mask = field > np.quantile(field, rng.uniform(0.5, 0.8))
        out.append(1.5 * (2.0 * mask - 1.0) + 0.3 * rng.normal(size=(N, N)))
    return np.asarray(out, np.float32)


def maximize_gap(model: str | keras.Model | None = None, eps: Sequence[float] = (1.0, 12.0),
                 polarization: str = "tm", bands: Sequence[int] = (1, 2), seed: int = 0, *,
                 target_frequency: float | None = None, symmetric: bool = True, starts: int = 4,
                 steps: int = 30, betas: Sequence[float] = BETAS, learning_rate: float = 0.1,
                 filter_radius: float = 2.0, min_feature: float | None = None, rounds: int = 4,
                 tolerance: float = 0.02, replay: int = 16, neighbours: int = 8, finetune_epochs: int = 20,
                 progress: bool = True) -> DesignResult:
    """Design a two-tone unit cell with the widest gap, by gradients through a surrogate, checked by the solver.

    Args:
        model: a zoo name or a ``keras.Model`` (32×32×1 → 1 TM 1-2 gap/midgap, or → 32 band edges); None picks
            photonic_inv_dilated for the TM 1-2 ratio and photonic_edges_inv_dilated for anything else.
        eps: (ε_min, ε_max) of the two materials, inside the surrogate's training range (ε in [1, 20]).
        polarization: "tm", "te" or "both" (a complete gap: TM and TE at once).
        bands: (b, b+1), b in 1..7.
        seed: draws the starts.
        target_frequency: centre the gap at this ωa/2πc (the score loses |midgap/f0 − 1|).
        symmetric: D4-symmetric designs (C4v, as the literature's optima).
        starts: designs optimized side by side.
        steps: Adam steps per β stage; ``betas`` the stages' projection sharpness (later rounds run the sharper
            half); ``learning_rate`` Adam's step on the latent density.
        filter_radius: conic density filter radius in pixels (the smallest length scale the optimizer sees).
        min_feature: minimum feature size in pixels: features of either material narrower than this are removed
            from the binary cells before the solver sees them, and the result says whether the check passes.
        rounds: at most this many rounds of optimize → label with the solver → fine-tune.
        tolerance: stop once the best design's prediction is within this of the solver's value.
        replay: cells like the surrogate's training data, labelled once, added to every fine-tuning.
        neighbours: variants of the best design so far (1-3 boundary pixels or D4 orbits flipped), labelled before
            each fine-tuning: the surrogate learns the objective's slope around the design; a better one becomes
            the best design.
        finetune_epochs: epochs of each fine-tuning.
        progress: a tqdm bar over the gradient steps.

    Returns:
        :class:`DesignResult`: the best verified in-domain binary cell of all rounds.
    """
    objective = GapObjective(polarization, tuple(bands) if isinstance(bands, (list, tuple)) else bands,
                             target_frequency)
    seed = _positive_int(seed, "seed", 0)
    starts, steps, rounds = (_positive_int(v, n) for v, n in ((starts, "starts"), (steps, "steps"),
                                                                  (rounds, "rounds")))
    replay, neighbours = _positive_int(replay, "replay", 0), _positive_int(neighbours, "neighbours", 0)
    finetune_epochs = _positive_int(finetune_epochs, "finetune_epochs")
    learning_rate, tolerance = _positive(learning_rate, "learning_rate"), _positive(tolerance, "tolerance")
    betas = [_positive(b, "each beta") for b in betas]
    if not betas or np.any(np.diff(betas) < 0):
        raise ValueError(f"betas must be a non-empty non-decreasing sequence; got {betas!r}")
    if isinstance(filter_radius, bool) or not isinstance(filter_radius, (int, float)) or not 0 <= filter_radius < N / 2:
        raise ValueError(f"filter_radius must be a number of pixels in [0, {N // 2}); got {filter_radius!r}")
    if min_feature is not None and not (isinstance(min_feature, (int, float)) and 1 <= min_feature <= N / 4):
        raise ValueError(f"min_feature must be None or a number of pixels in [1, {N // 4}]; got {min_feature!r}")
    check_backend()
    model, domain, settings = _resolve_model(model, objective)
    lo, hi = _check_eps(eps, domain)
    edges_model = model.output_shape[-1] != 1
    radius = max(filter_radius, min_feature / 2 + 1) if min_feature is not None else filter_radius
    dmap = DensityMap((lo, hi), radius, symmetric)

    def scores(latent: Any, beta: Any) -> Any:
        return objective.score(*objective.from_model_output(model(dmap.eps(latent, beta), training=False)))

    def predict(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        ratio, midgap = objective.from_model_output(model(cells[..., None].astype(np.float32), training=False))
        return ops.convert_to_numpy(ratio), None if midgap is None else ops.convert_to_numpy(midgap)

    t0 = time.perf_counter()
    replay_x = replay_y = None  # labelled at the first fine-tuning: a run that agrees at once never pays for it
    latent = keras.Variable(initial_latents(starts, seed), dtype="float32", name="design_latent")
    step = value_and_grad(scores)
    seen: set[bytes] = set()
    x_lab, y_lab = [], []
    log: dict[str, list] = {k: [] for k in ("step", "round", "beta", "surrogate")}
    per_round: dict[str, list] = {k: [] for k in ("seconds", "predicted", "verified", "best_verified", "labelled")}
    best: dict[str, Any] | None = None
    rng = np.random.default_rng(seed)

    def verify(masks: np.ndarray) -> tuple[np.ndarray, float] | None:
        """Label the new in-domain cells of ``masks`` with the solver, keep them for fine-tuning, update ``best``;
        the best of them (cell, verified ratio), or None where none is new and in the domain."""
        nonlocal best
        if min_feature is not None:
            masks = enforce_min_feature(masks, min_feature)
        cells = dmap.cells(masks)
        keep = [i for i, c in enumerate(cells) if c.tobytes() not in seen]
        seen.update(cells[i].tobytes() for i in keep)
        cells = cells[keep]
        cells = cells[domain.check(cells)[0]] if len(cells) else cells
        if not len(cells):
            return None
        y, edges = solver_labels(cells, edges_model, settings)
        x_lab.append(cells)
        y_lab.append(y)
        ratio_v, mid_v = (ops.convert_to_numpy(a) for a in objective.ratio_and_midgap(edges))
        score_v = ops.convert_to_numpy(objective.score(ratio_v, mid_v))
        ok = min_feature_ok(cells > lo, min_feature) if min_feature is not None else np.ones(len(cells), bool)
        i = int(np.argmax(score_v + 1e3 * ok))  # a design that passes the fabrication check beats any that does not
        key, verified = (bool(ok[i]), float(score_v[i])), max(float(ratio_v[i]), 0.0)
        if best is None or key > best["key"]:
            best = dict(key=key, eps=cells[i], y=y[i], verified=verified, verified_midgap=float(mid_v[i]),
                        ok=bool(ok[i]))
        return cells[i], verified

    total = steps * (len(betas) + (rounds - 1) * len(betas[len(betas) // 2:]))
    bar = tqdm(total=total, unit="step", desc=f"design {objective.describe()}", disable=not progress)
    with bar:
        for r in range(rounds):
            optimizer = keras.optimizers.Adam(learning_rate)
            stage_betas = betas if r == 0 else betas[len(betas) // 2:]
            masks = []
            for beta in stage_betas:
                beta_t = ops.convert_to_tensor(np.float32(beta))
                for _ in range(steps):
                    value, grad = step(latent.value, beta_t)
                    optimizer.apply_gradients([(-grad, latent)])
                    for key, v in (("step", len(log["step"])), ("round", r), ("beta", beta),
                                   ("surrogate", ops.convert_to_numpy(value))):
                        log[key].append(v)
                    bar.update()
                masks.append(dmap.binary(latent.value))
            found = verify(np.concatenate(masks))
            if found is None:
                per_round["predicted"].append(np.nan)
                per_round["verified"].append(np.nan)
            else:
                cell, verified = found
                per_round["predicted"].append(max(float(predict(cell[None])[0][0]), 0.0))
                per_round["verified"].append(verified)
            agree, near = False, []
            if best is not None:
                predicted_now = max(float(predict(best["eps"][None])[0][0]), 0.0)
                bar.set_postfix(predicted=f"{predicted_now:.3f}", verified=f"{best['verified']:.3f}")
                agree = abs(predicted_now - best["verified"]) <= tolerance
                near = [(best["eps"][None], best["y"][None])]
                if not agree and neighbours:
                    count = len(x_lab)
                    verify(boundary_flips(best["eps"] > lo, neighbours, rng, symmetric))
                    near += list(zip(x_lab[count:], y_lab[count:]))
            per_round["seconds"].append(time.perf_counter() - t0)
            per_round["best_verified"].append(-np.inf if best is None else best["key"][1])
            per_round["labelled"].append(sum(len(x) for x in x_lab))
            if best is None:
                continue
            if agree:
                bar.total = bar.n  # stopped early: the bar ends full
                break
            # Also after the last round: the surrogate returned has learned the returned cell and its neighbours.
            if replay_x is None:
                replay_x = _replay_cells(replay, seed)
                replay_y = (solver_labels(replay_x, edges_model, settings)[0] if replay
                            else np.zeros((0, y_lab[0].shape[1])))
            x_all, y_all = np.concatenate([*x_lab, replay_x]), np.concatenate([*y_lab, replay_y])
            # The best design and its neighbours weigh as much as all the rest: the surrogate must be right there
            # (among scattered designs a handful of near cells hardly moved its prediction).
            x_near, y_near = (np.concatenate(a) for a in zip(*near))
            copies = max(1, len(x_all) // len(x_near))
            _finetune(model, np.concatenate([x_all, np.repeat(x_near, copies, 0)]),
                      np.concatenate([y_all, np.repeat(y_near, copies, 0)]), finetune_epochs, seed,
                      objective if edges_model else None)
            step = value_and_grad(scores)
    if best is None:
        raise UserError(f"no design stayed in the surrogate's validity domain ({domain.describe()}); try other "
                        f"starts (seed), a larger filter_radius or symmetric=True")
    ratio_p, mid_p = predict(best["eps"][None])
    history = DesignHistory(**{k: np.asarray(v) for k, v in log.items()},
                            **{k: np.asarray(v, np.int64 if k == "labelled" else np.float64)
                               for k, v in per_round.items()})
    return DesignResult(eps=best["eps"], predicted=max(float(ratio_p[0]), 0.0), verified=best["verified"],
                        predicted_midgap=None if mid_p is None else float(mid_p[0]),
                        verified_midgap=best["verified_midgap"], score=best["key"][1], objective=objective,
                        eps_range=(lo, hi), in_domain=True, min_feature=min_feature,
                        min_feature_ok=None if min_feature is None else best["ok"], history=history, model=model,
                        solver=settings)


def _replay_cells(n: int, seed: int) -> np.ndarray:
    """``n`` cells of the photonic ``general`` mix (the zoo's photonic training data), seeded."""
    from keras_imnn.physics.photonic.cells import sample_unit_cells

    return sample_unit_cells(n, "general", seed + 1).eps if n else np.zeros((0, N, N))


def _finetune(model: keras.Model, x: np.ndarray, y: np.ndarray, epochs: int, seed: int,
              objective: GapObjective | None) -> None:
    """Fine-tune ``model`` in place on labelled cells (every layer, small steps); a band-edge model with the
    ``objective``'s edges weighing half the loss (in the plain mean of 32 edges a gap's two are lost)."""
    from dataclasses import replace

    from keras_imnn.tasks import get_task
    from keras_imnn.training.loop.finetune import finetune

    task = None if objective is None else replace(get_task("photonic_edges"), edge_weights=objective.edge_weights())
    finetune(model, x, y, task=task, epochs=epochs, patience=epochs, seed=seed, **FINETUNE)
