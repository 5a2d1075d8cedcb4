"""toolkit: the helper package of the course "The topology of neural networks" (map:
docs/DEVELOPING.md). Import what you need: ``from toolkit import config, data, train``."""

__version__ = "0.1.0"
