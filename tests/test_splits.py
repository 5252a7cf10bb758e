"""Where runs get their data: generated cells (test first, as the TFDS builder), split-file folders, as ``TaskData``."""
import argparse

import numpy as np
import pytest

from keras_imnn.tasks import TASKS
from keras_imnn.training.data.task_data import add_data_options, load_task_data, task_data_from_args


@pytest.fixture
def cells(tmp_path):
    path = tmp_path / "cells.npz"
    np.savez(path, x=np.arange(40, dtype="float32").reshape(10, 2, 2, 1), y=np.arange(10, dtype="float32"))
    return path


def test_generated_cells_are_split_in_builder_order(cells):
    data = load_task_data("photonic_crystals/gapped", npz=str(cells), n_test=4, n_validation=3)
    assert [a.y[:, 0].tolist() for a in (data.test, data.validation, data.train)] == [[0, 1, 2, 3], [4, 5, 6],
                                                                                      [7, 8, 9]]
    assert data.task is TASKS["photonic"] and data.lattice is None
    assert data.source == ("cells.npz: cells 0..9 from `keras-imnn generate photonic`, "
                      "TM labels; test = cells 0..3, validation = 4..6, train = 7..9")
    with pytest.raises(ValueError, match="holds 10 cells"):
        load_task_data("photonic_crystals/gapped", npz=str(cells), n_test=8, n_validation=2)


def test_extra_cells_go_to_train_only(cells, tmp_path):
    extra = tmp_path / "smooth.npz"
    np.savez(extra, x=np.zeros((3, 2, 2, 1), "float32"), y=np.arange(100, 103, dtype="float32"))
    parser = argparse.ArgumentParser()
    add_data_options(parser)
    args = parser.parse_args(["--npz", str(cells), "--n-test", "4", "--n-validation", "3",
                              "--extra-train-npz", str(extra)])
    data = task_data_from_args(args, TASKS["photonic"])
    assert [a.y[:, 0].tolist() for a in (data.test, data.validation, data.train)] == [[0, 1, 2, 3], [4, 5, 6],
                                                                                      [7, 8, 9, 100, 101, 102]]
    assert data.source.endswith("train = 7..9; train also all 3 cells of smooth.npz")


def test_split_folder_holds_out_validation_and_trims_it(tmp_path):
    def spins(n, start):
        return dict(spins=np.full((n, 2, 2), start, "float32") + np.arange(n)[:, None, None],
                    sign=np.ones(n), weight=np.ones(n))
    np.savez(tmp_path / "train.npz", **spins(50, 0))
    np.savez(tmp_path / "test.npz", **spins(7, 100))
    data = load_task_data("frustrated_magnets/x", npz_dir=str(tmp_path), seed=3)
    train, validation, test = data.train, data.validation, data.test
    assert data.task is TASKS["magnet"] and data.lattice is None  # no metadata.json: the lattice is not known
    assert data.source.endswith("split files (validation: 10 % of train.npz held out, seed 3)")
    assert (len(train), len(validation), len(test)) == (45, 5, 7)  # 10 % held out
    assert not set(train.x[:, 0, 0, 0]) & set(validation.x[:, 0, 0, 0])
    trimmed = load_task_data("frustrated_magnets/x", npz_dir=str(tmp_path), seed=3, n_validation=2).validation
    assert len(trimmed) == 2 and set(trimmed.x[:, 0, 0, 0]) <= set(validation.x[:, 0, 0, 0])


def test_cli_arguments_take_one_source(cells):
    parser = argparse.ArgumentParser()
    add_data_options(parser)
    args = parser.parse_args(["--npz", str(cells), "--n-test", "5", "--n-validation", "2"])
    data = task_data_from_args(args, TASKS["photonic"])
    assert (len(data.train), len(data.validation), len(data.test)) == (3, 2, 5)
    with pytest.raises(SystemExit):
        parser.parse_args(["--npz", "a.npz", "--npz-dir", "b"])
    with pytest.raises(ValueError, match="not both"):
        load_task_data("photonic_crystals/gapped", npz="a.npz", npz_dir="b")
    with pytest.raises(ValueError, match="holds photonic data, not magnet data"):  # before any file is read
        load_task_data("photonic_crystals/gapped", task=TASKS["magnet"], npz="missing.npz")
