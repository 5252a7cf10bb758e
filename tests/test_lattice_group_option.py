"""``--group`` takes a lattice's own point group (acting on sites, e.g. kagome): kagome data train from the command
line with it, and a group that does not fit the data's lattice is one line, before any data is read."""
import argparse
import json

import pytest

from keras_imnn.cli import main
from keras_imnn.cli_options import point_group
from keras_imnn.physics.magnet.lattices import check_group_preserves
from keras_imnn.tasks import get_task
from keras_imnn.training.data.task_data import check_model
from keras_imnn.training.loop.train import model_overrides


def test_group_option_takes_point_groups_and_lattice_names():
    assert point_group("D4") == "d4" and point_group("Kagome") == "kagome"
    with pytest.raises(argparse.ArgumentTypeError, match="unknown group 'hexagonal'; accepted: .*d4.*kagome"):
        point_group("hexagonal")


def test_a_group_that_does_not_fit_the_lattice_is_refused_in_one_line():
    with pytest.raises(ValueError, match="group 'kagome' is the kagome lattice's point group, and the data are on "
                                         "the square 4x4 lattice; accepted for it: 'trivial'.*'d4'$"):
        check_group_preserves("kagome", "square", (4, 4), "m")
    with pytest.raises(ValueError, match="group 'd4' does not map the bonds of the kagome 3x3 lattice.*accepted for "
                                         "it: 'trivial', 'kagome'$"):
        check_group_preserves("d4", "kagome", (3, 3), "m")
    check_group_preserves("kagome", "kagome", (3, 3), "m")
    with pytest.raises(ValueError, match="magnet_inv: group 'kagome' is the kagome lattice's point group acting on "
                                         "its sites, and these data record no lattice"):
        check_model("magnet_inv", get_task("magnet"), None, {"group": "kagome"})


def test_a_lattice_group_fixes_the_input_shape_to_the_data():
    assert model_overrides("magnet_inv_dilated", False, (8, 2, 2, 3), {"group": "kagome"}) == {
        "group": "kagome", "input_shape": (2, 2, 3)}
    assert model_overrides("magnet_cnn", "kagome", (8, 2, 2, 3), {})["input_shape"] == (2, 2, 3)
    assert "input_shape" not in model_overrides("magnet_inv_dilated", False, (8, 4, 4, 1), {"group": "d4"})


@pytest.fixture(scope="module")
def kagome_data(tmp_path_factory):
    """The 12-site kagome config, built into a fresh TFDS data dir (seconds)."""
    import tensorflow_datasets as tfds

    import tfds_builders  # noqa: F401  (registers the builders)

    data_dir = str(tmp_path_factory.mktemp("tfds"))
    tfds.builder("frustrated_magnets/kagome_2x2_j2_0.0_test_500", data_dir=data_dir).download_and_prepare()
    return data_dir


def test_kagome_data_train_from_the_command_line_with_the_kagome_group(kagome_data, tmp_path, capsys):
    dataset = "frustrated_magnets/kagome_2x2_j2_0.0_test_500"
    out = tmp_path / "run"
    assert main(["train", "magnet_inv_dilated", "--dataset", dataset, "--data-dir", kagome_data, "--group", "kagome",
                 "--epochs", "1", "--out", str(out)]) == 0
    config = json.loads((out / "run.json").read_text())["config"]
    assert config["group"] == "kagome" and config["input_shape"] == [2, 2, 3]
    capsys.readouterr()
    assert main(["train", "magnet_inv_dilated", "--dataset", dataset, "--data-dir", kagome_data, "--group", "d4",
                 "--epochs", "1", "--out", str(tmp_path / "d4")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "group 'd4' does not map the bonds of the kagome 2x2 lattice" in err
    assert not (tmp_path / "d4").exists()
