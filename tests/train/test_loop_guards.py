"""The training loop stops at the first non-finite loss, naming the step and the batch, before the weights move."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from speechkit.errors import SpeechkitError
from speechkit.train.loop import LoopConfig, train
from speechkit.utils import checkpoint


class PoisonedTask:
    """A regression task whose loss turns NaN on batch ``poisoned`` of epoch 2."""

    def __init__(self, poisoned: int) -> None:
        self.poisoned = poisoned
        self.x = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))

    def train_batches(self, epoch: int, pin_memory: bool = False) -> list[dict[str, Any]]:
        return [{"utt": [f"e{epoch}-b{i}-u{j}" for j in range(2)], "x": self.x, "bad": epoch == 2 and i == self.poisoned}
                for i in range(3)]  # fmt: skip

    def num_batches(self, epoch: int) -> int:
        return 3

    def features(self, model: nn.Module, batch: Any, device: torch.device) -> Any:
        return batch

    def loss(self, model: nn.Module, inputs: Any, epoch: int) -> tuple[torch.Tensor, dict[str, float], int]:
        loss = model(inputs["x"]).pow(2).mean()
        return (loss * float("nan") if inputs["bad"] else loss), {}, 2

    def validate(self, model: nn.Module, epoch: int, device: torch.device) -> dict[str, float]:
        return {"score": -model(self.x).pow(2).mean().item()}

    def start_epoch(self, model: nn.Module, epoch: int) -> None:
        pass


def test_nan_loss_stops_with_step_and_keys_and_leaves_weights_and_checkpoints_finite(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    with pytest.raises(SpeechkitError) as err:
        train(PoisonedTask(poisoned=1), model, LoopConfig(epochs=3, warmup_steps=1), tmp_path, torch.device("cpu"))
    assert str(err.value).startswith("training stopped at step 5 (epoch 2): the model loss is nan on the batch of "
                                     "utterances e2-b1-u0, e2-b1-u1; the weights were not updated")
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert checkpoint.epochs_on_disk(tmp_path / "ckpt") == [1] and not (tmp_path / "model.pt").exists()
