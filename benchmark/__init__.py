"""The models: data sets, nets, losses, penalties, the Lightning module, training and metrics.
Knows nothing of sweeps or analysis."""
