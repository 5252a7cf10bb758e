"""Work that cannot fit in memory is refused up front, in one line, before anything big is allocated."""
import numpy as np
import psutil
import pytest

from keras_imnn.physics import memory
from keras_imnn.physics.magnet import ed
from keras_imnn.physics.photonic import solver

CELL = np.where(np.add.outer(np.arange(8), np.arange(8)) % 3 == 0, 8.0, 1.0)
GAMMA = np.zeros((1, 2))


@pytest.fixture(autouse=True)
def _no_env_limit(monkeypatch):
    monkeypatch.delenv(memory.ENV_VAR, raising=False)


def test_limit_is_the_argument_else_the_env_var_else_most_of_available_memory(monkeypatch):
    default = memory.memory_limit_bytes()
    assert 0 < default <= psutil.virtual_memory().total
    monkeypatch.setenv(memory.ENV_VAR, "2.5")
    assert memory.memory_limit_bytes() == 2_500_000_000
    assert memory.memory_limit_bytes(0.5) == 500_000_000
    monkeypatch.setenv(memory.ENV_VAR, "lots")
    with pytest.raises(ValueError, match=memory.ENV_VAR):
        memory.memory_limit_bytes()


def test_refusal_is_one_line_with_estimate_limit_and_remedy():
    with pytest.raises(memory.MemoryLimitError) as err:
        memory.check_memory(3e9, "big work", "do less", max_memory_gb=1)
    message = str(err.value)
    assert "\n" not in message
    for part in ("big work", "3 GB", "1 GB", "do less", memory.ENV_VAR, "max_memory_gb"):
        assert part in message
    # The CLI reports ValueErrors in one line; code that expects a MemoryError catches it too.
    assert isinstance(err.value, ValueError) and isinstance(err.value, MemoryError)


def test_env_var_raises_the_limit(monkeypatch):
    petabyte = 1e15
    with pytest.raises(memory.MemoryLimitError):
        memory.check_memory(petabyte, "huge")
    monkeypatch.setenv(memory.ENV_VAR, "2e6")
    memory.check_memory(petabyte, "huge")


def _must_not_run(*args, **kwargs):
    raise AssertionError("the heavy work started before the memory check")


def test_band_structure_at_n_max_70_is_refused_before_solving(monkeypatch):
    # n_max 70 is 20 000 plane waves: ~6 GB a matrix, several alive at once.
    monkeypatch.setattr(solver, "_solve_pwe_batched", _must_not_run)
    with pytest.raises(memory.MemoryLimitError, match="n_max=70"):
        solver.band_structure(CELL, GAMMA, 2, "tm", n_max=70)


def test_band_structure_default_call_passes_and_a_tiny_limit_refuses_it(monkeypatch):
    assert solver.band_structure(CELL, GAMMA, 2, "te").shape == (1, 2)
    monkeypatch.setenv(memory.ENV_VAR, "0.001")
    with pytest.raises(memory.MemoryLimitError, match="0.001 GB"):
        solver.band_structure(CELL, GAMMA, 2, "te")
    with pytest.raises(memory.MemoryLimitError):
        solver.band_structure(CELL, GAMMA, 2, "te", max_memory_gb=0.001)


def test_expanding_a_6x6_ground_state_is_refused_before_any_ed(monkeypatch):
    # 9.1e9 Sz = 0 states: far beyond any machine this runs on. The limit lets the sector's ED
    # itself through (~120 GB), so the refusal is the expansion's.
    monkeypatch.setattr(ed, "_orbits", _must_not_run)
    monkeypatch.setenv(memory.ENV_VAR, "200")
    with pytest.raises(memory.MemoryLimitError, match="expand=False"):
        ed.ground_state("square", (6, 6), 0.5, sector="symmetric", progress=False)


def test_ground_state_default_call_passes_and_a_tiny_limit_refuses_it(monkeypatch):
    assert ed.ground_state("square", (4, 4), 0.5, sector="symmetric").states.shape == (12870,)
    monkeypatch.setenv(memory.ENV_VAR, "1e-6")
    with pytest.raises(memory.MemoryLimitError, match="ED of square 4x4"):
        ed.ground_state("square", (4, 4), 0.5, sector="symmetric")


@pytest.mark.parametrize("lattice, shape", [("square", (4, 4)), ("triangular", (4, 3)), ("square", (6, 3))])
def test_ed_estimate_counts_the_orbits_it_will_build(lattice, shape):
    lat = ed.make_lattice(lattice, shape)
    for names in {tuple(sector) for sector in ed.candidate_sectors(lat)}:
        assert ed._n_orbits(lat, names) == len(ed._orbits(lattice, shape, names).size)
