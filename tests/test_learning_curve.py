"""`train` and `finetune` leave a learning-curve PNG in their run folder."""
import numpy as np

from keras_imnn.cli import main
from keras_imnn.training.loop.curves import plot_learning_curve


def test_finetune_writes_the_learning_curve(tmp_path):
    spins = np.random.default_rng(0).integers(0, 2, size=(16, 6, 4)).astype("float32")
    np.savez(tmp_path / "spins.npz", x=spins, y=spins.sum(axis=(1, 2)) % 2)
    out = tmp_path / "run"
    assert main(["finetune", "magnet_dense", "--data", str(tmp_path / "spins.npz"), "--out", str(out),
                 "--epochs", "3", "--patience", "5"]) == 0
    assert (out / "learning_curve.png").read_bytes()[:4] == b"\x89PNG"


def test_the_curve_draws_validation_scored_every_k_epochs_and_non_positive_values(tmp_path):
    history = {"loss": [1.0, 0.5, 0.2, 0.1], "val_loss": [0.6, 0.15], "mae": [0.3, 0.0, -0.1, 0.2],
               "learning_rate": [1e-3] * 4}
    path = plot_learning_curve(history, tmp_path / "c.png", title="t")
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_train_writes_the_learning_curve(tmp_path, monkeypatch):
    from keras_imnn.arrays import Arrays
    from keras_imnn.tasks.magnet_sign import MAGNET_SIGN
    from keras_imnn.training.data.task_data import TaskData
    from keras_imnn.training.loop.train import train_on
    from keras_imnn.training.settings import TrainSettings

    monkeypatch.setenv("KERAS_IMNN_XLA", "0")
    rng = np.random.default_rng(0)
    spins = rng.integers(0, 2, size=(24, 6, 4, 1)).astype("float32")
    data = Arrays(spins, (spins.sum(axis=(1, 2, 3)) % 2)[:, None].astype("float32"))
    held_out = data.subset(slice(16, 24))
    train_on("magnet_dense", TaskData(data.subset(slice(0, 16)), held_out, held_out, MAGNET_SIGN),
             settings=TrainSettings(epochs=2, batch_size=8), out=tmp_path / "run")
    assert (tmp_path / "run" / "learning_curve.png").read_bytes()[:4] == b"\x89PNG"
