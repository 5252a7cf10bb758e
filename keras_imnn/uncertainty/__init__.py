"""Calibrated uncertainty of the zoo's predictions: deep ensembles of whole checkpoints (``ensemble``) or
ensembles of heads on a pretrained trunk (``heads``), the k-NN distance to the training features (``novelty``),
the maps from spread and distance to a standard deviation of the error (``calibration``) and what each name
ships (``shipped``)."""
