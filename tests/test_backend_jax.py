"""The layer tests again under the JAX backend (Keras fixes its backend at import: a subprocess)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("jax", reason="install the [test] extra to check the JAX backend")


@pytest.mark.jax
def test_layers_pass_under_jax():
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    here = Path(__file__).parent
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(here / "test_layers.py")],
        env=env, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
    backend = subprocess.run([sys.executable, "-c", "import keras; print(keras.backend.backend())"],
                             env=env, capture_output=True, text=True, timeout=300)
    assert backend.stdout.strip().splitlines()[-1] == "jax", backend.stdout + backend.stderr
