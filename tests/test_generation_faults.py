"""Photonic generation when something goes wrong: a failing chunk, a kill, a corrupt cache, a full disk.

Nothing hangs (no worker processes), nothing is lost (outputs appear whole or not at all, finished
chunks stay cached), no silent wrong answer (a damaged file is named, never read as data).
"""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import h5py
import numpy as np
import psutil
import pytest

from keras_imnn.cli import main
from keras_imnn.physics.photonic import commands, dataset
from keras_imnn.physics.photonic.dataset import FIELDS, SolverSettings, generate, generate_chunks

REPO = Path(__file__).resolve().parents[1]
TINY = SolverSettings(n_bands=2, k_grid_n=4, n_max=2)


def _leftovers(folder: Path) -> list[Path]:
    """Temporary files of keras_imnn.atomic (hidden ``.NAME.*.tmp*``) under ``folder``."""
    return [p for p in folder.rglob(".*") if ".tmp" in p.name]


def test_a_failing_chunk_ends_the_run_at_once_naming_its_cells(tmp_path, monkeypatch):
    make_examples = dataset.make_examples

    def fails_on_cells_4_to_5(config, seed, start, n, settings):
        if start == 4:
            raise MemoryError("simulated")
        return make_examples(config, seed, start, n, settings)

    monkeypatch.setattr(dataset, "make_examples", fails_on_cells_4_to_5)
    threads = [t for t in threading.enumerate() if not t.daemon]  # pool workers are not daemons
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"cells 4\.\.5 failed with MemoryError: simulated; .*a rerun resumes"):
        list(generate_chunks("gapped", 0, 0, 40, TINY, chunk_size=2, workers=2, cache_dir=tmp_path,
                             progress=False))
    assert time.monotonic() - started < 10
    assert [t for t in threading.enumerate() if not t.daemon] == threads, "no worker is left running"
    assert (tmp_path / "gapped-s0-000000000-2.npz").exists(), "chunks before the failure stay cached"
    # cells 0..3 were consumed; at most 2 chunks per worker were in flight, the other 14 never ran
    assert len(list(tmp_path.glob("gapped-*.npz"))) <= 5


def test_generation_starts_no_child_process(tmp_path):
    # A worker process could be killed (OOM, kill -9) and leave the parent waiting forever;
    # threads cannot die alone.
    chunks = generate_chunks("gapped", 0, 0, 6, TINY, chunk_size=1, workers=2, progress=False)
    next(chunks)
    assert psutil.Process().children(recursive=True) == []
    chunks.close()


def test_kill_9_midway_then_rerun_resumes_from_the_cache(tmp_path, monkeypatch):
    n = 200
    args = ["generate", "photonic", "--config", "gapped", "--n", str(n), "--n-max", "3",
            "--out", str(tmp_path), "--workers", "2"]
    proc = subprocess.Popen([sys.executable, "-m", "keras_imnn.cli", *args], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cache = tmp_path / f".cache-photonic_gapped_n{n}_seed0-tm3-te3"
    deadline = time.monotonic() + 120
    while not list(cache.glob("gapped-*.npz")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.kill()
    proc.wait()
    assert children == []
    assert proc.returncode == -9, "the run ended before it could be killed midway"
    cached = len(list(cache.glob("gapped-*.npz")))
    assert 1 <= cached < n // 25
    calls = []
    make_examples = dataset.make_examples
    monkeypatch.setattr(dataset, "make_examples", lambda *a: calls.append(a) or make_examples(*a))
    assert main(args) == 0
    assert len(calls) == n // 25 - cached, "the rerun computes only the missing chunks"
    data = np.load(tmp_path / f"photonic_gapped_n{n}_seed0_nmax_tm3_te3.npz")
    np.testing.assert_array_equal(data["index"], np.arange(n))
    assert all(data[key].shape[0] == n for key in FIELDS)
    assert not cache.exists() and not _leftovers(tmp_path)


def test_a_script_without_main_guard_can_build_the_dataset(tmp_path):
    # With spawned worker processes, each worker re-imported this script and died, endlessly.
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import tensorflow_datasets as tfds\n"
        "import tfds_builders  # noqa: F401\n"
        f"ds = tfds.load('photonic_crystals/gapped_tiny', data_dir={str(tmp_path / 'data')!r}, split='test')\n"
        "print('examples', len(list(ds)))\n")
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "examples 8" in done.stdout


def test_a_corrupt_cached_chunk_is_named_discarded_and_recomputed(tmp_path):
    first = generate("gapped", 6, 0, TINY, chunk_size=2, workers=1, cache_dir=tmp_path, progress=False)
    files = sorted(tmp_path.glob("gapped-*.npz"))
    files[0].write_bytes(b"not a zip file at all")
    files[2].write_bytes(files[2].read_bytes()[:300])  # truncated, as by a full disk
    with pytest.warns(RuntimeWarning, match="corrupt cached chunk") as caught:
        again = generate("gapped", 6, 0, TINY, chunk_size=2, workers=2, cache_dir=tmp_path, progress=False)
    named = " ".join(str(w.message) for w in caught)
    assert files[0].name in named and files[2].name in named and files[1].name not in named
    for key in FIELDS:
        np.testing.assert_array_equal(again[key], first[key])
    for i, path in enumerate(files):  # recomputed chunks are cached again, whole
        with np.load(path) as chunk:
            np.testing.assert_array_equal(chunk["tm_gap"], first["tm_gap"][2 * i:2 * i + 2])


_ARGS = ["generate", "photonic", "--config", "gapped", "--n", "6", "--workers", "1", "--n-max", "2"]


def _main_or_oserror(argv: list[str]) -> int:
    """main's exit code; an OSError (a full disk) that propagates counts as exit 1."""
    try:
        return main(argv)
    except OSError:
        return 1


@pytest.mark.parametrize("fmt", ["npz", "h5"])
def test_a_full_disk_during_the_final_write_keeps_the_previous_file(tmp_path, monkeypatch, fmt):
    args = [*_ARGS, "--out", str(tmp_path), "--format", fmt]
    assert main(args) == 0
    path = tmp_path / f"photonic_gapped_n6_seed0_nmax_tm2_te2.{fmt}"
    good, summary = path.read_bytes(), path.with_suffix(".json").read_text()

    def full_disk(file, *_, **__):  # some bytes reach the disk, then it is full
        Path(file).write_bytes(good[: len(good) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    def h5_full_disk(*_, **__):  # h5py.File(..., "w") has already truncated the file
        raise OSError(errno.ENOSPC, "No space left on device")

    if fmt == "npz":
        monkeypatch.setattr(np, "savez_compressed", full_disk)
    else:
        monkeypatch.setattr(h5py.Group, "create_dataset", h5_full_disk)
    assert _main_or_oserror(args) != 0
    assert path.read_bytes() == good and path.with_suffix(".json").read_text() == summary
    assert not _leftovers(tmp_path)
    cache = list(tmp_path.glob(".cache-*"))
    assert len(cache) == 1 and len(list(cache[0].glob("gapped-*.npz"))) == 1, "finished chunks stay cached"


def test_a_failed_summary_write_leaves_the_previous_pair(tmp_path, monkeypatch):
    args = [*_ARGS, "--out", str(tmp_path)]
    assert main(args) == 0
    stem = tmp_path / "photonic_gapped_n6_seed0_nmax_tm2_te2"
    summary, data = stem.with_suffix(".json"), stem.with_suffix(".npz")
    previous = summary.read_text(), data.read_bytes()
    write_text = Path.write_text

    def full_disk(self, text, *a, **k):
        if self.suffix == ".json":
            write_text(self, text[:10], *a, **k)
            raise OSError(errno.ENOSPC, "No space left on device")
        return write_text(self, text, *a, **k)

    monkeypatch.setattr(Path, "write_text", full_disk)
    assert _main_or_oserror(args) != 0
    assert (summary.read_text(), data.read_bytes()) == previous
    assert json.loads(previous[0])["n"] == 6
    assert not _leftovers(tmp_path)


@pytest.fixture
def small_disk(tmp_path):
    """A real 2 MiB tmpfs (root only; skipped where mounting is not allowed)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)],
                             capture_output=True).returncode == 0
    if not mounted:
        pytest.skip("cannot mount a tmpfs here")
    yield disk
    subprocess.run(["umount", str(disk)], check=True)


def test_a_really_full_disk_keeps_the_previous_file(small_disk):
    args = [*_ARGS, "--out", str(small_disk)]
    assert main(args) == 0
    path = small_disk / "photonic_gapped_n6_seed0_nmax_tm2_te2.npz"
    size = path.stat().st_size
    # A previous file smaller than the new one: writing in place would free almost nothing.
    np.savez(path, previous=np.arange(3))
    previous = path.read_bytes()
    # Cache the chunks of the rerun, then leave room for half of the final file.
    cache = small_disk / ".cache-photonic_gapped_n6_seed0-tm2-te2"
    generate("gapped", 6, 0, SolverSettings(n_max=2), workers=1, cache_dir=cache, progress=False)
    stat = os.statvfs(small_disk)
    (small_disk / "filler").write_bytes(b"\0" * (stat.f_bavail * stat.f_frsize - size // 2))
    assert _main_or_oserror(args) != 0
    assert path.read_bytes() == previous
    assert not _leftovers(small_disk)


def test_read_arrays_names_a_truncated_file(tmp_path):
    data = {"eps": np.zeros((2, 32, 32), np.float32), "tm_gap": np.zeros(2, np.float32)}
    for suffix in (".npz", ".h5"):
        path = tmp_path / f"cells{suffix}"
        commands.write_arrays(path, data, {"config": "gapped"})
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        with pytest.raises(ValueError, match=f"cannot read .*cells{suffix}, truncated"):
            commands.read_arrays(path)


def test_a_failing_chunk_is_one_line_in_the_cli(tmp_path, monkeypatch, capsys):
    from keras_imnn.cli import main

    def out_of_memory(*args):
        raise MemoryError("simulated")

    monkeypatch.setattr(dataset, "make_examples", out_of_memory)
    assert main(["generate", "photonic", "--n", "4", "--out", str(tmp_path), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "failed with MemoryError: simulated" in err and "Traceback" not in err


def test_atomic_outputs_get_the_mode_of_a_plain_write(tmp_path):
    from keras_imnn.atomic import atomic_dir, atomic_write_text

    old = os.umask(0o022)  # a usual umask, so 0600/0700 (tempfile's modes) would differ
    try:
        (tmp_path / "plain.txt").write_text("x")
        atomic_write_text(tmp_path / "atomic.txt", "x")
        (tmp_path / "plain").mkdir()
        with atomic_dir(tmp_path / "atomic") as tmp:
            (tmp / "a.txt").write_text("x")
    finally:
        os.umask(old)
    mode = lambda name: (tmp_path / name).stat().st_mode & 0o777  # noqa: E731
    assert mode("atomic.txt") == mode("plain.txt") == 0o644
    assert mode("atomic") == mode("plain") == 0o755
