"""From phone segments to frames per token: the one rule speechkit uses, for MFA TextGrids and its own aligner.

Frames. The mel of :mod:`speechkit.features.mel` gives a wave of ``n`` samples ``n // hop`` frames, frame ``k``
covering samples ``[k * hop, (k + 1) * hop)``. A boundary at ``t`` seconds is the frame boundary
``round(t * sample_rate / hop)`` (halves round up), clipped to ``[0, n_frames]``; a token's duration is the
difference of its two boundaries. The first boundary is 0 and the last is ``n_frames`` whatever the segments
say, so ``sum(durations) == n_frames`` always. ``sample_rate`` and ``hop`` are the mel's (the TTS mel:
22050 Hz, hop 256); audio at another rate is resampled before the mel, so ``n_frames`` counts resampled samples.

Tokens. Phone labels are kept as written (ARPAbet with stress digits). Silence (``""``, ``sil``, ``sp``, and
gaps) becomes the token ``sil``; adjacent silences merge into one, and a silence that rounds to no frame is
dropped since it covers none. A phone that rounds to no frame (two boundaries in one frame) is kept with
duration 0 and counted. ``spn`` (MFA's spoken noise, for a word outside its lexicon) is a token like any other
here; :func:`import_durations` refuses it unless asked to keep it.

Edge silence. ``keep``: leading and trailing silence stay as ``sil`` tokens, and the tokens cover frames
``[0, n_frames)``. ``trim``: they are dropped, the tokens cover ``[first, end)``, ``sum(durations) == end -
first``, and whoever reads the durations crops the mel to that range.

Import (:func:`import_durations`) writes to the data directory, each file atomically:

* ``durations``: ``utt d1 d2 ...``, frames per token;
* ``phones``: ``utt tok1 tok2 ...``, the tokens the durations refer to;
* ``frame_range``: ``utt first end``, the mel frames the tokens cover (``0 n_frames`` with ``keep``).

An utterance cannot be imported when its TextGrid is missing (MFA skips what it cannot align) or malformed; when
its words differ from ``text`` (both normalized with :func:`~speechkit.data.text.normalize_words`; a different
split of the same letters and digits, as MFA makes of acronyms and hyphens, is the same words); when the TextGrid's
start or end is more than one hop (``hop / sample_rate`` seconds) away from the audio's; or for ``spn`` unless
``spn="token"``. Such utterances are dropped from the data directory (its tables are rewritten without them, the
originals kept in ``.backup`` as ``data fix`` does) and listed with their reasons in ``align_dropped``; the import
fails, writing nothing, when they are more than ``max_dropped`` of the utterances (default 5 %), naming the first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from itertools import pairwise
from pathlib import Path

from speechkit.data.audio import audio_info
from speechkit.data.datadir import Utterance, load_data_dir
from speechkit.data.fix import keep_utterances
from speechkit.data.table import write_table
from speechkit.data.text import normalize_words
from speechkit.data.textgrid import SILENCE_LABELS, Alignment, Segment, read_alignment
from speechkit.errors import SpeechkitError
from speechkit.lang.lexicon import SIL, SPN

DROPPED = "align_dropped"
"""Table of the utterances an import dropped: ``utt <TextGrid>: <why>``."""
TTS_SAMPLE_RATE = 22050
TTS_HOP_LENGTH = 256


class EdgeSilence(str, Enum):
    """What happens to silence before the first and after the last phone."""

    keep = "keep"
    trim = "trim"


class Spn(str, Enum):
    """What happens to ``spn``, MFA's phone for a word outside its lexicon."""

    error = "error"
    token = "token"


@dataclass(frozen=True)
class Durations:
    """Tokens and their frame counts; they cover frames ``[first, end)`` of the utterance's mel."""

    tokens: list[str]
    frames: list[int]
    first: int
    end: int
    zero_length: int  # phones (not silences) that got no frame


def time_to_frame(t: float, n_frames: int, sample_rate: int, hop_length: int) -> int:
    """The frame boundary nearest ``t`` seconds (halves round up), clipped to ``[0, n_frames]``."""
    return min(max(math.floor(t * sample_rate / hop_length + 0.5), 0), n_frames)


def segments_to_durations(phones: Sequence[Segment], n_frames: int, sample_rate: int = TTS_SAMPLE_RATE,
                          hop_length: int = TTS_HOP_LENGTH, edge_silence: EdgeSilence = EdgeSilence.keep) -> Durations:
    """Frames per token for contiguous, time-ordered ``phones`` covering the utterance (rule: module docstring).

    :func:`~speechkit.data.textgrid.read_alignment` returns phones in that shape, and
    :func:`~speechkit.data.textgrid.fill_gaps` makes them so.

    Only the starts of the second and later segments matter: boundaries are 0, their frames, then ``n_frames``.
    Example, 1 s at 22050 Hz, hop 256 (86 frames)::

        segs = [Segment(0, 0.2, ""), Segment(0.2, 0.5, "HH"), Segment(0.5, 1.0, "AY1")]
        segments_to_durations(segs, 86).frames   # [17, 26, 43]
    """
    for prev, seg in pairwise(phones):
        if seg.start < prev.start:
            raise ValueError(f"phones out of time order: {seg.label!r} at {seg.start} s follows {prev.start} s")
    bounds = [0] + [time_to_frame(s.start, n_frames, sample_rate, hop_length) for s in phones[1:]] + [n_frames]
    tokens: list[str] = []
    frames: list[int] = []
    zero_length = 0
    for seg, a, b in zip(phones, bounds, bounds[1:]):
        if seg.label not in SILENCE_LABELS:
            tokens.append(seg.label)
            frames.append(b - a)
            zero_length += a == b
        elif tokens and tokens[-1] == SIL:
            frames[-1] += b - a
        elif b > a:
            tokens.append(SIL)
            frames.append(b - a)
    first, end = 0, n_frames
    if edge_silence == EdgeSilence.trim:
        if tokens and tokens[0] == SIL:
            first += frames.pop(0)
            tokens.pop(0)
        if tokens and tokens[-1] == SIL:
            end -= frames.pop()
            tokens.pop()
    return Durations(tokens, frames, first, end, zero_length)


@dataclass(frozen=True)
class ImportSummary:
    """What :func:`import_durations` wrote, for its one-line report."""

    utterances: int
    tokens: int
    zero_length: int
    silence_frames: int
    frames: int
    dropped: int = 0

    def __str__(self) -> str:
        share = 100 * self.silence_frames / max(self.frames, 1)
        lost = f"; {self.dropped} dropped, listed in {DROPPED}" if self.dropped else ""
        return (f"{self.utterances} utterances, {self.tokens} tokens, {self.zero_length} zero-length phones, "
                f"{share:.1f}% of frames silence{lost}")


def resampled_length(n: int, orig_sr: int, new_sr: int) -> int:
    """Samples after resampling ``n`` from ``orig_sr`` to ``new_sr``: torchaudio's ``ceil(n * new / orig)``."""
    return -(-n * new_sr // orig_sr)


def _textgrid_paths(data_dir: Path, utts: list[Utterance], textgrids: Path | None) -> dict[str, Path]:
    """Each utterance's TextGrid: ``DIR/<utt>.TextGrid`` or ``DIR/<audio name>.TextGrid`` (MFA names its output
    after the audio), or with no DIR the data directory's ``textgrid.scp``."""
    if textgrids is None:
        scp = data_dir / "textgrid.scp"
        if not scp.is_file():
            raise SpeechkitError(scp, "not found; give the folder of MFA TextGrids with --textgrids")
        return {u.utt: Path(u.extra["textgrid.scp"]) for u in load_data_dir(data_dir, extra=["textgrid.scp"])}
    if not textgrids.is_dir():
        raise SpeechkitError(textgrids, "TextGrid folder not found")
    paths = {}
    for u in utts:
        candidates = [textgrids / f"{u.utt}.TextGrid", textgrids / f"{Path(u.wav).stem}.TextGrid"]
        found = [p for p in candidates if p.is_file()]
        paths[u.utt] = found[0] if found else candidates[0]
    return paths


def _check_words(utt: str, text: str, words: list[Segment], path: Path) -> None:
    """The TextGrid's words must be the transcript's, split the same way or not; name the first that differs."""
    said = normalize_words(text).split()
    aligned = normalize_words(" ".join(w.label for w in words if w.label not in SILENCE_LABELS)).split()
    if _alnum(said) == _alnum(aligned) and _alnum(said):
        return
    for i in range(max(len(said), len(aligned))):
        a = repr(said[i]) if i < len(said) else "missing"
        b = repr(aligned[i]) if i < len(aligned) else "missing"
        if a != b:
            raise SpeechkitError(path, f"utterance {utt}: word {i + 1} is {a} in text but {b} in the TextGrid")


def _alnum(words: list[str]) -> str:
    """The letters and digits of ``words``, run together: what stays when a tokenizer splits or joins words."""
    return "".join(c for w in words for c in w if c.isalnum())


def _check_spn(utt: str, alignment: Alignment, path: Path) -> None:
    """Refuse ``spn``, naming the word it stands for."""
    for p in alignment.phones:
        if p.label == SPN:
            mid = (p.start + p.end) / 2
            word = next((w.label for w in alignment.words if w.start <= mid < w.end), "")
            raise SpeechkitError(path, f"utterance {utt}: word {word!r} was aligned as spn (not in the aligner's "
                                       "lexicon); fix the lexicon, or keep it as a token with --spn token")


def _utterance_durations(u: Utterance, path: Path, sample_rate: int, hop_length: int, edge_silence: EdgeSilence,
                         spn: Spn) -> Durations:
    """Read, check and convert one utterance's TextGrid."""
    if not path.is_file():
        raise SpeechkitError(path, f"no TextGrid for utterance {u.utt} (nor <audio name>.TextGrid beside it)")
    alignment = read_alignment(path)
    info = audio_info(u.wav)
    seconds, hop_s = info.frames / info.samplerate, hop_length / sample_rate
    for what, tg_time, audio_time in (("starts", alignment.start, 0.0), ("ends", alignment.end, seconds)):
        if abs(tg_time - audio_time) > hop_s:
            raise SpeechkitError(path, f"utterance {u.utt}: TextGrid {what} at {tg_time:.4f} s but the audio "
                                       f"{u.wav} at {audio_time:.4f} s, more than one hop ({hop_s:.4f} s) apart")
    _check_words(u.utt, u.text, alignment.words, path)
    if spn == Spn.error:
        _check_spn(u.utt, alignment, path)
    if not any(p.label not in SILENCE_LABELS for p in alignment.phones):
        raise SpeechkitError(path, f"utterance {u.utt}: the phones tier holds only silence")
    n_frames = resampled_length(info.frames, info.samplerate, sample_rate) // hop_length
    return segments_to_durations(alignment.phones, n_frames, sample_rate, hop_length, edge_silence)


def import_durations(data_dir: str | Path, textgrids: str | Path | None = None, sample_rate: int = TTS_SAMPLE_RATE,
                     hop_length: int = TTS_HOP_LENGTH, edge_silence: EdgeSilence = EdgeSilence.keep,
                     spn: Spn = Spn.error, max_dropped: float = 0.05) -> ImportSummary:
    """Write ``durations``, ``phones`` and ``frame_range`` into ``data_dir`` from MFA TextGrids, dropping the
    utterances that cannot be imported (at most ``max_dropped`` of them, else nothing is written).

    Every utterance is read and checked before anything is written. Example::

        import_durations("data/train", "mfa_out", edge_silence=EdgeSilence.trim)
    """
    data_dir = Path(data_dir)
    utts = load_data_dir(data_dir)
    paths = _textgrid_paths(data_dir, utts, None if textgrids is None else Path(textgrids))
    results: dict[str, Durations] = {}
    dropped: dict[str, SpeechkitError] = {}
    for u in utts:
        try:
            results[u.utt] = _utterance_durations(u, paths[u.utt], sample_rate, hop_length,
                                                  EdgeSilence(edge_silence), Spn(spn))  # fmt: skip
        except SpeechkitError as e:
            dropped[u.utt] = e
    if len(dropped) > max_dropped * len(utts):
        first = next(iter(dropped.values()))
        raise SpeechkitError(first.path, f"{first.problem} ({len(dropped)} of {len(utts)} utterances cannot be "
                                         f"imported, more than --max-dropped {max_dropped:g})")
    if dropped:
        keep_utterances(data_dir, set(results))
        write_table(data_dir / DROPPED, {k: f"{e.path}: {e.problem}" for k, e in dropped.items()})
    else:
        (data_dir / DROPPED).unlink(missing_ok=True)
    write_table(data_dir / "phones", {k: " ".join(d.tokens) for k, d in results.items()})
    write_table(data_dir / "frame_range", {k: f"{d.first} {d.end}" for k, d in results.items()})
    write_table(data_dir / "durations", {k: " ".join(map(str, d.frames)) for k, d in results.items()})
    return ImportSummary(
        utterances=len(results),
        tokens=sum(len(d.tokens) for d in results.values()),
        zero_length=sum(d.zero_length for d in results.values()),
        silence_frames=sum(f for d in results.values() for t, f in zip(d.tokens, d.frames) if t == SIL),
        frames=sum(d.end - d.first for d in results.values()),
        dropped=len(dropped),
    )
