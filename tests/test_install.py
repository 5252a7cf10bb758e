"""Shipping a checkpoint trained into another weights folder (keras_imnn.training.install)."""
from __future__ import annotations

import json

import numpy as np
import pytest

import keras_imnn
from keras_imnn.models.registry import sha256
from keras_imnn.physics.photonic.cells import FAMILIES
from keras_imnn.training.checkpoints import record_checkpoint
from keras_imnn.training.install import install, main

NAME = "photonic_inv"


def _checkpoint(folder, seed: int, **entry) -> dict:
    import keras

    keras.utils.set_random_seed(seed)
    (folder / NAME).mkdir(parents=True, exist_ok=True)
    keras_imnn.load(NAME, weights=None).save_weights(folder / NAME / "model.weights.h5")
    return record_checkpoint(folder, NAME, {"file": f"{NAME}/model.weights.h5", **entry})


@pytest.fixture
def shipped_and_candidate(tmp_path):
    shipped = _checkpoint(tmp_path / "weights", 0, data="old", uncertainty={"members": []})
    candidate = _checkpoint(tmp_path / "cand", 1, data="new", test_metrics={"mae": 1.0},
                            initial_weights={"file": "weights/photonic_inv/model.weights.h5",
                                             "sha256": shipped["sha256"]})
    return tmp_path / "weights", tmp_path / "cand", shipped, candidate


def test_install_copies_the_candidate_and_keeps_the_history_true(shipped_and_candidate):
    weights, cand, shipped, candidate = shipped_and_candidate
    entry = install(cand, NAME, data="fine-tuned on more cells", weights_dir=weights)
    assert sha256(weights / NAME / "model.weights.h5") == candidate["sha256"] != shipped["sha256"]
    recorded = json.loads((weights / "manifest.json").read_text())[NAME]
    assert recorded == entry
    assert entry["initial_weights"] == {"file": f"{NAME}/model.weights.h5 (previous)", "sha256": shipped["sha256"]}
    assert entry["data"] == "fine-tuned on more cells" and entry["test_metrics"] == {"mae": 1.0}
    assert "uncertainty" not in entry  # the old trunk's heads and features would give a false std


def test_install_refuses_a_candidate_that_did_not_start_from_the_shipped_checkpoint(shipped_and_candidate):
    weights, cand, shipped, _ = shipped_and_candidate
    _checkpoint(weights, 2)  # the shipped checkpoint changed since the candidate started
    with pytest.raises(ValueError, match="not from the shipped checkpoint"):
        install(cand, NAME, weights_dir=weights)
    (cand / NAME / "model.weights.h5").write_bytes(b"not the trained file")
    with pytest.raises(ValueError, match="fails its integrity check"):
        install(cand, NAME, weights_dir=weights)


def test_install_rescores_on_test_cells_headline_on_the_first_file(shipped_and_candidate, rng, tmp_path):
    weights, cand, _, _ = shipped_and_candidate
    files = []
    for i, n in enumerate((6, 4)):
        path = tmp_path / f"test{i}.npz"
        np.savez(path, eps=rng.uniform(1, 12, (n, 32, 32)).astype("float32"), tm_gap=np.full(n, 0.01),
                 tm_midgap=np.full(n, 0.4), family=np.full(n, i))
        files.append(path)
    entry = install(cand, NAME, test_files=files, weights_dir=weights)
    assert entry["n_test"] == 6
    assert sorted(entry["test_metrics_by_family"]) == sorted(FAMILIES[:2])
    model = keras_imnn.load(NAME, weights_dir=weights)  # the recorded sha256 is the copied file's
    ratio = model.predict(np.load(files[0])["eps"][..., None], verbose=0)[:, 0]
    assert entry["test_metrics"]["mae"] == pytest.approx(np.abs(ratio - 0.01 / 0.4).mean(), rel=1e-4)


def test_install_command_names_what_is_missing(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main([str(tmp_path), NAME])
    assert "no such file" in capsys.readouterr().err
