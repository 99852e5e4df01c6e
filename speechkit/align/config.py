"""The aligner's settings: the model (:class:`~speechkit.models.aligner.AlignerModelConfig`) and its training
schedule; ``key=value`` arguments of ``speechkit align --train`` override any (``model.net.channels=64``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from speechkit.models.aligner import AlignerModelConfig, FeatureConfig


@dataclass
class TrainConfig:
    """The training schedule: ``rounds`` of (``epochs[i]`` epochs, realignment); the last value of ``epochs``
    repeats. ``flat_start_energy``: edge frames quieter than this share of the loudness range start as silence."""

    rounds: int = 6
    epochs: list[int] = field(default_factory=lambda: [2, 1])
    lr: float = 3e-3
    batch_frames: int = 3000
    flat_start_energy: float = 0.3

    def epochs_of(self, round_: int) -> int:
        return self.epochs[min(round_, len(self.epochs) - 1)]


@dataclass
class AlignerConfig:
    """What ``speechkit align --train`` builds and how it trains it. A new aligner suppresses late reverberation
    (weight 0.3, 25 ms: on the warped, reverberant dev voice of ``bench/align_voices.sh`` the mean phone boundary
    error went from 19.9 to 15.5 ms), measures each band from the utterance's noise floor (quantile 0.1), makes each
    pause between words cost 8 and last 50 ms at least (spurious pauses over stop closures and weak consonants),
    and refines boundaries between phones within 3 frames (the two Klatt dev voices' word boundary errors: 13.1 ->
    11.6 ms and 21.2 -> 16.0 ms for the last three together), while a saved ``model.yaml`` without those settings
    keeps the features, graphs and boundaries it had."""

    model: AlignerModelConfig = field(default_factory=lambda: AlignerModelConfig(
        FeatureConfig(late_reverb_weight=0.3, late_reverb_delay_ms=25.0, floor_quantile=0.1), pause_cost=8.0,
        min_pause_ms=50.0, refine_frames=3))
    train: TrainConfig = field(default_factory=TrainConfig)
