"""One home per task: the registry, and a new task that works everywhere without touching other modules."""
import argparse
from dataclasses import dataclass

import numpy as np
import pytest

import keras_imnn
from keras_imnn.arrays import Arrays
from keras_imnn.models.registry import get_spec
from keras_imnn.models.zoo import SPECS
from keras_imnn.tasks import TASKS, get_task, task_of_dataset
from keras_imnn.tasks.photonic_gap import PhotonicGap
from keras_imnn.training.settings import TrainSettings


def test_registry_resolves_names_aliases_and_datasets():
    assert list(TASKS) == ["photonic", "magnet", "photonic_edges"]
    assert get_task("regression") is get_task("photonic") is TASKS["photonic"]
    assert get_task("classification") is TASKS["magnet"] and get_task(TASKS["magnet"]) is TASKS["magnet"]
    with pytest.raises(ValueError, match="unknown task 'edges'; known tasks: photonic, magnet, photonic_edges"):
        get_task("edges")
    assert task_of_dataset("frustrated_magnets/square_6x4_j2_0.5:1.0.0") is TASKS["magnet"]
    with pytest.raises(ValueError, match="photonic_crystals/<config>, frustrated_magnets/<config>"):
        task_of_dataset("mnist")


def test_every_zoo_model_names_a_task_and_its_default_dataset():
    for spec in SPECS:
        # A dataset family may serve several tasks (photonic gaps and band edges): the model's task picks its own.
        assert task_of_dataset(spec.dataset, spec.task) is get_task(spec.task), spec.name
        assert all(get_spec(name).task == spec.task for _, name, _, _ in get_task(spec.task).baselines)


def test_task_features_become_arrays_and_targets_are_checked():
    photonic, magnet = TASKS["photonic"], TASKS["magnet"]
    cells = {"eps": np.ones((2, 4, 4)), "tm_gap": np.array([0.0, 0.1]), "tm_midgap": np.array([0.5, 0.5])}
    data = photonic.arrays(cells)  # the default target: tm
    assert data.x.shape == (2, 4, 4, 1) and data.y[:, 0].tolist() == pytest.approx([0.0, 0.2])
    with pytest.raises(ValueError, match="'te_gap', 'te_midgap'"):
        photonic.arrays(cells, "te")
    spins = {"spins": np.zeros((3, 6, 4)), "sign": np.array([0, 1, 1]), "weight": np.ones(3)}
    assert magnet.arrays(spins).weight.tolist() == [1, 1, 1]
    with pytest.raises(ValueError, match="target 'tm' does not apply to magnet data"):
        magnet.arrays(spins, "tm")
    with pytest.raises(ValueError, match="must be 0 or 1"):
        magnet.check_y(np.array([0.5]))


@dataclass(frozen=True)
class MidgapTask(PhotonicGap):
    """A third task, as a new file would add it: regress the TM midgap frequency."""

    def labels(self, examples, target):
        self.require(examples, ("tm_midgap",))
        return np.asarray(examples["tm_midgap"]), None


def test_a_new_task_is_one_object_the_training_code_asks(rng, monkeypatch):
    from keras_imnn.training.experiments.comparison import summarize
    from keras_imnn.training.loop.evaluation import evaluate_arrays
    from keras_imnn.training.loop.train import fit

    task = MidgapTask(**{**vars(TASKS["photonic"]), "name": "midgap", "summary_metrics": ("rmse",)})
    monkeypatch.setitem(TASKS, "midgap", task)  # the registry line
    x = rng.uniform(1, 20, size=(16, 8, 8)).astype("float32")
    data = task.arrays({"eps": x, "tm_midgap": x.mean(axis=(1, 2)) / 20})
    model = keras_imnn.load("photonic_inv_dilated", pretrained=False, input_shape=(8, 8, 1), filters=4)
    history = fit(model, data, task=get_task("midgap"), settings=TrainSettings(epochs=1, verbose=0))
    assert history.history["mae"] and set(evaluate_arrays(model, data, get_task("midgap"))) >= {"mae", "rmse"}
    runs = [{"variant": "m", "n_train": 16, "seed": 0, "test_metrics": {"rmse": 0.1}}]
    table, _ = summarize(runs, get_task("midgap"))
    assert "| model | n_train | seeds | rmse |" in table


def test_train_settings_validate_and_come_from_command_options():
    with pytest.raises(ValueError, match="patience must be >= 0"):
        TrainSettings(patience=-1)
    args = argparse.Namespace(epochs=5, batch_size=8, learning_rate=0.01, seed=None, other=1)
    assert TrainSettings.from_args(args, verbose=0) == TrainSettings(epochs=5, batch_size=8, learning_rate=0.01,
                                                                     verbose=0)
    assert TrainSettings(epochs=5).record() == {"epochs": 5, "patience": 20, "batch_size": 32, "learning_rate": 1e-3}


def test_arrays_hold_out_a_seeded_fraction():
    data = Arrays(np.arange(20, dtype="float32").reshape(20, 1, 1, 1), np.zeros((20, 1), "float32"))
    train, held = data.split(0.25, seed=1)
    assert (len(train), len(held)) == (15, 5) and not set(train.x.ravel()) & set(held.x.ravel())


def test_has_a_gap_is_a_predicted_ratio_above_0_01_against_any_true_gap():
    # One definition for the task metrics, the band-edge metrics and the hand-drawn-cell benchmark: a tiny true
    # gap is a gap, a tiny predicted one is not (the 0.01 threshold is on the prediction).
    from keras_imnn.tasks.photonic_gap import has_gap_accuracy

    truth = np.array([0.0, 0.005, 0.005, 0.2, 0.0])
    predicted = np.array([0.005, 0.005, 0.02, 0.2, 0.02])
    assert has_gap_accuracy(predicted, truth) == pytest.approx(3 / 5)  # right: 0, 2, 3; wrong: 1 (missed), 4
    assert get_task("photonic").score(truth[:, None], predicted[:, None])["has_gap_accuracy"] == pytest.approx(3 / 5)
