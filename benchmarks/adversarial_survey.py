"""Adversarial survey: careless and hostile inputs through the CLI and the API, each in its own process with a
timeout and a memory cap, classified by outcome.

    python benchmarks/adversarial_survey.py [--out survey.json] [--timeout 120] [--only SUBSTRING]

Outcomes: ``clear_error`` (one line naming the fault, from our code: ``keras-imnn CMD: error: ...`` or a
ValueError / OSError / LookupError / MemoryError raised in keras_imnn), ``right_answer`` (exit 0 and the case's
check holds), ``traceback`` (a crash, a bug's exception, or an error message from inside a library), ``hang`` (past
the timeout), ``silent_wrong`` (exit 0 where a refusal was due, or a wrong result), ``data_loss`` (a file the case
must keep was changed or removed). Prints the counts
and writes every case with its outcome and last line to ``--out`` (JSON).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: A case may allocate this much (address space) before the kernel refuses: a runaway allocation shows as a crash.
MEMORY_CAP_BYTES = 8 * 2**30


@dataclass
class Case:
    """One input. ``argv``: a ``keras-imnn`` command line; or ``code``: Python run with ``np``, ``keras_imnn`` and
    the workspace ``W`` (a Path) in scope, whose ``result`` (if set) ``check`` judges. ``expect``: "error" or "ok".
    ``keep``: files (relative to the workspace) that must be byte-identical afterwards."""

    name: str
    argv: list[str] | None = None
    code: str | None = None
    expect: str = "error"
    check: str | None = None  # Python expression on ``out`` (stdout) / ``W``, true for a right answer
    keep: list[str] = field(default_factory=list)


API_WRAPPER = """
import sys, traceback, json
from pathlib import Path
import numpy as np
W = Path({workspace!r})
try:
    import keras_imnn
{body}
except Exception as err:
    frames = traceback.extract_tb(err.__traceback__)
    # Ours: raised by keras_imnn's own code as a fault of the input (an AttributeError or a TypeError is a bug).
    ours = (bool(frames) and "keras_imnn" in frames[-1].filename and "site-packages" not in frames[-1].filename
            and isinstance(err, (ValueError, OSError, LookupError, MemoryError)))
    text = str(err).strip().replace("\\n", " | ")
    print(("OURS " if ours else "FOREIGN ") + type(err).__name__ + ": " + text, file=sys.stderr)
    sys.exit(3)
"""


def build_workspace(w: Path) -> None:
    """The files the cases use: a tiny model and a run, data files good and bad."""
    code = f"""
import json, numpy as np, keras_imnn
from pathlib import Path
from keras_imnn.training.loop.train import save_run
W = Path({str(w)!r})
m = keras_imnn.load("photonic_inv_dilated", pretrained=False, input_shape=(8, 8, 1), filters=4)
m.save(W / "tiny.keras")
save_run(W / "run", m, {{"model": "photonic_inv_dilated", "task": "photonic"}}, {{}})
mg = keras_imnn.load("magnet_inv", pretrained=False, filters=4)
mg.save(W / "magnet.keras")
rng = np.random.default_rng(0)
x = rng.choice([1.0, 12.0], size=(16, 8, 8)).astype("float32")
np.savez(W / "good.npz", x=x, y=rng.uniform(0, 0.3, 16))
s = rng.integers(0, 2, size=(16, 4, 4))
np.savez(W / "spins.npz", x=s, y=rng.integers(0, 2, 16))
(W / "text.npz").write_text("not a zip")
(W / "empty.npz").write_bytes(b"")
np.savez(W / "nothing.npz")
np.savez(W / "x_only.npz", x=x)
np.savez(W / "y_only.npz", y=np.zeros(16))
np.savez(W / "zero_rows.npz", x=np.zeros((0, 8, 8)), y=np.zeros(0))
np.savez(W / "nan_x.npz", x=np.where(np.arange(8 * 8 * 16).reshape(16, 8, 8) == 5, np.nan, x), y=np.zeros(16))
np.savez(W / "inf_y.npz", x=x, y=np.full(16, np.inf))
np.savez(W / "neg_eps.npz", x=-x, y=np.zeros(16))
np.savez(W / "zero_eps.npz", x=0 * x, y=np.zeros(16))
np.savez(W / "bool_x.npz", x=x > 5, y=np.zeros(16))
np.savez(W / "complex_x.npz", x=x + 1j, y=np.zeros(16))
np.savez(W / "str_x.npz", x=np.array(["a"] * 16), y=np.zeros(16))
np.savez(W / "obj_x.npz", x=np.array([None] * 16, dtype=object), y=np.zeros(16), allow_pickle=True)
np.savez(W / "x_1d.npz", x=np.ones(16), y=np.zeros(16))
np.savez(W / "x_5d.npz", x=np.ones((16, 8, 8, 1, 1)), y=np.zeros(16))
np.savez(W / "x_3ch.npz", x=np.ones((16, 8, 8, 3)), y=np.zeros(16))
np.savez(W / "x_wrong_size.npz", x=np.ones((16, 9, 9)) * 2, y=np.zeros(16))
np.savez(W / "y_short.npz", x=x, y=np.zeros(3))
np.savez(W / "y_long.npz", x=x, y=np.zeros(40))
np.savez(W / "y_one.npz", x=x, y=np.zeros(1))
np.savez(W / "y_wide.npz", x=x, y=np.zeros((16, 4)))
np.savez(W / "y_3d.npz", x=x, y=np.zeros((16, 1, 1)))
np.savez(W / "y_str.npz", x=x, y=np.array(["a"] * 16))
np.savez(W / "huge_eps.npz", x=np.where(x > 5, 1e6, 1.0), y=np.zeros(16))
np.savez(W / "uniform.npz", x=np.full((16, 8, 8), 3.0), y=np.zeros(16))
np.savez(W / "spins_pm1.npz", x=2 * s - 1, y=rng.integers(0, 2, 16))
np.savez(W / "spins_2.npz", x=2 * s, y=rng.integers(0, 2, 16))
np.savez(W / "spins_float.npz", x=s + 0.5, y=rng.integers(0, 2, 16))
np.savez(W / "labels_09.npz", x=s, y=np.full(16, 0.9))
np.savez(W / "labels_2.npz", x=s, y=np.full(16, 2))
np.savez(W / "labels_neg.npz", x=s, y=np.full(16, -1))
np.savez(W / "one_sample.npz", x=x[:1], y=np.zeros(1))
np.savez(W / "two_samples.npz", x=x[:2], y=np.zeros(2))
(W / "afile").write_text("I am a file")
(W / "notpng.png").write_text("old picture")
(W / "full").mkdir()
(W / "full" / "precious.txt").write_text("keep me")
(W / "outdata").mkdir()
np.savez(W / "outdata" / "xy.npz", x=x, y=np.zeros(16))
(W / "weights_abs").mkdir()
(W / "weights_abs" / "manifest.json").write_text(json.dumps({{"photonic_inv": {{"file": "/etc/hostname",
    "sha256": "0" * 64}}}}))
(W / "weights_up").mkdir()
(W / "weights_up" / "manifest.json").write_text(json.dumps({{"photonic_inv": {{"file": "../good.npz",
    "sha256": "0" * 64}}}}))
(W / "weights_list").mkdir()
(W / "weights_list" / "manifest.json").write_text("[1, 2]")
(W / "run_list").mkdir(); m.save(W / "run_list" / "model.keras"); (W / "run_list" / "run.json").write_text("[]")
(W / "run_task").mkdir(); m.save(W / "run_task" / "model.keras")
(W / "run_task" / "run.json").write_text(json.dumps({{"model": "photonic_inv_dilated", "task": "magnet"}}))
(W / "run_badjson").mkdir(); m.save(W / "run_badjson" / "model.keras")
(W / "run_badjson" / "run.json").write_text("{{")
(W / "run_unknown_task").mkdir(); m.save(W / "run_unknown_task" / "model.keras")
(W / "run_unknown_task" / "run.json").write_text(json.dumps({{"task": "astrology"}}))
(W / "nomodel").mkdir()
(W / "fake.keras").write_text("not a zip")
"""
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=_env(),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cases() -> list[Case]:
    c: list[Case] = []
    bad_numbers = ["nan", "inf", "-1", "abc", "0", "1e400", "99999999999999999999999"]
    # 1. numeric options of every command, careless values (refused by argparse or the estimates)
    numeric = {
        ("generate", "photonic", "--out", "{W}/gp"): ["--n", "--seed", "--workers", "--n-max"],
        ("generate", "magnet", "--j2", "0.5", "--out", "{W}/gm"): ["--test-size", "--seed", "--train-fraction"],
        ("train", "photonic_inv", "--out", "{W}/tr"): ["--n-train", "--batch-size", "--learning-rate",
                                                       "--max-minutes", "--validate-every"],
        ("finetune", "{W}/tiny.keras", "--data", "{W}/good.npz", "--out", "{W}/ft"): ["--validation-split",
                                                                                     "--batch-size"],
        ("plot", "photonic", "--out", "{W}/p.png"): ["--cells", "--n"],
        ("demo", "--out", "{W}/d.png"): ["--n"],
    }
    for base, options in numeric.items():
        for option in options:
            # A huge learning rate is a valid (if foolish) option: training would start, so it is no case here.
            for value in (bad_numbers if option in ("--n", "--n-max") else bad_numbers[:4]):
                c.append(Case(f"{' '.join(base[:2])} {option} {value}", argv=[*base, option, value]))
    # 2. magnet sizes and couplings
    for shape in (["2", "2"], ["3", "3"], ["5", "4", "3"], ["-4", "4"], ["0", "4"], ["12", "12"], ["1000", "1000"],
                  ["7", "6"], ["4.5", "4"]):
        c.append(Case(f"generate magnet --shape {' '.join(shape)}",
                      argv=["generate", "magnet", "--j2", "0.5", "--out", "{W}/gm2", "--shape", *shape]))
    for j2 in ("nan", "inf", "-inf", "abc"):
        c.append(Case(f"generate magnet --j2 {j2}", argv=["generate", "magnet", "--j2", j2, "--out", "{W}/gm3"]))
    c.append(Case("generate magnet --lattice hexagonal",
                  argv=["generate", "magnet", "--j2", "0.5", "--lattice", "hexagonal", "--out", "{W}/gm4"]))
    c.append(Case("generate magnet 4x4 right answer", argv=["generate", "magnet", "--j2", "0.5", "--out", "{W}/gm5"],
                  expect="ok", check="(W / 'gm5' / 'train.npz').exists() and (W / 'gm5' / 'metadata.json').exists()"))
    c.append(Case("generate magnet into a folder of other files",
                  argv=["generate", "magnet", "--j2", "0.5", "--out", "{W}/full"], keep=["full/precious.txt"]))
    c.append(Case("generate magnet --out is a file", argv=["generate", "magnet", "--j2", "0.5", "--out", "{W}/afile"],
                  keep=["afile"]))
    c.append(Case("generate magnet --ground-state-dir without orbits",
                  argv=["generate", "magnet", "--j2", "0.5", "--out", "{W}/gm6", "--ground-state-dir", "{W}"]))
    # 3. photonic generation
    for option, value in (("--config", "bogus"), ("--format", "csv")):
        c.append(Case(f"generate photonic {option} {value}", argv=["generate", "photonic", option, value, "--out",
                                                                   "{W}/g"]))
    c.append(Case("generate photonic --out is a file", argv=["generate", "photonic", "--n", "2", "--out", "{W}/afile"],
                  keep=["afile"]))
    c.append(Case("generate photonic --n 2 --n-max 2 right answer",
                  argv=["generate", "photonic", "--n", "2", "--n-max", "2", "--out", "{W}/gp2"], expect="ok",
                  check="len(list((W / 'gp2').glob('*nmax_tm2_te2.npz'))) == 1"))
    c.append(Case("generate photonic --n-max 500 (estimate)",
                  argv=["generate", "photonic", "--n", "2", "--n-max", "500", "--out", "{W}/gp3"]))
    c.append(Case("generate photonic --workers 100000 (memory estimate)",
                  argv=["generate", "photonic", "--n", "1000", "--workers", "100000", "--out", "{W}/gp4"]))
    # 4. evaluate / finetune on careless data files
    data_faults = ["text", "empty", "nothing", "x_only", "y_only", "zero_rows", "nan_x", "inf_y", "neg_eps",
                   "zero_eps", "bool_x", "complex_x", "str_x", "obj_x", "x_1d", "x_5d", "x_3ch", "x_wrong_size",
                   "y_short", "y_long", "y_one", "y_wide", "y_3d", "y_str"]
    for name in data_faults:
        c.append(Case(f"evaluate --data {name}.npz",
                      argv=["evaluate", "{W}/tiny.keras", "--data", f"{{W}}/{name}.npz", "--task", "photonic"]))
    for name in data_faults[::2] + ["one_sample"]:
        c.append(Case(f"finetune --data {name}.npz", argv=["finetune", "{W}/tiny.keras", "--data", f"{{W}}/{name}.npz",
                                                          "--out", f"{{W}}/ft_{name}", "--epochs", "1"]))
    for name in ("spins_pm1", "spins_2", "spins_float", "labels_09", "labels_2", "labels_neg"):
        c.append(Case(f"evaluate magnet --data {name}.npz", argv=["evaluate", "{W}/magnet.keras", "--data",
                                                                  f"{{W}}/{name}.npz", "--task", "magnet"]))
        c.append(Case(f"finetune magnet --data {name}.npz", argv=["finetune", "{W}/magnet.keras", "--data",
                                                                  f"{{W}}/{name}.npz", "--task", "magnet", "--out",
                                                                  f"{{W}}/ftm_{name}", "--epochs", "1"]))
    c.append(Case("evaluate --data missing.npz", argv=["evaluate", "{W}/tiny.keras", "--data", "{W}/missing.npz",
                                                       "--task", "photonic"]))
    c.append(Case("evaluate --data a folder", argv=["evaluate", "{W}/tiny.keras", "--data", "{W}/full", "--task",
                                                    "photonic"]))
    c.append(Case("evaluate huge-eps cells warns and answers",
                  argv=["evaluate", "{W}/tiny.keras", "--data", "{W}/huge_eps.npz", "--task", "photonic"],
                  expect="ok", check="'DomainWarning' in err and json.loads(out)['n'] == 16"))
    c.append(Case("evaluate uniform cells warns and answers",
                  argv=["evaluate", "{W}/tiny.keras", "--data", "{W}/uniform.npz", "--task", "photonic"],
                  expect="ok", check="'DomainWarning' in err"))
    c.append(Case("evaluate good data right answer",
                  argv=["evaluate", "{W}/tiny.keras", "--data", "{W}/good.npz", "--task", "photonic"],
                  expect="ok", check="json.loads(out)['n'] == 16"))
    c.append(Case("evaluate --n 3 of good data", argv=["evaluate", "{W}/tiny.keras", "--data", "{W}/good.npz",
                                                        "--task", "photonic", "--n", "3"],
                  expect="ok", check="json.loads(out)['n'] == 3"))
    c.append(Case("evaluate --target te on x/y data", argv=["evaluate", "{W}/tiny.keras", "--data", "{W}/good.npz",
                                                             "--task", "photonic", "--target", "te"]))
    c.append(Case("evaluate a photonic model as magnet", argv=["evaluate", "{W}/tiny.keras", "--data", "{W}/spins.npz",
                                                                "--task", "magnet"]))
    # 5. models and run folders
    for model in ("nope_model", "{W}/fake.keras", "{W}/nomodel", "{W}/afile", "{W}/missing.keras", "{W}/run_list",
                  "{W}/run_task", "{W}/run_badjson", "{W}/run_unknown_task", "{W}/good.npz"):
        c.append(Case(f"evaluate model {model.replace('{W}/', '')}",
                      argv=["evaluate", model, "--data", "{W}/good.npz"]))
    c.append(Case("evaluate run folder right answer", argv=["evaluate", "{W}/run", "--data", "{W}/good.npz"],
                  expect="ok", check="json.loads(out)['task'] == 'photonic'"))
    c.append(Case("evaluate --task on --dataset", argv=["evaluate", "photonic_inv", "--dataset",
                                                       "photonic_crystals/gapped", "--task", "photonic"]))
    c.append(Case("evaluate --split bogus", argv=["evaluate", "photonic_inv", "--dataset", "photonic_crystals/gapped",
                                                  "--split", "bogus", "--data-dir", "{W}/tfds"]))
    c.append(Case("evaluate --split validation of a magnet dataset",
                  argv=["evaluate", "magnet_inv", "--dataset", "frustrated_magnets/square_4x4_j2_0.5", "--split",
                        "validation", "--data-dir", "{W}/tfds"]))
    c.append(Case("evaluate --dataset unknown", argv=["evaluate", "photonic_inv", "--dataset", "mnist"]))
    c.append(Case("evaluate a photonic model on magnet data", argv=["evaluate", "photonic_inv", "--dataset",
                                                                    "frustrated_magnets/square_4x4_j2_0.5"]))
    c.append(Case("train an unknown model", argv=["train", "nope", "--out", "{W}/t1"]))
    c.append(Case("train --monitor bogus", argv=["train", "photonic_inv", "--monitor", "bogus", "--out", "{W}/t2",
                                                 "--data-dir", "{W}/tfds"]))
    c.append(Case("train --group on a non-invariant model", argv=["train", "photonic_cnn", "--group", "c4", "--out",
                                                                  "{W}/t3"]))
    c.append(Case("train --group bogus", argv=["train", "photonic_inv", "--group", "x7", "--out", "{W}/t4"]))
    c.append(Case("train --target ex", argv=["train", "photonic_inv", "--target", "ex", "--out", "{W}/t5"]))
    c.append(Case("train into an existing non-empty folder", argv=["train", "photonic_inv", "--out", "{W}/full"],
                  keep=["full/precious.txt"]))
    # 6. outputs and data loss
    c.append(Case("finetune --out a file", argv=["finetune", "{W}/tiny.keras", "--data", "{W}/good.npz", "--out",
                                                 "{W}/afile"], keep=["afile"]))
    c.append(Case("finetune --out existing folder without --overwrite",
                  argv=["finetune", "{W}/tiny.keras", "--data", "{W}/good.npz", "--out", "{W}/full"],
                  keep=["full/precious.txt"]))
    c.append(Case("finetune --overwrite the folder of its data",
                  argv=["finetune", "{W}/tiny.keras", "--data", "{W}/outdata/xy.npz", "--out", "{W}/outdata",
                        "--overwrite"], keep=["outdata/xy.npz"]))
    c.append(Case("finetune --overwrite the run it starts from",
                  argv=["finetune", "{W}/run", "--data", "{W}/good.npz", "--out", "{W}/run", "--overwrite"],
                  keep=["run/model.keras", "run/run.json"]))
    c.append(Case("finetune under a file", argv=["finetune", "{W}/tiny.keras", "--data", "{W}/good.npz", "--out",
                                                 "{W}/afile/sub"], keep=["afile"]))
    c.append(Case("finetune right answer", argv=["finetune", "{W}/tiny.keras", "--data", "{W}/good.npz", "--out",
                                                 "{W}/ft_ok", "--epochs", "1"], expect="ok",
                  check="(W / 'ft_ok' / 'model.keras').exists() and (W / 'ft_ok' / 'run.json').exists()"))
    c.append(Case("finetune a held lock", argv=["finetune", "{W}/tiny.keras", "--data", "{W}/good.npz", "--out",
                                                "{W}/locked"], code=None))
    for out in ("{W}/full", "{W}/p.jpg", "{W}/p", "{W}/afile"):
        c.append(Case(f"plot photonic --out {out.replace('{W}/', '')}",
                      argv=["plot", "photonic", "--n", "2", "--cells", "1", "--out", out], keep=["afile"]))
        c.append(Case(f"demo --out {out.replace('{W}/', '')}", argv=["demo", "--n", "1", "--out", out],
                      keep=["afile"]))
    c.append(Case("plot magnet --data photonic file", argv=["plot", "magnet", "--data", "{W}/good.npz", "--out",
                                                            "{W}/m.png"]))
    c.append(Case("plot magnet --n 100000", argv=["plot", "magnet", "--data", "{W}/spins.npz", "--n", "100000",
                                                  "--out", "{W}/m.png"]))
    c.append(Case("plot photonic --cells 5000", argv=["plot", "photonic", "--cells", "5000", "--n", "6000", "--out",
                                                      "{W}/p.png"]))
    c.append(Case("plot photonic --data text file", argv=["plot", "photonic", "--data", "{W}/text.npz", "--out",
                                                          "{W}/p.png"]))
    c.append(Case("plot photonic --data x/y file", argv=["plot", "photonic", "--data", "{W}/good.npz", "--out",
                                                         "{W}/p.png"]))
    c.append(Case("demo with a magnet model", argv=["demo", "--model", "magnet_inv", "--n", "1", "--out",
                                                    "{W}/d.png"]))
    # 7. pipelines: data one command writes, read by the next
    c.append(Case("evaluate photonic_inv on generated cells", argv=["evaluate", "photonic_inv", "--data",
                                                                    "{W}/gp2/photonic_gapped_n2_seed0_nmax_tm2_te2.npz"],
                  expect="ok", check="json.loads(out)['n'] == 2"))
    c.append(Case("finetune a tiny 8x8 model on generated 32x32 cells",
                  argv=["finetune", "{W}/tiny.keras", "--data", "{W}/gp2/photonic_gapped_n2_seed0_nmax_tm2_te2.npz",
                        "--out", "{W}/ft_gen"]))
    c.append(Case("plot magnet of generated spins", argv=["plot", "magnet", "--data", "{W}/gm5/train.npz", "--out",
                                                          "{W}/m_ok.png"], expect="ok",
                  check="(W / 'm_ok.png').read_bytes()[:4] == b'\\x89PNG'"))
    c.append(Case("evaluate magnet_inv on generated 4x4 spins", argv=["evaluate", "magnet_inv", "--data",
                                                                      "{W}/gm5/test.npz"],
                  expect="ok", check="'accuracy' in json.loads(out)['metrics']"))
    c.append(Case("evaluate --n 1000 of 16 examples", argv=["evaluate", "{W}/tiny.keras", "--data", "{W}/good.npz",
                                                            "--task", "photonic", "--n", "1000"],
                  expect="ok", check="json.loads(out)['n'] == 16"))
    c.append(Case("finetune spins into a photonic model", argv=["finetune", "{W}/tiny.keras", "--data",
                                                                "{W}/spins.npz", "--out", "{W}/ft_sp"]))
    c.append(Case("finetune --task photonic_edges of a gap model", argv=["finetune", "{W}/tiny.keras", "--data",
                                                                         "{W}/good.npz", "--task", "photonic_edges",
                                                                         "--out", "{W}/ft_edges"]))
    c.append(Case("plot photonic --cells 5 of a 2-cell file",
                  argv=["plot", "photonic", "--data", "{W}/gp2/photonic_gapped_n2_seed0_nmax_tm2_te2.npz", "--cells",
                        "5", "--out", "{W}/p5.png"]))
    for argv in (["bogus-command"], ["list", "--bogus"], ["info", "nope"], ["evaluate"], ["finetune", "x"]):
        c.append(Case(f"cli {' '.join(argv)}", argv=argv))
    # 8. the API
    api = {
        "load unknown name": "keras_imnn.load('nope')",
        "load with a manifest path absolute": "keras_imnn.load('photonic_inv', weights_dir=W / 'weights_abs')",
        "load with a manifest path ../": "keras_imnn.load('photonic_inv', weights_dir=W / 'weights_up')",
        "load with a manifest that is a list": "keras_imnn.load('photonic_inv', weights_dir=W / 'weights_list')",
        "load with a bogus override": "keras_imnn.load('photonic_inv', pretrained=False, filterz=3)",
        "load with filters 0": "keras_imnn.load('photonic_inv', pretrained=False, filters=0)",
        "load with filters -4": "keras_imnn.load('photonic_inv', pretrained=False, filters=-4)",
        "load with a group bogus": "keras_imnn.load('photonic_inv', pretrained=False, group='x9')",
        "predict an empty batch": "result = tiny().predict(np.zeros((0, 8, 8)), verbose=0).shape == (0, 1)",
        "predict a wrong cell size": "tiny().predict(np.ones((2, 9, 9)), verbose=0)",
        "predict a 1-D array": "tiny().predict(np.ones(8), verbose=0)",
        "evaluate an empty batch": "m = tiny(); m.compile(loss='mse'); m.evaluate(np.zeros((0, 8, 8)), Y[:0])",
        "finetune n_outputs 0": "ft(tiny(), X, Y, n_outputs=0)",
        "finetune n_outputs 3 on 1-wide y": "ft(tiny(), X, Y, n_outputs=3)",
        "finetune n_outputs '2'": "ft(tiny(), X, Y, n_outputs='2')",
        "finetune negative eps": "ft(tiny(), -X, Y)",
        "finetune boolean cells": "ft(tiny(), X > 5, Y)",
        "finetune NaN labels": "ft(tiny(), X, Y * np.nan)",
        "finetune list of lists right answer": "ft(tiny(), X.tolist(), Y.tolist()); result = True",
        "finetune ragged list": "ft(tiny(), [X[0], X[1][:2]], Y[:2])",
        "finetune freeze bogus": "ft(tiny(), X, Y, freeze='head')",
        "finetune validation_split 1": "ft(tiny(), X, Y, validation_split=1.0)",
        "finetune validation_split nan": "ft(tiny(), X, Y, validation_split=float('nan'))",
        "finetune validation_data of one array": "ft(tiny(), X, Y, validation_data=(X,))",
        "finetune epochs 0": "ft(tiny(), X, Y, epochs=0)",
        "finetune batch_size 0": "ft(tiny(), X, Y, batch_size=0)",
        "finetune learning_rate -1": "ft(tiny(), X, Y, learning_rate=-1.0)",
        "finetune task bogus": "ft(tiny(), X, Y, task='ranking')",
        "finetune infinite dataset": "ft(tiny(), ds().repeat())",
        "finetune dataset with NaN labels": "ft(tiny(), ds(Y * np.nan))",
        "finetune dataset of x only": "ft(tiny(), ds().map(lambda x, y: x))",
        "finetune dataset and y": "ft(tiny(), ds(), Y)",
        "finetune empty dataset": "ft(tiny(), ds().take(0))",
        "finetune dataset right answer": "m, h = ft(tiny(), ds()); result = len(h.history['loss']) == 1",
        "finetune arrays right answer": "m, h = ft(tiny(), X, Y); result = bool(np.isfinite(h.history['loss'][0]))",
        "finetune magnet spins ±1": "ft(keras_imnn.load('magnet_inv', pretrained=False, filters=4), 2 * S - 1, L)",
        "finetune magnet labels 0.5": "ft(keras_imnn.load('magnet_inv', pretrained=False, filters=4), S, L * 0 + 0.5)",
        "band_structure eps 0": "bs(np.zeros((8, 8)))",
        "band_structure eps nan": "bs(np.full((8, 8), np.nan))",
        "band_structure eps string": "bs(np.full((8, 8), 'a'))",
        "band_structure 1x1 cell": "bs(np.ones((1, 1)))",
        "band_structure non-square cell": "bs(np.ones((8, 6)))",
        "band_structure n_bands 0": "bs(np.ones((8, 8)), n_bands=0)",
        "band_structure n_max 0": "bs(np.ones((8, 8)), n_max=0)",
        "band_structure n_max 10**6": "bs(np.ones((8, 8)), n_max=10**6)",
        "band_structure n_jobs 0": "bs(np.ones((8, 8)), n_jobs=0)",
        "band_structure polarization xy": "bs(np.ones((8, 8)), polarization='xy')",
        "band_structure k nan": "bs(np.ones((8, 8)), k=np.full((1, 2), np.nan))",
        "band_structure 2M cells lazily": "bs(np.broadcast_to(np.full((32, 32), 2.0), (2_000_000, 32, 32)), "
                                          "max_memory_gb=1)",
        "band_structure uniform right answer": "b = bs(np.ones((8, 8))); result = abs(float(b[0, 1]) - 1.0) < 1e-6",
        # 9 sites: Sz = +1/2; its ground state lies at complex momentum, which "auto" must say it missed.
        "ground_state odd lattice right answer": (
            "g, said = warned(ground_state, 'square', (3, 3), 0.5); e = np.linalg.eigvalsh(dense_block(g)); "
            "result = 'complex momentum' in said and '%.10g' % e[0] in said and np.abs(e - g.energy).min() < 1e-8"),
        "ground_state j2 nan": "ground_state('square', (4, 4), float('nan'))",
        "ground_state lattice hex": "ground_state('hex', (4, 4), 0.5)",
        "ground_state 8x8": "ground_state('square', (8, 8), 0.5)",
        "domain of an unknown dataset": "dataset_domain('mnist/x')",
        "domain check of bool cells": "dataset_domain('photonic_crystals/general').check(np.ones((1, 32, 32), bool))",
        "list_models right answer": "result = 'photonic_inv' in keras_imnn.list_models()",
        "load input_shape (0, 0, 1)": "keras_imnn.load('photonic_inv', pretrained=False, input_shape=(0, 0, 1))",
        "load input_shape (32, 32, 2) right answer": ("m = keras_imnn.load('photonic_inv', pretrained=False, "
                                                      "input_shape=(32, 32, 2)); result = m.input_shape[-1] == 2"),
        "finetune eps -0.0": "ft(tiny(), X * 0 - 0.0, Y)",
        "finetune float16 right answer": "ft(tiny(), X.astype(np.float16), Y); result = True",
        "band_structure list of lists right answer": "b = bs(np.ones((8, 8)).tolist()); result = b.shape == (1, 2)",
        "band_structure k of shape (2,)": "bs(np.ones((8, 8)), k=np.zeros(2))",
        "k_grid of 0": "from keras_imnn.physics.photonic.solver import k_grid; k_grid(0)",
        "memory limit env var abc": "import os; os.environ['KERAS_IMNN_MAX_MEMORY_GB'] = 'abc'; bs(np.ones((8, 8)))",
    }
    ok = {"predict an empty batch", "finetune dataset right answer", "finetune arrays right answer",
          "finetune list of lists right answer", "finetune float16 right answer",
          "band_structure list of lists right answer", "band_structure uniform right answer",
          "list_models right answer", "load input_shape (32, 32, 2) right answer",
          "ground_state odd lattice right answer"}
    for name, body in api.items():
        c.append(Case(f"api: {name}", code=body, expect="ok" if name in ok else "error",
                      check="'RESULT True' in out" if name in ok else None))
    return c


API_HELPERS = """
    import warnings
    warnings.simplefilter('ignore')
    from keras_imnn.training.loop.finetune import finetune
    from keras_imnn.physics.photonic.solver import band_structure
    from keras_imnn.physics.magnet.ed import ground_state
    from keras_imnn.domain import dataset_domain
    rng = np.random.default_rng(0)
    X = rng.choice([1.0, 12.0], size=(8, 8, 8)).astype('float32'); Y = rng.uniform(0, 0.3, 8).astype('float32')
    S = rng.integers(0, 2, size=(8, 4, 4)); L = rng.integers(0, 2, 8)
    def tiny():
        return keras_imnn.load('photonic_inv_dilated', pretrained=False, input_shape=(8, 8, 1), filters=4)
    def ft(*a, **k):
        return finetune(*a, **{'epochs': 1, 'verbose': 0, **k})
    def ds(y=Y):
        import tensorflow as tf
        return tf.data.Dataset.from_tensor_slices((X, y)).batch(4)
    def bs(eps, k=np.zeros((1, 2)), n_bands=2, **kw):
        return band_structure(eps, k, n_bands, **kw)
    def warned(f, *a):  # f's result and the text of the warnings it gave
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            out = f(*a)
        return out, ' '.join(str(c.message) for c in caught)
    def dense_block(g):  # the J1-J2 Hamiltonian on the ground state's Sz sector, built by hand
        index = {int(v): i for i, v in enumerate(g.states)}
        H = np.zeros((len(index), len(index)))
        for J, bonds in ((g.j1, g.lattice.nn_bonds), (g.j2, g.lattice.nnn_bonds)):
            for a, b in bonds:
                for v, i in index.items():
                    same = (v >> int(a) & 1) == (v >> int(b) & 1)
                    H[i, i] += J / 4 if same else -J / 4
                    if not same:
                        H[index[v ^ (1 << int(a)) ^ (1 << int(b))], i] += J / 2
        return H
    result = None
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_IMNN_XLA": "0",
            "OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _forked(case: Case, w: Path, timeout: float) -> tuple[int | None, str, str]:
    """(exit status or None after ``timeout``, stdout, stderr) of ``case`` run in a child forked from this process,
    which imported keras_imnn and TensorFlow once (and ran no op, so no thread pool exists to be forked): a case
    costs its own work, not the ~10 s of imports a fresh interpreter pays."""
    out_path, err_path = w / ".case.out", w / ".case.err"
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            _cap_memory()
            os.chdir(w)
            for fd, path in ((1, out_path), (2, err_path)):
                os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
            try:
                if case.argv is not None:
                    from keras_imnn.cli import main as cli_main

                    code = cli_main([a.replace("{W}", str(w)) for a in case.argv])
                else:
                    body = (API_HELPERS.strip("\n") + "\n" + textwrap.indent(case.code, "    ")
                            + "\n    print('RESULT', result)")
                    exec(API_WRAPPER.format(workspace=str(w), body=body), {"__name__": "__case__"})
                    code = 0
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
            except BaseException:
                import traceback

                traceback.print_exc()
                code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code or 0)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            rc = os.waitstatus_to_exitcode(status)
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            rc = None
            break
        time.sleep(0.05)
    read = lambda p: p.read_text(errors="replace") if p.exists() else ""  # noqa: E731
    return rc, read(out_path), read(err_path)


def run_case(case: Case, w: Path, timeout: float) -> dict[str, object]:
    """Run one case and classify it."""
    kept = {k: _digest(w / k) for k in case.keep}
    if case.name == "finetune a held lock":
        (w / ".locked.lock").write_text(str(os.getpid()))  # this survey process is alive: the lock is held
    start = time.monotonic()
    rc, out, err = _forked(case, w, timeout)
    seconds = time.monotonic() - start
    lines = [line for line in err.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    lost = [k for k, digest in kept.items() if _digest(w / k) != digest]
    if rc is None:
        outcome = "hang"
    elif lost:
        outcome = "data_loss"
    elif "Traceback" in err or rc not in (0, 2, 3) or last.startswith("FOREIGN"):
        outcome = "traceback"
    elif rc == 0:
        right = case.expect == "ok" and (case.check is None or bool(eval(case.check, {"W": w, "out": out, "err": err,
                                                                                      "json": json})))
        outcome = "right_answer" if right else "silent_wrong"
    else:  # a refusal: clear if ours and one line
        clear = last.startswith("OURS") or (last.startswith("keras-imnn") and ": error: " in last)
        outcome = ("clear_error" if case.expect == "error" else "silent_wrong") if clear else "traceback"
    return {"name": case.name, "argv": case.argv, "code": case.code, "expect": case.expect, "outcome": outcome,
            "exit": rc, "seconds": round(seconds, 1), "last_line": last[:400], "lost": lost}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="adversarial_survey.json", help="JSON of every case and its outcome")
    parser.add_argument("--timeout", type=float, default=120, help="seconds before a case counts as a hang")
    parser.add_argument("--only", help="run only the cases whose name contains this")
    parser.add_argument("--rerun", help="a previous --out: run again only its cases that did not end in a clear "
                                        "error or the right answer (after fixes), keep the others' outcomes")
    args = parser.parse_args()
    todo = [c for c in cases() if args.only is None or args.only in c.name]
    os.environ.update(_env())
    import keras  # noqa: F401  (imported once, before the forks)

    import keras_imnn.cli  # noqa: F401
    from keras_imnn.training.loop import finetune  # noqa: F401
    previous = {}
    if args.rerun:
        previous = {r["name"]: r for r in json.loads(Path(args.rerun).read_text())["results"]}
        good = {n for n, r in previous.items() if r["outcome"] in ("clear_error", "right_answer")}
        todo = [c for c in todo if c.name not in good]
    start = time.monotonic()
    results = []
    with tempfile.TemporaryDirectory(prefix="keras_imnn_survey_") as tmp:
        w = Path(tmp)
        build_workspace(w)
        for i, case in enumerate(todo, 1):
            result = run_case(case, w, args.timeout)
            results.append(result)
            print(f"[{i}/{len(todo)}] {result['outcome']:12s} {result['seconds']:6.1f} s  {case.name}: "
                  f"{result['last_line'][:150]}", flush=True)
    rerun = {r["name"] for r in results}
    results += [r for n, r in previous.items() if n not in rerun and n in {c.name for c in cases()}]
    counts = Counter(r["outcome"] for r in results)
    summary = {"cases": len(results), "counts": dict(counts.most_common()),
               "wall_seconds": round(time.monotonic() - start, 1), "results": results}
    Path(args.out).write_text(json.dumps(summary, indent=1))
    print(json.dumps({k: summary[k] for k in ("cases", "counts", "wall_seconds")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
