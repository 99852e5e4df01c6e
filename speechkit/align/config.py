"""The aligner's settings, saved as ``config.yaml`` in its model directory; ``--set key=value`` overrides any."""

from __future__ import annotations

from dataclasses import dataclass, field

from speechkit.features.mel import MelConfig


@dataclass
class FeatureConfig:
    """The mel front end. ``sample_rate`` None means the training corpus's rate (then saved resolved); audio at
    another rate is resampled to it. A 5 ms shift because boundaries are wanted to a few milliseconds."""

    sample_rate: int | None = None
    frame_shift_ms: float = 5.0
    window_ms: float = 25.0
    n_mels: int = 80

    def mel(self) -> MelConfig:
        """The :class:`MelConfig` these settings mean (FFT size: the window rounded up to a power of two)."""
        if self.sample_rate is None:
            raise ValueError("the sample rate is resolved from the training corpus before the mel is built")
        hop = round(self.sample_rate * self.frame_shift_ms / 1000)
        win = max(hop, round(self.sample_rate * self.window_ms / 1000))
        return MelConfig(self.sample_rate, 1 << (win - 1).bit_length(), win, hop, self.n_mels, 20.0, None)


@dataclass
class NetConfig:
    """The frame classifier: one convolution per kernel size in ``kernels`` (frames; 1 is a per-frame layer),
    ``channels`` wide. Its context, ``sum(k - 1) / 2`` frames each side, is kept small (see
    :mod:`speechkit.align.model`)."""

    kernels: list[int] = field(default_factory=lambda: [5, 1, 1])
    channels: int = 128


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
    """Everything that defines an aligner besides its weights and phone list. ``n_states``: left-to-right HMM
    states per phone (each lasts a frame at least); ``prior_scale``: how much of the log prior is subtracted
    from the log posterior."""

    features: FeatureConfig = field(default_factory=FeatureConfig)
    net: NetConfig = field(default_factory=NetConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    n_states: int = 3
    prior_scale: float = 0.3
