"""Synthetic and degraded CTC posteriors, to test and benchmark decoders on emissions no trained model makes.

A decoder tuned on one model's peaky outputs can fail on a weak model's (``tests/decode/test_oov_garbage.py``), so
the decoder bench and tests build their weak regimes here: :func:`char_emissions` spells a sentence in character
units with a chosen confidence and confusion, and :func:`add_noise` flattens a real model's log-posteriors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CHAR_UNITS = ("<blank>", "'", *"abcdefghijklmnopqrstuvwxyz", "|")  # blank, apostrophe, letters, word delimiter


@dataclass(frozen=True)
class Regime:
    """How a simulated model hears: the right unit wins each frame by ``peak`` nats over Gaussian noise of
    standard deviation ``noise``; on a ``confusable`` share of frames a random other unit comes within ``gap``."""

    peak: float
    noise: float
    confusable: float
    gap: float


REGIMES = {
    "confident": Regime(peak=8.0, noise=0.5, confusable=0.05, gap=2.0),
    "weak": Regime(peak=5.0, noise=1.0, confusable=1 / 3, gap=0.5),
    "very noisy": Regime(peak=4.0, noise=1.5, confusable=0.5, gap=0.5),
}


def char_emissions(sentence: str, regime: Regime, rng: np.random.Generator,
                   units: Sequence[str] = CHAR_UNITS) -> np.ndarray:  # fmt: skip
    """(T, V) float32 log-posteriors spelling ``sentence`` (words split by spaces, spelled with ``|``): each
    character, then blank, holds 1-3 frames."""
    ids = {u: i for i, u in enumerate(units)}
    labels: list[int] = []
    for ch in sentence.replace(" ", "|"):
        labels += [ids[ch]] * int(rng.integers(1, 4)) + [0] * int(rng.integers(1, 4))
    frames, target = np.arange(len(labels)), np.array(labels)
    logits = rng.normal(0.0, regime.noise, (len(labels), len(units)))
    logits[frames, target] += regime.peak
    close = rng.random(len(labels)) < regime.confusable
    other = (target + rng.integers(1, len(units), len(labels))) % len(units)
    logits[frames[close], other[close]] = logits[frames[close], target[close]] - regime.gap * rng.random(close.sum())
    return _log_softmax(logits)


def add_noise(log_probs: np.ndarray, scale: float, rng: np.random.Generator) -> np.ndarray:
    """``log_probs`` with Gaussian noise of standard deviation ``scale`` added, renormalized: a real model's
    outputs made less sure."""
    return _log_softmax(log_probs + rng.normal(0.0, scale, log_probs.shape))


def _log_softmax(x: np.ndarray) -> np.ndarray:
    return (x - np.logaddexp.reduce(x, axis=1, keepdims=True)).astype(np.float32)
