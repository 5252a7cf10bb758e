"""Calibrated uncertainty of the zoo's predictions: ensembles of heads on each pretrained trunk
(``heads``) and the maps from their spread to a standard deviation of the error (``calibration``)."""
