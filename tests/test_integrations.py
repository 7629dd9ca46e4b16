"""The framework callbacks, each driving the real framework on CPU with a tiny model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from combien.store import Store
from combien.testing import FakeSensor

os.environ.setdefault("KERAS_BACKEND", "torch")  # keras reads it at its first import
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

FAST: dict[str, Any] = {"interval_s": 0.05, "flush_s": 0.1}


def lightning_warnings(test: Any) -> Any:
    """Ignore Lightning's own warnings, which a tiny CPU run cannot avoid."""
    for mark in (
        pytest.mark.filterwarnings("ignore:.*does not have many workers"),
        # pytorch_lightning 2.6 uses torch's LeafSpec, deprecated in torch 2.13
        pytest.mark.filterwarnings("ignore:.*LeafSpec.*is deprecated:FutureWarning"),
    ):
        test = mark(test)
    return test


def options(tmp_path: Path) -> dict[str, Any]:
    return {"db": str(tmp_path / "runs.db"), "sensors": [FakeSensor(300)], **FAST}


def the_run(tmp_path: Path) -> dict[str, Any]:
    store = Store(tmp_path / "runs.db")
    runs = store.runs()
    assert len(runs) == 1
    run = store.run(runs[0]["id"])
    assert run is not None
    run["energy_j"] = runs[0]["energy_j"]
    return run


def assert_finished(run: dict[str, Any], steps: int) -> None:
    assert run["status"] == "finished"
    assert run["forecast"]["fraction"] == 1.0
    assert run["forecast"]["done"] == run["forecast"]["total"] == steps
    assert run["energy_j"] > 0
    assert run["bill"] is not None


def test_importing_combien_imports_no_framework() -> None:
    code = (
        "import sys, combien, combien.integrations\n"
        "heavy = ('torch', 'keras', 'transformers', 'pytorch_lightning', 'lightning')\n"
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_session_stops_a_crashed_training_at_exit(tmp_path: Path) -> None:
    # Keras and the HF Trainer have no exception hook: the run is closed when the process exits
    code = (
        "from combien.integrations._common import TrainingSession\n"
        "from combien.testing import FakeSensor\n"
        f"s = TrainingSession(None, False, dict(db={str(tmp_path / 'runs.db')!r}, "
        "sensors=[FakeSensor(300)], interval_s=0.05, flush_s=0.1))\n"
        "s.begin(); s.progress(1, 4)\n"
        "raise RuntimeError('boom')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 1 and "boom" in out.stderr
    run = the_run(tmp_path)
    assert run["status"] == "failed"
    assert run["forecast"]["fraction"] == 0.25


def test_tracker_and_options_are_exclusive(tmp_path: Path) -> None:
    from combien.integrations._common import TrainingSession
    from combien.measure.tracker import Tracker

    with pytest.raises(ValueError, match="not both"):
        TrainingSession(Tracker(**options(tmp_path)), False, {"project": "x"})


# ------------------------------------------------------------ Lightning


def lightning_fit(tmp_path: Path, callback: Any, fail_at: int | None = None) -> None:
    pl = pytest.importorskip("pytorch_lightning")
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    class Tiny(pl.LightningModule):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(4, 1)

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            if fail_at is not None and self.global_step == fail_at:
                raise RuntimeError("boom")
            x, y = batch
            return torch.nn.functional.mse_loss(self.layer(x), y)

        def validation_step(self, batch: Any, batch_idx: int) -> None:
            x, y = batch
            torch.nn.functional.mse_loss(self.layer(x), y)

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.01)

    data = TensorDataset(torch.randn(16, 4), torch.randn(16, 1))
    trainer = pl.Trainer(
        max_epochs=2,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        log_every_n_steps=1,
        default_root_dir=tmp_path,
        callbacks=[callback],
    )
    trainer.fit(Tiny(), DataLoader(data, batch_size=4), DataLoader(data, batch_size=8))


@lightning_warnings
def test_lightning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pytorch_lightning")
    from combien.integrations.lightning import CombienCallback

    callback = CombienCallback(summary=True, project="tiny", **options(tmp_path))
    lightning_fit(tmp_path, callback)
    run = the_run(tmp_path)
    assert_finished(run, steps=8)  # 4 batches × 2 epochs
    assert run["project"] == "tiny" and run["id"] == callback.tracker.id
    names = [p["name"] for p in run["phases"]]
    assert names == ["sanity-check", "validation", "validation"]
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("combien:")]
    assert len(lines) == 2 and "done, forecast" in lines[-1]


@lightning_warnings
def test_lightning_exception_marks_the_run_failed(tmp_path: Path) -> None:
    pytest.importorskip("pytorch_lightning")
    from combien.integrations.lightning import CombienCallback

    with pytest.raises(RuntimeError, match="boom"):
        lightning_fit(tmp_path, CombienCallback(**options(tmp_path)), fail_at=3)
    run = the_run(tmp_path)
    assert run["status"] == "failed"
    assert run["forecast"]["done"] == 3 and run["forecast"]["total"] == 8


# ------------------------------------------------------------ Keras


def keras_fit(callback: Any, epochs: int = 2, stop_after: int | None = None) -> None:
    keras = pytest.importorskip("keras")
    import numpy as np

    class Stop(keras.callbacks.Callback):  # type: ignore[misc]
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            if stop_after is not None and epoch + 1 >= stop_after:
                self.model.stop_training = True

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 4)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(
        x, y, batch_size=4, epochs=epochs, validation_data=(x, y), verbose=0,
        callbacks=[Stop(), callback],
    )  # fmt: skip


def test_keras(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("keras")
    from combien.integrations.keras import CombienCallback

    keras_fit(CombienCallback(summary=True, **options(tmp_path)))
    run = the_run(tmp_path)
    assert_finished(run, steps=8)  # 4 batches × 2 epochs
    assert [p["name"] for p in run["phases"]] == ["validation", "validation"]
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("combien:")]
    assert len(lines) == 2


def test_keras_early_stop_closes_the_forecast(tmp_path: Path) -> None:
    pytest.importorskip("keras")
    from combien.integrations.keras import CombienCallback

    keras_fit(CombienCallback(**options(tmp_path)), epochs=3, stop_after=1)
    assert_finished(the_run(tmp_path), steps=4)  # stopped after 4 of 12 steps: 4 is the total


def test_a_failure_in_combien_does_not_reach_training(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("keras")
    from combien.integrations.keras import CombienCallback

    callback = CombienCallback(summary=True, **options(tmp_path))

    def broken() -> str:
        raise OSError("disk on fire")

    callback.tracker.summary = broken  # type: ignore[method-assign]
    keras_fit(callback)
    assert "summary failed" in caplog.text and "disk on fire" in caplog.text
    assert_finished(the_run(tmp_path), steps=8)


# ------------------------------------------------------------ Hugging Face Transformers


def tiny_gpt2() -> Any:
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(n_layer=1, n_head=2, n_embd=16, vocab_size=64, n_positions=16)
    return GPT2LMHeadModel(config)


def test_transformers_callback_hooks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the real CallbackHandler and TrainerState, fired in the Trainer's order (the Trainer itself
    # needs `accelerate`: see test_transformers_trainer)
    pytest.importorskip("transformers")
    import torch
    from transformers.trainer_callback import CallbackHandler, TrainerControl, TrainerState

    from combien.integrations.transformers import CombienCallback

    model = tiny_gpt2()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    handler = CallbackHandler(
        [CombienCallback(summary=True, **options(tmp_path))], model, None, optimizer, None
    )
    args, state, control = None, TrainerState(max_steps=6), TrainerControl()
    ids = torch.randint(0, 64, (4, 8))
    handler.on_train_begin(args, state, control)
    for _epoch in range(2):
        handler.on_epoch_begin(args, state, control)
        for _ in range(3):
            handler.on_step_begin(args, state, control)
            model(input_ids=ids, labels=ids).loss.backward()
            optimizer.step()
            state.global_step += 1
            control.should_evaluate = state.global_step == 3  # as DefaultFlowCallback does
            handler.on_step_end(args, state, control)
            if control.should_evaluate:
                with torch.no_grad():
                    for _ in range(2):
                        model(input_ids=ids)
                        handler.on_prediction_step(args, state, control)
                handler.on_evaluate(args, state, control, metrics={})
        handler.on_epoch_end(args, state, control)
    handler.on_train_end(args, state, control)
    run = the_run(tmp_path)
    assert_finished(run, steps=6)
    assert [p["name"] for p in run["phases"]] == ["evaluation"]
    assert capsys.readouterr().out.count("combien:") == 2


def test_transformers_trainer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("transformers")
    pytest.importorskip("accelerate")  # the Trainer needs it
    import torch
    from transformers import Trainer, TrainingArguments

    from combien.integrations.transformers import CombienCallback

    data = [{"input_ids": ids, "labels": ids} for ids in torch.randint(0, 64, (8, 8))]
    args = TrainingArguments(
        output_dir=str(tmp_path / "out"),
        max_steps=4,
        per_device_train_batch_size=2,
        per_device_eval_batch_size=4,
        eval_strategy="steps",
        eval_steps=2,
        logging_strategy="no",
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        dataloader_pin_memory=False,
    )
    callback = CombienCallback(summary=True, **options(tmp_path))
    trainer = Trainer(
        model=tiny_gpt2(), args=args, train_dataset=data, eval_dataset=data, callbacks=[callback]
    )
    trainer.train()
    run = the_run(tmp_path)
    assert_finished(run, steps=4)
    assert [p["name"] for p in run["phases"]] == ["evaluation", "evaluation"]
    assert "combien:" in capsys.readouterr().out
