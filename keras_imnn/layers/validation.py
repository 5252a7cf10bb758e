"""Input checks shared by the layers, so that bad shapes fail at build time with a clear message."""
from __future__ import annotations


def check_spatial_input(input_shape: tuple, layer_name: str, channels: int | None = None) -> None:
    """Require a 4-D ``(batch, H, W, C)`` channels-last shape (and ``C == channels`` if given)."""
    if len(input_shape) != 4:
        raise ValueError(
            f"{layer_name} expects inputs of shape (batch, H, W, C) (rank 4, channels last); "
            f"got shape {tuple(input_shape)} (rank {len(input_shape)})."
        )
    if channels is not None and input_shape[-1] is not None and input_shape[-1] != channels:
        raise ValueError(
            f"{layer_name} expects {channels} input channel(s); got shape {tuple(input_shape)} "
            f"with {input_shape[-1]} channels."
        )
