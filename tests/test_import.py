"""``import keras_imnn`` registers the Keras objects a saved model needs, in either import order, and
``import keras_imnn.physics...`` still imports no Keras. Each case runs in a fresh interpreter."""
import os
import subprocess
import sys

import pytest

import keras_imnn


def run_python(code: str) -> subprocess.CompletedProcess:
    # JAX starts faster than TensorFlow; the registration does not depend on the backend.
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "tuned.keras"
    keras_imnn.load("magnet_inv", weights=None).save(path)
    return path


@pytest.mark.parametrize("imports", [
    "import keras, keras_imnn",
    "import keras_imnn, keras",
    # TensorFlow asks for keras' spec before anything imports it.
    "import importlib.util, keras_imnn\nimportlib.util.find_spec('keras')\nimport keras",
])
def test_a_saved_zoo_model_loads_after_importing_the_package(imports, saved_model):
    run = run_python(f"{imports}\nprint(keras.saving.load_model({str(saved_model)!r}).name)")
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split()[-1] == "magnet_inv"


def test_the_physics_solvers_import_no_keras():
    run = run_python("import sys\nimport keras_imnn.physics.photonic.solver\nimport keras_imnn\n"
                     "print(sorted(m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow', 'jax')))")
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip() == "[]"
