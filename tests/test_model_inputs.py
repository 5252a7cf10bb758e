"""Zoo models refuse inputs they cannot mean in one line, and never turn NaN/inf into a finite prediction."""
import keras
import numpy as np
import pytest

import keras_imnn

PHOTONIC = "photonic_inv_dilated expects inputs of shape \\(batch, 32, 32, 1\\); got "


def cells(rng, shape=(4, 32, 32, 1)):
    return rng.uniform(1.0, 20.0, size=shape).astype("float32")


def one_line(err):
    message = str(err.value)
    assert "\n" not in message, message
    return message


@pytest.mark.parametrize("shape", [(4, 32, 32, 2), (4, 31, 32, 1), (4, 32, 31, 1), (4, 16, 16, 1)])
@pytest.mark.parametrize("how", ["call", "predict", "evaluate", "fit"])
def test_wrong_shapes_are_refused_in_one_line_also_after_a_good_call(rng, shape, how):
    model = keras_imnn.load("photonic_inv_dilated", pretrained=False, filters=4)
    model.compile(loss="mse")
    good = cells(rng)
    model(good)
    model.predict(good, verbose=0)
    model.evaluate(good, np.zeros((4, 1)), verbose=0)
    run = {"call": lambda x: model(x), "predict": lambda x: model.predict(x, verbose=0),
           "evaluate": lambda x: model.evaluate(x, np.zeros((4, 1)), verbose=0),
           "fit": lambda x: model.fit(x, np.zeros((4, 1)), epochs=1, verbose=0)}[how]
    with pytest.raises(ValueError) as err:
        run(cells(rng, shape))
    assert one_line(err).startswith(PHOTONIC.replace("\\", "")), err.value
    np.testing.assert_array_equal(model.predict(good, verbose=0), model.predict(good, verbose=0))


def test_first_call_names_the_shape_it_got(rng):
    with pytest.raises(ValueError, match=PHOTONIC + "\\(4, 32, 32, 2\\)$"):
        keras_imnn.load("photonic_inv_dilated", pretrained=False, filters=4).predict(cells(rng, (4, 32, 32, 2)))


@pytest.mark.parametrize("how", ["call", "predict"])
def test_d4_models_refuse_non_square_lattices(rng, how):
    model = keras_imnn.load("magnet_inv", pretrained=False, group="d4", invariance="tied", filters=4)
    x = rng.integers(0, 2, size=(2, 6, 4, 1)).astype("float32")
    with pytest.raises(ValueError) as err:
        model(x) if how == "call" else model.predict(x, verbose=0)
    assert one_line(err) == "magnet_inv expects inputs of shape (batch, H, H, 1); got (2, 6, 4, 1)"
    # D2 (the default) takes any Lx × Ly, tied D4 any square one, orbit-averaged D4 any Lx × Ly too.
    assert keras_imnn.load("magnet_inv", pretrained=False, filters=4)(x).shape == (2, 1)
    assert model(x[:, :4]).shape == (2, 1)
    assert keras_imnn.load("magnet_inv", pretrained=False, group="d4", filters=4)(x).shape == (2, 1)


@pytest.mark.parametrize("name", keras_imnn.list_models())
def test_non_finite_inputs_give_nan_for_that_sample_only(rng, name):
    model = keras_imnn.load(name, weights="pretrained" if name in keras_imnn.models.registry.manifest() else None)
    shape = (32, 32) if name.startswith("photonic") else (6, 4)
    x = (cells(rng, (5, *shape, 1)) if name.startswith("photonic")
         else rng.integers(0, 2, size=(5, *shape, 1)).astype("float32"))
    clean = model.predict(x, verbose=0)
    x[1, 0, 0, 0], x[3, 2, 1, 0], x[4] = np.nan, np.inf, -np.inf
    for y in (model.predict(x, verbose=0), keras.ops.convert_to_numpy(model(x))):
        assert np.isnan(y[[1, 3, 4]]).all()
        np.testing.assert_allclose(y[[0, 2]], clean[[0, 2]], rtol=1e-6)


def test_a_new_head_keeps_nan_for_non_finite_inputs(rng):
    from keras_imnn.training.loop.finetune import replace_head

    model = replace_head(keras_imnn.load("photonic_inv", pretrained=False, filters=4), 3)
    x = cells(rng, (3, 32, 32, 1))
    x[1, 5, 5, 0] = np.nan
    y = model.predict(x, verbose=0)
    assert y.shape == (3, 3) and np.isnan(y[1]).all() and np.isfinite(y[[0, 2]]).all()


@pytest.mark.parametrize("how", ["predict", "evaluate", "fit"])
def test_arrays_without_the_channel_axis_work_before_and_after_arrays_with_it(rng, how, tmp_path):
    # Keras traced rank 3 and rank 4 into one relaxed function of unknown rank, on which its Functional
    # failed ("Cannot take the length of shape with unknown rank"): a user's second predict call broke.
    model = keras_imnn.load("photonic_inv_dilated", pretrained=False, filters=4)
    model.compile(loss="mse")
    x, y = cells(rng), np.zeros((4, 1), "float32")
    run = {"predict": lambda x: model.predict(x, verbose=0),
           "evaluate": lambda x: model.evaluate(x, y, verbose=0),
           "fit": lambda x: model.fit(x, y, validation_data=(x, y), epochs=1, verbose=0).history["val_loss"]}[how]
    first = run(x[..., 0])
    for batch in (x, x[..., 0], keras.ops.convert_to_tensor(x[..., 0])):
        if how != "fit":  # fit changes the weights
            np.testing.assert_allclose(run(batch), first, rtol=1e-6)
        else:
            run(batch)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert type(loaded) is type(model)
    np.testing.assert_allclose(loaded.predict(x[..., 0], verbose=0), loaded.predict(x, verbose=0), rtol=1e-6)
