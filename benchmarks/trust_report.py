"""Tables and the reliability diagram of docs/trust.md from docs/trust/results.json (benchmarks/trust_study.py).

    python benchmarks/trust_report.py --data DIR   # Markdown tables; docs/trust/reliability.png

The diagram runs the shipped members and calibration end to end (``keras_imnn.predict``) on the study's cells.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from trust_study import NOMINAL, RESULTS

from keras_imnn.uncertainty import calibration as cal

#: The models whose per-family / per-kind rows the page shows (results.json holds every model's).
GROUPED = ("photonic_inv_dilated", "photonic_edges_inv_dilated")
METHODS = {"combined": "combined (shipped)", "deep_ensemble": "deep ensemble", "heads": "head ensemble",
           "constant": "constant std", "knn": "5-NN feature distance", "d4_tta": "D4 test-time spread"}


def _fmt(x: float, spec: str = ".2f") -> str:
    return "–" if x is None or not np.isfinite(x) else format(x, spec)


def tables(results: dict) -> str:
    lines = ["| model | split | n | MAE | method | 2-std coverage | Spearman(std, abs error) | NLL |",
             "|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        if r["task"] == "magnet":
            continue
        for split in ("test", "ood"):
            s = r[split]
            for m in METHODS:
                if m in s:
                    lines.append(f"| {name} | {split} | {s['n']} | {s['mae']:.4f} | {METHODS[m]} | "
                                 f"{_fmt(s[m]['coverage_2std'])} | {_fmt(s[m]['spearman'])} | {_fmt(s[m]['nll'])} |")
    lines += ["", "| model | split | family / kind | n | MAE | 2-std coverage | Spearman |",
              "|---|---|---|---|---|---|---|"]
    for name in GROUPED:
        r = results[name]
        for split in ("test", "ood"):
            for group, g in r[split]["groups"].items():
                lines.append(f"| {name} | {split} | {group} | {g['n']} | {g['mae']:.4f} | "
                             f"{_fmt(g['combined']['coverage_2std'])} | {_fmt(g['combined']['spearman'])} |")
    lines += ["", "| model | n (test half) | method | accuracy | ECE | log loss | Spearman(std, abs error) |",
              "|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        if r["task"] != "magnet":
            continue
        for m in ("raw", "temperature", "heads"):
            s = r["test"][m]
            lines.append(f"| {name} | {r['test']['n']} | {m} | {s['accuracy']:.3f} | {s['ece']:.3f} | "
                         f"{s['log_loss']:.3f} | {_fmt(s['spearman'])} |")
    return "\n".join(lines)


def split_file(name: str, data: Path, split: str) -> Path:
    """The study's file of ``split`` for ``name``: the gapped-only model is tested on ``gapped`` cells."""
    from keras_imnn.models.registry import get_spec

    prefix = "gapped_" if get_spec(name).dataset.endswith("gapped") and split == "test" else ""
    return data / f"{prefix}{split}.npz"


def shipped_reliability(name: str, data: Path, split: str) -> np.ndarray:
    """Observed coverage at ``NOMINAL`` of the shipped members and calibration (``keras_imnn.predict``, end to
    end) on the study's cells."""
    import warnings

    import keras_imnn
    from keras_imnn.models.registry import get_spec
    from keras_imnn.npz import read_npz
    from keras_imnn.tasks import get_task

    raw = read_npz(split_file(name, data, split))
    truth = get_task(get_spec(name).task).arrays(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", keras_imnn.DomainWarning)
        p = keras_imnn.predict(name, raw["eps"])
    return cal.reliability(p.mean - truth.y, p.std, NOMINAL)


def reliability_png(results: dict, data: Path, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # A name whose test cells are not in ``data`` (the gapped model's gapped_test.npz) is left out of the picture.
    photonic = [n for n, r in results.items() if r["task"] != "magnet" and split_file(n, data, "test").exists()]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), sharey=True)
    for ax, split, title in zip(axes, ("test", "ood"), ("the study's test cells", "own OOD cells")):
        ax.plot([0, 1], [0, 1], "k:", lw=1, label="ideal")
        for name in photonic:
            ax.plot(NOMINAL, shipped_reliability(name, data, split), marker=".", label=name)
        ax.axhline(0.95, color="grey", lw=0.5)
        ax.axvline(0.954, color="grey", lw=0.5)
        ax.set_xlabel("nominal coverage of the Gaussian interval")
        ax.set_title(title, fontsize=10)
    axes[0].set_ylabel("observed share of |error| inside")
    axes[0].legend(fontsize=7)
    fig.suptitle("Reliability of keras_imnn.predict's std (ensemble spread + 5-NN feature distance, "
                 "calibrated on validation cells)")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the study's data folder (trust_study.py --data)")
    args = parser.parse_args()
    results = json.loads(Path(RESULTS).read_text())
    print(tables(results))
    reliability_png(results, args.data, RESULTS.parent / "reliability.png")
    print(f"\nwrote {RESULTS.parent / 'reliability.png'}")


if __name__ == "__main__":
    main()
