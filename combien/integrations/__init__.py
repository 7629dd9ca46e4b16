"""Framework callbacks that measure a training run with a combien Tracker.

- `combien.integrations.lightning.CombienCallback` — PyTorch Lightning (`lightning.pytorch` or
  `pytorch_lightning`)
- `combien.integrations.transformers.CombienCallback` — Hugging Face `Trainer`
- `combien.integrations.keras.CombienCallback` — Keras 3

Each module imports its framework; this package imports none of them.
"""
