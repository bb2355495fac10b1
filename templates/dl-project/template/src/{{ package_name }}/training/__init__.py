"""Training: the loop, checkpoints, distributed helpers, reproducibility, pre-emption signals."""
