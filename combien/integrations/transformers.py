"""Hugging Face Transformers: measure `Trainer.train()` with a combien Tracker.

from combien.integrations.transformers import CombienCallback

trainer = Trainer(..., callbacks=[CombienCallback(project="llm", location="FR", summary=True)])
trainer.train()
"""

from __future__ import annotations

from typing import Any

try:
    from transformers import TrainerCallback
except ImportError as exc:
    raise ImportError(
        "combien's transformers callback needs transformers — pip install 'combien[transformers]'"
    ) from exc

from combien.integrations._common import Summary, TrainingSession
from combien.measure.tracker import Tracker

__all__ = ["CombienCallback"]


class CombienCallback(TrainerCallback):
    """Trainer callback that tracks the energy of `train()` and forecasts its total.

    The tracker starts at `on_train_begin` and stops at `on_train_end` ("finished"); the Trainer
    has no exception hook, so a training that raises is stopped as "failed" when the process
    exits (or when the next `train()` starts). Progress is `state.global_step` out of
    `state.max_steps`; evaluations during training are recorded as phase "evaluation".
    `summary=True` prints `tracker.summary()` after each epoch on the main process (or pass a
    callable such as `logger.info`). Pass a `tracker=` of your own, or Tracker options as keyword
    arguments (`project=`, `location=`, `db=`, ...).
    """

    def __init__(
        self, *, tracker: Tracker | None = None, summary: Summary = False, **options: Any
    ) -> None:
        super().__init__()
        self.session = TrainingSession(tracker, summary, options)
        self._start_step = 0

    @property
    def tracker(self) -> Tracker:
        """The tracker of the current (or last) training."""
        return self.session.tracker

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.session.begin()
        self._start_step = state.global_step

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.session.exit_phase()  # an evaluation announced but not run

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        total = state.max_steps - self._start_step if state.max_steps else None
        self.session.progress(state.global_step - self._start_step, total)
        if control.should_evaluate:  # the Trainer evaluates right after this hook
            self.session.enter_phase("evaluation")

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.is_world_process_zero:
            self.session.report()
        if control.should_evaluate:
            self.session.enter_phase("evaluation")

    def on_prediction_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.session.enter_phase("evaluation")  # an evaluation not announced by a step's end

    def on_evaluate(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.session.exit_phase()

    def on_predict(
        self, args: Any, state: Any, control: Any, metrics: Any = None, **kwargs: Any
    ) -> None:
        self.session.exit_phase()

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.session.end("finished")
