"""presets() holds typed values; `keras-imnn info` prints a model card (and --json the manifest entry) without the
training machine's paths; the docs site's model cards are generated from the same code, so they stay current."""
import json
import re

import pytest

import keras_imnn
from keras_imnn.cli import main
from keras_imnn.models.cards import card, public, weak_kinds
from keras_imnn.models.registry import manifest

ABSOLUTE = re.compile(r"(?<![\w.])/(work|home|tmp|root|usr)/")


def test_presets_values_are_typed():
    for name, preset in keras_imnn.presets().items():
        assert type(preset["params"]) is int and type(preset["features"]) is int, name
        assert isinstance(preset["pretrained"], bool) and isinstance(preset["description"], str)
        assert all(type(v) is float for v in preset["test_metrics"].values()), name
    # ... and stay typed through the JSON a user would write them to
    back = json.loads(json.dumps(keras_imnn.presets("photonic")))["photonic_inv_dilated"]
    assert type(back["params"]) is int and type(back["test_metrics"]["mae"]) is float


def test_public_cuts_machine_paths_to_file_names():
    entry = {"command": "x --npz /work/data/a_b.npz --out /tmp/w/run1 --n 3 ratio 1/2",
             "nested": [{"file": "/home/u/w.weights.h5"}], "n": 3}
    assert public(entry) == {"command": "x --npz a_b.npz --out run1 --n 3 ratio 1/2",
                             "nested": [{"file": "w.weights.h5"}], "n": 3}


@pytest.mark.parametrize("name", ["photonic_edges_inv_dilated", "magnet_inv_dilated"])
def test_info_prints_a_card_without_machine_paths(name, capsys):
    assert main(["info", name]) == 0
    out = capsys.readouterr().out
    for section in ("## Intended use", "## Validity domain", "## Training data", "## Test metrics", "## How to cite"):
        assert section in out
    preset = keras_imnn.presets()[name]
    assert f"{preset['params']:,}" in out and preset["receptive_field"] in out
    assert "arXiv:2406.08318" in out and not ABSOLUTE.search(out)
    assert "/work/" in manifest()[name]["command"]  # the raw entry has them; the card does not


def test_info_card_names_the_weakest_families():
    text = card("photonic_inv_dilated")
    worst = weak_kinds(manifest()["photonic_inv_dilated"], "mae", "min")
    assert [f for f, _ in worst] == ["textbook", "gapped"]  # the manifest's largest per-family MAEs
    assert "Known weak kinds: textbook" in text and "| sibcl |" in text


def test_info_json_is_the_manifest_entry_without_paths(capsys):
    assert main(["info", "photonic_inv_dilated", "--json"]) == 0
    out = capsys.readouterr().out
    entry = json.loads(out)
    raw = manifest()["photonic_inv_dilated"]
    assert entry["sha256"] == raw["sha256"] and entry["test_metrics"] == raw["test_metrics"]
    assert not ABSOLUTE.search(out)


def test_info_summary_adds_the_layer_summary(capsys):
    assert main(["info", "magnet_dense", "--summary"]) == 0
    out = capsys.readouterr().out
    assert "## Intended use" in out and "Total params" in out


def test_docs_site_has_a_current_card_per_model(gen_pages):
    pages = gen_pages.model_pages()
    assert set(pages) == {f"models/{n}.md" for n in keras_imnn.list_models()}
    assert pages["models/magnet_inv.md"] == card("magnet_inv")


def test_a_card_renders_optional_uncertainty_when_the_entry_has_it():
    from keras_imnn.models.cards import model_card

    preset = keras_imnn.presets("photonic")["photonic_inv"]
    scores = {"ood": {"n": 7, "heads": {"coverage_2std": 0.69}}}
    entry = {**manifest()["photonic_inv"], "uncertainty": {"method": "deep ensemble", "members": [{}] * 5,
                                                          "metrics": scores}}
    text = model_card("photonic_inv", preset, entry)
    assert "deep ensemble; 5 members" in text and "| ood | heads | 7 | coverage_2std 0.69 |" in text
    entry["uncertainty"] = {"method": "whole checkpoints", "checkpoints": [{}] * 4}  # and the shipped one
    assert "whole checkpoints; 5 members" in model_card("photonic_inv", preset, entry)
    entry.pop("uncertainty")
    assert "## Uncertainty" not in model_card("photonic_inv", preset, entry)
