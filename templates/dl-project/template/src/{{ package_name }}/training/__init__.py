"""Training: the loop, checkpoints, distributed helpers, reproducibility, preemption signals."""
