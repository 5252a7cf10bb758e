"""Values and gradients of a function of a design's latent variables, through a Keras model.

Keras 3 has no backend-neutral gradient, so this is the one place that knows the backends: TensorFlow
(``tf.GradientTape`` in a ``tf.function``) and JAX (``jax.value_and_grad``). Others are refused up front.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from keras_imnn.errors import UserError

SUPPORTED_BACKENDS = ("tensorflow", "jax")

Step = Callable[[Any, Any], tuple[Any, Any]]


def check_backend() -> str:
    """The Keras backend, if design supports it; else a one-line UserError."""
    backend = keras.backend.backend()
    if backend not in SUPPORTED_BACKENDS:
        raise UserError(f"design needs gradients through the model, written for the Keras backends "
                        f"{' and '.join(SUPPORTED_BACKENDS)}; got KERAS_BACKEND={backend}")
    return backend


def value_and_grad(fn: Callable[[Any, Any], Any]) -> Step:
    """``fn(latent, beta) -> (S,)`` scores → ``step(latent, beta) -> (scores, d sum(scores) / d latent)``.

    Build a new step after changing the model's weights: JAX may bake the weights it saw into its trace.
    """
    if check_backend() == "tensorflow":
        import tensorflow as tf

        @tf.function(reduce_retracing=True)
        def step(latent: Any, beta: Any) -> tuple[Any, Any]:
            with tf.GradientTape() as tape:
                tape.watch(latent)
                scores = fn(latent, beta)
                total = tf.reduce_sum(scores)
            return scores, tape.gradient(total, latent)

        return step
    import jax

    grad = jax.jit(jax.value_and_grad(lambda latent, beta: (lambda s: (s.sum(), s))(fn(latent, beta)),
                                      has_aux=True))

    def jax_step(latent: Any, beta: Any) -> tuple[Any, Any]:
        (_, scores), g = grad(latent, beta)
        return scores, g

    return jax_step
