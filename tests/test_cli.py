"""The keras-imnn command line, run as a user would (in-process through main())."""
from pathlib import Path

import pytest

from keras_imnn.cli import main


def test_list_prints_every_model(capsys):
    import keras_imnn

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in keras_imnn.list_models():
        assert name in out


def test_readme_zoo_table_is_what_list_markdown_prints(capsys):
    # The README's table is pasted from this command; a changed default (params, receptive field)
    # must not leave it stale, as a dilation switch once did.
    assert main(["list", "--markdown"]) == 0
    table = capsys.readouterr().out.strip()
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert table.startswith("| name |") and table in readme


def test_list_filters_by_task(capsys):
    assert main(["list", "--task", "magnet"]) == 0
    out = capsys.readouterr().out
    assert "magnet_inv" in out and "photonic_inv" not in out


def test_list_verbose_prints_each_presets_metadata(capsys):
    import keras_imnn

    assert main(["list", "--verbose", "--task", "photonic"]) == 0
    out = capsys.readouterr().out
    preset = keras_imnn.presets("photonic")["photonic_inv_dilated"]
    assert "photonic_inv_dilated (photonic)" in out and "magnet" not in out
    assert f"params {preset['params']:,}; include_top=False features 32; invariance d4 + periodic shifts" in out
    assert f"mae {preset['test_metrics']['mae']:.4g}" in out and preset["dataset_version"] in out


def test_info_prints_parameter_count_and_receptive_field(capsys):
    import keras_imnn

    assert main(["info", "photonic_inv_dilated"]) == 0
    out = capsys.readouterr().out
    params = keras_imnn.load("photonic_inv_dilated", pretrained=False).count_params()
    assert f"| parameters | {params:,} " in out
    assert "| receptive field | 31×31 |" in out and "dilated [1, 2, 4, 8]" in out


def test_info_unknown_name_is_one_clear_line(capsys):
    assert main(["info", "photonic_inv_dilatd"]) == 2
    err = capsys.readouterr().err
    assert "Did you mean 'photonic_inv_dilated'" in err and "Traceback" not in err


def test_no_command_is_a_usage_error():
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2


def test_version():
    import keras_imnn

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and keras_imnn.__version__


def test_no_tensorflow_start_up_lines_on_the_terminal():
    # TensorFlow writes its oneDNN / absl lines to fd 2 whatever TF_CPP_MIN_LOG_LEVEL says.
    import subprocess
    import sys

    env = {k: v for k, v in __import__("os").environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    run = subprocess.run([sys.executable, "-m", "keras_imnn.cli", "info", "photonic_inv"], capture_output=True,
                         text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "photonic_inv" in run.stdout
    assert "oneDNN" not in run.stderr and "absl" not in run.stderr, run.stderr
