"""The docs site's generated pages, written at build time by mkdocs-gen-files (``mkdocs.yml``), so they cannot go
stale: a model card per zoo model (``keras_imnn.models.cards``), the zoo table, and a page per TFDS config
(features, splits, label definitions, citation) from the builders themselves.

The functions return ``{path under docs/: Markdown}``; the tests check them against the code they come from.
"""
from __future__ import annotations

import math
import re
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _markdown(rest: str) -> str:
    """A builder docstring (reST literals ````x````) as Markdown."""
    return re.sub(r"``([^`]+)``", r"`\1`", rest)


def model_pages() -> dict[str, str]:
    """``models/NAME.md``: the card of every zoo model."""
    from keras_imnn.models.cards import model_card
    from keras_imnn.models.registry import manifest, presets

    trained = manifest()
    return {f"models/{name}.md": model_card(name, preset, trained.get(name)) for name, preset in presets().items()}


def models_index() -> str:
    """``models/index.md``: the zoo table (what ``keras-imnn list --markdown`` prints) with links to the cards."""
    import contextlib
    import io

    from keras_imnn.cli import main

    with contextlib.redirect_stdout(io.StringIO()) as out:
        main(["list", "--markdown"])
    table = re.sub(r"^\| (\w+) \|", lambda m: f"| [{m[1]}]({m[1]}.md) |", out.getvalue(), flags=re.M)
    table = table.replace("| [name](name.md) |", "| name |")
    return ("# The zoo\n\nEvery model with its checkpoint's test metrics (the task's headline metrics; all metrics and "
            "per-family numbers on each model's card) and the inputs it is valid for (`keras_imnn.domain`).\n\n"
            + table + "\n`keras-imnn list --markdown` prints these tables; `keras-imnn info NAME` prints a card.\n")


def _builders() -> dict[str, type]:
    from keras_imnn.datasets import BUILDERS

    return BUILDERS


def _splits(config: object) -> list[tuple[str, str]]:
    if hasattr(config, "split_ranges"):  # photonic: consecutive cell indices
        return [(name, f"{n:,} cells ({start:,}..{start + n - 1:,})")
                for name, (start, n) in config.split_ranges().items()]
    from keras_imnn.physics.magnet.lattices import make_lattice

    n_sites = make_lattice(config.lattice, config.shape).n_sites  # kagome: three sites a cell
    states = math.comb(n_sites, n_sites // 2)
    if config.orbits:
        train = f"{config.train_fraction:g} × (orbits of the symmetric sector), drawn ∝ \\|ψ\\|²"
        return [("train", train), ("test", f"{config.test_size:,} uniform Sz = 0 states not in train")]
    drawn = round(config.train_fraction * states)
    return [("train", f"{config.train_fraction:g} × {states:,} Sz = 0 states ≈ {drawn:,}, drawn ∝ \\|ψ\\|² "
                      "without replacement"),
            ("test", f"{config.test_size:,} uniform Sz = 0 states not in train"),
            ("full", f"all {states:,} Sz = 0 states")]


def dataset_pages() -> dict[str, str]:
    """``datasets/BUILDER/CONFIG.md`` for every config (the ``_tiny`` test configs included) and
    ``datasets/configs.md``, the table of them all."""
    pages, rows = {}, []
    data_dir = tempfile.mkdtemp()
    for family, builder_class in _builders().items():
        module = __import__(builder_class.__module__, fromlist=["_"])
        citation = (Path(module.__file__).parent / "CITATIONS.bib").read_text().strip()
        for config in builder_class.BUILDER_CONFIGS:
            builder = builder_class(config=config.name, data_dir=data_dir)
            info, name = builder.info, f"{family}/{config.name}"
            features = [(key, "×".join(map(str, getattr(f, "shape", ()))) or "scalar",
                         getattr(getattr(f, "np_dtype", None), "name", type(f).__name__),
                         (f.doc.desc if f.doc and f.doc.desc else "")) for key, f in info.features.items()]
            lines = [f"# {name}", "", config.description, "",
                     "```python", "import keras_imnn.datasets  # registers the builders",
                     "import tensorflow_datasets as tfds",
                     f'pairs = tfds.load("{name}", split="train", as_supervised=True)  '
                     f"# {info.supervised_keys}", "```", "",
                     f"Version {info.version}; `supervised_keys` {info.supervised_keys}; built locally (computed, "
                     f"nothing is downloaded).", "",
                     "## Splits", "", "| split | examples |", "|---|---|",
                     *(f"| {s} | {n} |" for s, n in _splits(config)), "",
                     "## Features", "", "| feature | shape | dtype | meaning |", "|---|---|---|---|",
                     *(f"| `{k}` | {s} | {d} | {m} |" for k, s, d, m in features), "",
                     "## Label definitions", "", _markdown(module.__doc__.split("\n", 1)[1].strip()), "",
                     "## Citation", "", "```bibtex", citation, "```", ""]
            pages[f"datasets/{family}/{config.name}.md"] = "\n".join(lines)
            rows.append(f"| [{name}]({family}/{config.name}.md) | {config.description} |")
    pages["datasets/configs.md"] = "\n".join(
        ["# Dataset configs", "", "One page per TFDS config: features, splits, label definitions, citation.", "",
         "| config | what it holds |", "|---|---|", *rows, ""])
    return pages


def all_pages() -> dict[str, str]:
    return {**model_pages(), "models/index.md": models_index(), **dataset_pages()}


def main() -> None:
    import mkdocs_gen_files

    for path, text in all_pages().items():
        with mkdocs_gen_files.open(path, "w") as f:
            f.write(text)


if __name__ in ("__main__", "<run_path>"):
    main()
