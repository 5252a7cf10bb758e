"""What the wheel holds and needs: no tests, the weights, QuSpin only as an extra that nothing but the
magnet solver asks for."""
from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import textwrap
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """The wheel setuptools builds from a clean copy (about 1 s; a build in the checkout would reuse
    whatever an earlier build left in build/)."""
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("wheel")
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src)
    for name in ("keras_imnn", "tfds_builders", "weights", "tests"):  # tests: to see they stay out
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-c", f"from setuptools import build_meta; build_meta.build_wheel({str(out)!r})"],
                   cwd=src, check=True, capture_output=True)
    return zipfile.ZipFile(next(out.glob("*.whl")))


def test_wheel_has_no_tests_and_all_weights(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    assert [n for n in names if n.endswith("_test.py") or n.split("/")[0] in ("tests", "test")] == []
    assert "tfds_builders/photonic_crystals/photonic_crystals.py" in names
    assert "tfds_builders/photonic_crystals/README.md" in names
    shipped = {n.split("/data/share/keras_imnn/", 1)[1] for n in names if "/data/share/keras_imnn/weights/" in n}
    expected = {p.relative_to(ROOT).as_posix() for p in (ROOT / "weights").rglob("*") if p.is_file()}
    assert expected and shipped == expected


def test_quspin_and_the_tfds_cli_are_extras(wheel: zipfile.ZipFile) -> None:
    metadata = Parser().parsestr(wheel.read(next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")))
                                 .decode())
    requires = metadata.get_all("Requires-Dist")
    base = {r.split(">")[0].split("[")[0] for r in requires if "extra ==" not in r}
    assert {"keras", "numpy", "scipy", "tensorflow-datasets", "psutil", "tqdm", "threadpoolctl", "h5py",
            "matplotlib"} <= base
    assert "quspin" not in base

    extras = configparser.ConfigParser()
    extras.read(ROOT / "setup.cfg")

    def extra(name: str) -> set[str]:
        return {r.split(">")[0].split("[")[0] for r in extras["options.extras_require"][name].split()}

    assert extra("magnet") == {"quspin"}
    assert extra("tfds") == {"mlcroissant", "apache-beam"}
    for name in ("test", "dev"):  # the tests build magnet data and run the `tfds` command line
        assert {"quspin", "mlcroissant", "apache-beam", "pytest", "pytest-xdist"} <= extra(name)


def test_everything_but_the_magnet_solver_runs_without_quspin() -> None:
    """With QuSpin unimportable: the photonic solver, a pretrained model and fine-tuning work; every
    magnet-data entry point (ground_state, `keras-imnn generate magnet`, the TFDS builder) says which
    extra to install."""
    script = textwrap.dedent("""
        import sys, tempfile
        sys.modules["quspin"] = None  # `import quspin` now fails as if it were not installed
        import numpy as np
        from keras_imnn.physics.photonic.cells import sample_unit_cells
        from keras_imnn.physics.photonic.kpoints import k_grid
        from keras_imnn.physics.photonic.solver import band_structure
        eps = sample_unit_cells(4, "gapped").eps
        assert band_structure(eps, k_grid(4), n_bands=2, n_max=3).shape == (4, 16, 2)
        import keras_imnn
        assert keras_imnn.load("photonic_inv_dilated").predict(eps[..., None], verbose=0).shape == (4, 1)
        model, _ = keras_imnn.finetune("photonic_inv", eps, np.linspace(0, 0.3, 4), epochs=1, batch_size=2,
                                       validation_split=0.5, verbose=0)
        from keras_imnn.physics.magnet.ed import MissingQuSpinError, ground_state
        try:
            ground_state("square", (4, 4), 0.5)
        except MissingQuSpinError as err:
            print("ground_state:", err)
        from keras_imnn.cli import main
        print("cli rc", main(["generate", "magnet", "--j2", "0.5", "--out", tempfile.mkdtemp()]))
        import tensorflow_datasets as tfds
        import tfds_builders
        try:
            tfds.builder("frustrated_magnets/square_4x4_j2_0.5", data_dir=tempfile.mkdtemp()).download_and_prepare()
        except ImportError as err:
            print("tfds:", err)
        assert sys.modules["quspin"] is None
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    hint = 'pip install "keras_imnn[magnet]"'
    lines = run.stdout.splitlines() + run.stderr.splitlines()
    assert [line for line in lines if line.startswith("ground_state:") and hint in line]
    assert "cli rc 2" in lines
    assert [line for line in lines if line.startswith("keras-imnn generate: error:") and hint in line]
    assert [line for line in lines if line.startswith("tfds:") and hint in line]
