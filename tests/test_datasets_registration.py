"""`import keras_imnn.datasets` registers the TFDS builders; `import keras_imnn` alone does not import TFDS; the
older `import tfds_builders` still works. Each case runs in a fresh interpreter."""
import os
import subprocess
import sys


def run_python(code: str) -> str:
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout.split()[-1]


REGISTERED = ("import tensorflow_datasets as tfds\n"
              "names = tfds.list_builders(with_community_datasets=False)\n"
              "print('photonic_crystals' in names and 'frustrated_magnets' in names)")


def test_import_keras_imnn_datasets_registers_the_builders():
    assert run_python("import keras_imnn.datasets\n" + REGISTERED) == "True"


def test_the_attribute_registers_them_on_first_use_and_import_stays_light():
    code = ("import sys, keras_imnn\nlight = 'tensorflow_datasets' not in sys.modules\n"
            "builders = keras_imnn.datasets.BUILDERS\n" + REGISTERED.replace("print(", "print(light and "))
    assert run_python(code) == "True"


def test_tfds_builders_stays_importable():
    assert run_python("import tfds_builders\n" + REGISTERED) == "True"
