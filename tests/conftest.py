import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# XLA compiles each model for ~10 s on 2 cores, longer than the tests' tiny models train;
# test_training checks that it is on by default.
os.environ["KERAS_IMNN_XLA"] = "0"

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
