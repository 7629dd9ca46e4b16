"""PyTorch Lightning: measure `trainer.fit()` with a combien Tracker.

    from combien.integrations.lightning import CombienCallback

    trainer = Trainer(callbacks=[CombienCallback(project="llm", location="FR", summary=True)])
    trainer.fit(model)

Uses `lightning.pytorch` when installed, else `pytorch_lightning`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytorch_lightning as pl
else:
    try:
        import lightning.pytorch as pl
    except ImportError:
        try:
            import pytorch_lightning as pl
        except ImportError as exc:
            raise ImportError(
                "combien's Lightning callback needs Lightning — pip install 'combien[lightning]'"
            ) from exc

from combien.integrations._common import Summary, TrainingSession, guarded
from combien.measure.tracker import Tracker

__all__ = ["CombienCallback"]


class CombienCallback(pl.Callback):
    """Lightning callback that tracks the energy of `fit()` and forecasts its total.

    The tracker starts at `on_fit_start` and stops at `on_fit_end` ("finished") or in
    `on_exception` ("failed", or "interrupted" on Ctrl-C). Progress is the global step out of
    `trainer.estimated_stepping_batches`, else epochs out of `max_epochs`; validation (and the
    sanity check) are recorded as phases. `summary=True` prints `tracker.summary()` after each
    training epoch on global rank 0 (or pass a callable such as `logger.info`). Pass a `tracker=`
    of your own, or Tracker options as keyword arguments (`project=`, `location=`, `db=`, ...).
    """

    def __init__(
        self, *, tracker: Tracker | None = None, summary: Summary = False, **options: Any
    ) -> None:
        super().__init__()
        self.session = TrainingSession(tracker, summary, options)
        self._start_step = self._start_epoch = 0
        self._total_steps: float | None = None

    @property
    def tracker(self) -> Tracker:
        """The tracker of the current (or last) fit."""
        return self.session.tracker

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.session.begin()

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._start_step, self._start_epoch = trainer.global_step, trainer.current_epoch
        self._total_steps = None
        with guarded("estimating the total steps"):
            total = float(trainer.estimated_stepping_batches)
            if math.isfinite(total) and total > self._start_step:
                self._total_steps = total

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        done = trainer.global_step - self._start_step
        if self._total_steps is not None and done > self.session.done:
            self.session.progress(done, self._total_steps - self._start_step)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._total_steps is None:
            epochs = trainer.max_epochs
            total = epochs - self._start_epoch if epochs and epochs > 0 else None
            self.session.progress(trainer.current_epoch + 1 - self._start_epoch, total)
        if trainer.is_global_zero:
            self.session.report()

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.session.enter_phase("sanity-check" if trainer.sanity_checking else "validation")

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.session.exit_phase()

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.session.end("finished")

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        interrupted = isinstance(exception, KeyboardInterrupt)
        self.session.end("interrupted" if interrupted else "failed")
