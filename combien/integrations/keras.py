"""Keras 3: measure `model.fit()` with a combien Tracker (any backend).

from combien.integrations.keras import CombienCallback

model.fit(x, y, epochs=10, callbacks=[CombienCallback(project="llm", location="FR")])
"""

from __future__ import annotations

from typing import Any

try:
    import keras
except ImportError as exc:
    raise ImportError(
        "combien's keras callback needs keras — pip install 'combien[keras]'"
    ) from exc

from combien.integrations._common import Summary, TrainingSession
from combien.measure.tracker import Tracker

__all__ = ["CombienCallback"]


class CombienCallback(keras.callbacks.Callback):
    """Keras callback that tracks the energy of `fit()` and forecasts its total.

    The tracker starts at `on_train_begin` and stops at `on_train_end` ("finished"); Keras has
    no exception hook, so a fit that raises is stopped as "failed" when the process exits (or
    when the next `fit()` starts). Progress is batches out of `params["steps"] * params["epochs"]`
    (epochs when the steps per epoch are unknown); validation is recorded as phase "validation".
    `summary=True` prints `tracker.summary()` after each epoch (or pass a callable). Pass a
    `tracker=` of your own, or Tracker options as keyword arguments (`project=`, `db=`, ...).
    """

    def __init__(
        self, *, tracker: Tracker | None = None, summary: Summary = False, **options: Any
    ) -> None:
        super().__init__()
        self.session = TrainingSession(tracker, summary, options)
        self._first_epoch: int | None = None
        self._epoch = 0

    @property
    def tracker(self) -> Tracker:
        """The tracker of the current (or last) fit."""
        return self.session.tracker

    def _plan(self) -> tuple[int | None, int | None]:
        params = self.params or {}
        return params.get("steps"), params.get("epochs")

    def on_train_begin(self, logs: Any = None) -> None:
        self._first_epoch = None
        self.session.begin()

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        if self._first_epoch is None:
            self._first_epoch = epoch  # fit(initial_epoch=...) resumes there
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        steps, epochs = self._plan()
        if steps:
            first = self._first_epoch or 0
            total = (epochs - first) * steps if epochs else None
            self.session.progress((self._epoch - first) * steps + batch + 1, total)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        steps, epochs = self._plan()
        if not steps:
            first = self._first_epoch or 0
            self.session.progress(epoch + 1 - first, epochs - first if epochs else None)
        self.session.report()

    def on_test_begin(self, logs: Any = None) -> None:
        self.session.enter_phase("validation")  # during fit(); no-op otherwise

    def on_test_end(self, logs: Any = None) -> None:
        self.session.exit_phase()

    def on_train_end(self, logs: Any = None) -> None:
        self.session.end("finished")
