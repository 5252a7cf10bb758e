import importlib.util
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# XLA compiles each model for ~10 s on 2 cores, longer than the tests' tiny models train;
# test_training checks that it is on by default.
os.environ["KERAS_IMNN_XLA"] = "0"

import keras
import numpy as np
import pytest


@pytest.fixture(scope="session", autouse=True)
def temp_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Temporary files of the code under test and of its subprocesses go under pytest's basetemp, which
    pytest prunes: Beam's job server leaves an empty ``beam-temp*`` directory per pipeline otherwise."""
    root = tmp_path_factory.mktemp("tempfile")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(root))
        patch.setattr(tempfile, "tempdir", str(root))
        yield root


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def seeded() -> None:
    """Every test starts from one random state, so a tiny model's learning test cannot pass or fail by
    its initialization (e.g. the 4-filter model of test_fit_learns_an_invariant_target is stuck
    from about 1 init in 6)."""
    keras.utils.set_random_seed(0)


@pytest.fixture(scope="session")
def gen_pages() -> ModuleType:
    """docs/gen_pages.py, the docs site's page generator (a script beside the pages, not an installed module)."""
    path = Path(__file__).resolve().parents[1] / "docs" / "gen_pages.py"
    spec = importlib.util.spec_from_file_location("gen_pages", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
