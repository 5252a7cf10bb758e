"""The learning curve of a training run as a PNG: loss and the task's metrics per epoch, training vs validation."""
from __future__ import annotations

from pathlib import Path


def plot_learning_curve(history: dict[str, list[float]], out: str | Path, title: str = "") -> Path:
    """Draw Keras' ``history`` (``loss``, ``val_loss``, ``mae``, ``val_mae``, …) into the PNG ``out``.

    One panel per quantity (the loss first), training solid and validation dashed over the epochs; a log scale
    where every value is positive. Validation scored every K epochs (``validation_freq``) is drawn at the epochs
    it was scored (Keras' history then holds fewer values than epochs, the last at the last epoch).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [k for k in history if not k.startswith("val_") and k not in ("learning_rate", "lr") and history[k]]
    names.sort(key=lambda k: k != "loss")
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.4), layout="constrained", squeeze=False)
    for ax, name in zip(axes[0], names):
        train = history[name]
        epochs = range(1, len(train) + 1)
        ax.plot(epochs, train, label="training")
        validation = history.get(f"val_{name}") or []
        if validation:
            every = max(len(train) // len(validation), 1)
            ax.plot([len(train) - every * (len(validation) - 1 - i) for i in range(len(validation))], validation,
                    ls="--", marker="." if len(validation) < 30 else None, label="validation")
        if all(v > 0 for v in (*train, *validation)):
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return Path(out)
