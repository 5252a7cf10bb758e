"""What a design run returns: the binary cell, the surrogate's and the solver's numbers, and the history."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from keras_imnn.design.objectives import GapObjective
from keras_imnn.physics.photonic.dataset import SolverSettings


@dataclass(frozen=True)
class DesignHistory:
    """The optimization, step by step and round by round (a round: optimize, label with the solver, fine-tune).

    Per gradient step (``(n_steps,)``, ``surrogate`` ``(n_steps, starts)``): ``step`` 0, 1, …; ``round``; ``beta``
    the projection sharpness (non-decreasing within a round); ``surrogate`` the score of each start's continuous
    design by the surrogate. Per round (``(n_rounds,)``): ``seconds`` wall time since the start; ``predicted`` and
    ``verified`` the round's best binary design by the surrogate (before fine-tuning on it) and by the solver;
    ``best_verified`` the best verified score so far (non-decreasing); ``labelled`` cells labelled so far (designs
    and their neighbours).
    """

    step: np.ndarray
    round: np.ndarray
    beta: np.ndarray
    surrogate: np.ndarray
    seconds: np.ndarray
    predicted: np.ndarray
    verified: np.ndarray
    best_verified: np.ndarray
    labelled: np.ndarray

    def arrays(self, prefix: str = "history_") -> dict[str, np.ndarray]:
        return {prefix + name: np.asarray(getattr(self, name)) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class DesignResult:
    """The best binary design found.

    Attributes:
        eps: ``(32, 32)`` float64 cell, exactly two-tone in {ε_min, ε_max}.
        predicted, verified: gap/midgap of the objective's bands by the surrogate (as it is after the run) and by
            the solver (k_grid(16), at ``solver``'s cutoffs); 0 where there is no gap.
        predicted_midgap, verified_midgap: the midgaps, ωa/2πc (None for the ratio model, which predicts none).
        objective: what was maximized; ``score`` its verified value (the ratio less any target-frequency miss).
        eps_range: (ε_min, ε_max).
        in_domain: the cell lies in the surrogate's validity domain (``keras_imnn.domain``).
        min_feature: the fabrication constraint in pixels (None: none); ``min_feature_ok`` whether both materials
            pass the morphological check on the binary cell (None without a constraint).
        history: :class:`DesignHistory`.
        model: the surrogate after the run's fine-tuning (``keras.Model``).
        solver: the solver settings of every verified number: those of the surrogate's training labels.
    """

    eps: np.ndarray
    predicted: float
    verified: float
    predicted_midgap: float | None
    verified_midgap: float
    score: float
    objective: GapObjective
    eps_range: tuple[float, float]
    in_domain: bool
    min_feature: float | None
    min_feature_ok: bool | None
    history: DesignHistory
    model: Any = field(repr=False, compare=False)
    solver: SolverSettings = field(default_factory=SolverSettings)

    @property
    def error(self) -> float:
        """|predicted − verified|: how far the surrogate is from the solver on this cell."""
        return abs(self.predicted - self.verified)

    def summary(self) -> dict[str, Any]:
        """The scalars as a JSON-ready dict."""
        return {"objective": self.objective.describe(), "eps_range": list(self.eps_range),
                "predicted": self.predicted, "verified": self.verified, "error": self.error,
                "predicted_midgap": self.predicted_midgap, "verified_midgap": self.verified_midgap,
                "score": self.score, "in_domain": self.in_domain, "min_feature": self.min_feature,
                "min_feature_ok": self.min_feature_ok, "n_max_tm": self.solver.cutoff("tm"),
                "n_max_te": self.solver.cutoff("te"), "rounds": len(self.history.seconds),
                "seconds": float(self.history.seconds[-1]), "labelled": int(self.history.labelled[-1])}
