"""`keras-imnn predict NAME --data x.npz --out preds.npz`: keras_imnn.predict on a file."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from keras_imnn.atomic import atomic_path, check_out_file, output_lock
from keras_imnn.cli_options import nonnegative_int, positive_int
from keras_imnn.errors import UserError
from keras_imnn.npz import input_array, read_npz


def _table(mean: np.ndarray, std: np.ndarray, in_domain: np.ndarray, reasons: list[str], rows: int) -> str:
    """The first ``rows`` inputs: their first output ± std, the in-domain flag and the reason."""
    lines = [f"{'input':>5}  {'mean[0]':>9}  {'std[0]':>8}  in domain"]
    for i in range(min(rows, len(mean))):
        lines.append(f"{i:>5}  {mean[i, 0]:9.4f}  {std[i, 0]:8.4f}  {'yes' if in_domain[i] else 'no: ' + reasons[i]}")
    return "\n".join(lines)


def _predict(args: argparse.Namespace) -> int:
    from keras_imnn.models.registry import get_spec
    from keras_imnn.prediction import predict
    from keras_imnn.tasks import get_task

    out = Path(args.out)
    if out.suffix != ".npz":
        raise UserError(f"--out must name an .npz file; got {out}")
    check_out_file(out, args.overwrite, inputs=[args.data])
    spec = get_spec(args.name)
    x = input_array(read_npz(args.data), get_task(spec.task).input_feature, args.data)
    result = predict(args.name, x, batch_size=args.batch_size)
    with output_lock(out), atomic_path(out) as tmp:
        np.savez(tmp, mean=result.mean, std=result.std, in_domain=result.in_domain,
                 reasons=np.array(result.reasons, dtype=str))
    print(_table(result.mean, result.std, result.in_domain, result.reasons, args.show))
    print(f"wrote {out}: mean, std {result.mean.shape}, in_domain, reasons ({int(result.in_domain.sum())} of "
          f"{len(result)} in domain)")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``predict``."""
    p = sub.add_parser("predict", help="predict a file of inputs with a calibrated std and the validity domain",
                       description="keras_imnn.predict on the inputs in --data (array 'eps' or 'spins', or 'x'); "
                                   "writes mean, std, in_domain and reasons to --out (.npz, atomically).")
    p.add_argument("name", help="a zoo name with a pretrained checkpoint (`keras-imnn list`)")
    p.add_argument("--data", required=True, help=".npz with the inputs: photonic cells (b, 32, 32) of ε or spins "
                                                 "0/1 (b, Lx, Ly)")
    p.add_argument("--out", required=True, help="the .npz to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    p.add_argument("--batch-size", type=positive_int, default=256)
    p.add_argument("--show", type=nonnegative_int, default=5, help="inputs printed as a table (default 5)")
    p.set_defaults(func=_predict)
