"""Praat TextGrids in the Montreal Forced Aligner's shape, through praatio.

MFA writes a ``words`` tier then a ``phones`` tier, intervals contiguous from 0 to the audio's duration,
silence as empty intervals. Times are seconds; we keep full float precision so that sample-exact boundaries
survive a round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from praatio import textgrid
from praatio.utilities.constants import Interval

from speechkit.utils.atomic import atomic_path


@dataclass(frozen=True)
class Segment:
    """A labelled span ``[start, end)`` in seconds."""

    start: float
    end: float
    label: str


def write_textgrid(path: str | Path, words: Sequence[Segment], phones: Sequence[Segment], duration: float) -> None:
    """Write an MFA-style long TextGrid atomically; gaps between segments become ``""`` intervals."""
    tg = textgrid.Textgrid()
    for name, segments in (("words", words), ("phones", phones)):
        entries = [Interval(s.start, s.end, s.label) for s in segments if s.label]
        tg.addTier(textgrid.IntervalTier(name, entries, 0.0, duration))
    with atomic_path(path) as tmp:
        tg.save(str(tmp), format="long_textgrid", includeBlankSpaces=True)
