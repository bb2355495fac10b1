"""Data: the synthetic data set, its seeded split, and the loaders."""
