"""dlgen: start deep-learning projects right and keep them right."""

__version__ = "0.1.0"
