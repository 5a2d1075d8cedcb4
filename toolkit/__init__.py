"""toolkit: the helper package of the course "The topology of neural networks".

Modules (one idea each): config, data, models, train, checkpoints, zoo, exercises,
activations, clustering, heatmaps, mapper, ensemble, filters, homology, pretraining.
Import what you need: ``from toolkit import config, data, train``.
"""

__version__ = "0.1.0"
