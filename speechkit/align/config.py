"""The aligner's settings: the model (:class:`~speechkit.models.aligner.AlignerModelConfig`) and its training
schedule; ``key=value`` arguments of ``speechkit align --train`` override any (``model.net.channels=64``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from speechkit.models.aligner import AlignerModelConfig


@dataclass
class TrainConfig:
    """The training schedule: ``rounds`` of (``epochs[i]`` epochs, realignment); the last value of ``epochs``
    repeats. ``flat_start_energy``: edge frames quieter than this share of the loudness range start as silence."""

    rounds: int = 4
    epochs: list[int] = field(default_factory=lambda: [2, 1])
    lr: float = 3e-3
    batch_frames: int = 3000
    flat_start_energy: float = 0.3

    def epochs_of(self, round_: int) -> int:
        return self.epochs[min(round_, len(self.epochs) - 1)]


@dataclass
class AlignerConfig:
    """What ``speechkit align --train`` builds and how it trains it."""

    model: AlignerModelConfig = field(default_factory=AlignerModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
