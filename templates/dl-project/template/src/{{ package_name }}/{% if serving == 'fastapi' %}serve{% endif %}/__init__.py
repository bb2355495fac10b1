"""The HTTP API that serves the trained model."""
