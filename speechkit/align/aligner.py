"""Align a data directory with a trained aligner: TextGrids, and frames per token by the toolkit's one rule.

``OUT/`` receives, each file written atomically:

* ``<utt>.TextGrid``: MFA's shape, a ``words`` then a ``phones`` tier, silence as ``""``, out-of-lexicon
  words as ``spn``. With a given phone sequence (``phones``) there are no words, so the words tier is empty;
* ``durations``, ``phones``, ``frame_range``: what ``speechkit align import --data DATA --textgrids OUT`` would
  write into the data directory from those TextGrids (same rule, same mel; tested to agree). ``align`` leaves
  the data directory untouched: run ``import`` to put durations there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from speechkit.align.durations import (
    TTS_HOP_LENGTH,
    TTS_SAMPLE_RATE,
    EdgeSilence,
    resampled_length,
    segments_to_durations,
)
from speechkit.align.features import frame_counts, log_mels, padded, read_waves
from speechkit.align.graph import Graph, Slot, build_graph
from speechkit.align.refine import refine_runs
from speechkit.align.transcripts import PhoneIndex, read_phone_sequences, sequence_slots, text_slots
from speechkit.align.viterbi import runs, viterbi
from speechkit.data.audio import audio_info
from speechkit.data.batching import DurationBatchSampler
from speechkit.data.datadir import Utterance, load_data_dir
from speechkit.data.table import key_file, write_table
from speechkit.data.textgrid import Segment, write_textgrid
from speechkit.errors import SpeechkitError
from speechkit.lang.lexicon import SIL, SPN, Lexicon
from speechkit.models.aligner import AlignerModel
from speechkit.utils.memory import trim_heap
from speechkit.utils.parallel import progress_bar

VITERBI_BUDGET = 40_000_000
"""Most frames x states in one Viterbi batch: its score history takes 4 bytes each."""


@dataclass(frozen=True)
class AlignSummary:
    """What :func:`align_data_dir` did, for its one-line report."""

    utterances: int
    seconds: float
    spn_words: int

    def __str__(self) -> str:
        return f"{self.utterances} utterances, {self.seconds / 3600:.2f} h" + (
            f", {self.spn_words} words as spn (no pronunciation)" if self.spn_words else "")


def utterance_slots(utts: Sequence[Utterance], data_dir: Path, phones: PhoneIndex, lexicon: Lexicon | None,
                    phone_file: Path | None) -> list[list[Slot]]:
    """Each utterance's slots: its text through ``lexicon``, or its line of ``phone_file`` when given."""
    return list(iter_slots(utts, data_dir, phones, lexicon, phone_file))


def iter_slots(utts: Sequence[Utterance], data_dir: Path, phones: PhoneIndex, lexicon: Lexicon | None,
               phone_file: Path | None) -> Iterator[list[Slot]]:
    """:func:`utterance_slots` one utterance at a time (a corpus's slots take about 11 kB an utterance)."""
    if phone_file is not None:
        given = read_phone_sequences(phone_file, phones)
        missing = [u.utt for u in utts if u.utt not in given]
        if missing:
            raise SpeechkitError(phone_file, f"no phone sequence for utterance {missing[0]!r}")
        yield from (sequence_slots(given[u.utt], phones) for u in utts)
        return
    lexicon = lexicon or Lexicon.cmudict()
    for u in utts:
        if not u.text.split():
            raise SpeechkitError(data_dir / "text", f"utterance {u.utt!r} has an empty transcript")
        try:
            yield text_slots(u.text, lexicon, phones)
        except SpeechkitError as e:
            raise SpeechkitError(data_dir / "text", f"utterance {u.utt!r}: {e.problem}") from None


def fitted_graph(utt: Utterance, slots: Sequence[Slot], model: AlignerModel, n_frames: int) -> Graph:
    """The utterance's graph; one too short for its phones (each state needs a frame) is a user error."""
    g = build_graph(slots, model.cfg.n_states, len(model.phones), model.cfg.pause_cost, model.pause_frames)
    need = g.min_frames()
    if need > n_frames:
        ms = model.cfg.features.frame_shift_ms
        raise SpeechkitError(utt.wav, f"utterance {utt.utt!r}: {n_frames * ms:.0f} ms of audio cannot hold its phones "
                                      f"({need * ms:.0f} ms at least); is the transcript right?")  # fmt: skip
    return g


def build_graphs(utts: Sequence[Utterance], slots: Sequence[Sequence[Slot]], model: AlignerModel,
                 frames: Sequence[int]) -> list[Graph]:
    """:func:`fitted_graph` of each utterance."""
    return [fitted_graph(u, s, model, n) for u, s, n in zip(utts, slots, frames)]


def viterbi_groups(sizes: Sequence[int], budget: int = VITERBI_BUDGET) -> list[list[int]]:
    """Consecutive indices grouped so that ``len(group) * max(sizes[group])`` stays within ``budget`` (a size is
    frames x states, what one utterance adds to Viterbi's score history; a larger one is a group of its own)."""
    groups: list[list[int]] = [[]]
    for i, size in enumerate(sizes):
        group = groups[-1]
        if group and (len(group) + 1) * max(size, *(sizes[j] for j in group)) > budget:
            groups.append(group := [])
        group.append(i)
    return [g for g in groups if g]


def viterbi_paths(model: AlignerModel, feats: Sequence[Tensor], graphs: Sequence[Graph], device: str | torch.device,
                  max_frames: int, advance: Callable[[int], None] = lambda n: None) -> Iterator[tuple[int, np.ndarray]]:
    """``(index, Viterbi state path)`` of every utterance under ``model`` (put in eval mode), a batch at a time, so
    that a caller keeps only what it makes of them.

    The network runs on batches of up to ``max_frames`` padded frames, Viterbi on the groups of
    :func:`viterbi_groups` within each.
    """
    model.eval()
    frames = frame_counts(feats)
    for batch in DurationBatchSampler(frames, max_frames, shuffle=False):
        x, lengths = padded([feats[i] for i in batch], device)
        with torch.no_grad():
            scores = model.emissions(model(x, lengths)).cpu()
        for rows in viterbi_groups([frames[i] * graphs[i].n_states for i in batch]):
            found = viterbi([scores[r, : lengths[r]] for r in rows], [graphs[batch[r]] for r in rows])
            for r, path in zip(rows, found):
                assert path is not None, "graphs are checked against the frame count when built"
                yield batch[r], path
        trim_heap()
        advance(len(batch))


def path_segments(path: np.ndarray, graph: Graph, words: Sequence[str], frame_seconds: float, duration: float,
                  feats: np.ndarray, reach: int) -> tuple[list[Segment], list[Segment]]:
    """Word and phone segments (seconds) of a state path, ``words`` naming the graph's word indices; silence is
    ``""`` and the last segment ends at ``duration``. Boundaries between phones move up to ``reach`` frames to
    where the utterance's log-mels ``feats`` change most (:func:`speechkit.align.refine.refine_runs`)."""
    phones: list[Segment] = []
    spans: dict[int, tuple[float, float]] = {}
    found = runs(path, graph)
    found = refine_runs(found, [graph.tokens[t].label != SIL for t, _, _ in found], feats, reach)
    for token, first, end in found:
        tok = graph.tokens[token]
        start, stop = first * frame_seconds, duration if end == len(path) else end * frame_seconds
        phones.append(Segment(start, stop, "" if tok.label == SIL else tok.label))
        if tok.word >= 0:
            spans[tok.word] = (spans.get(tok.word, (start, stop))[0], stop)
    return [Segment(a, b, words[w]) for w, (a, b) in sorted(spans.items())], phones


def align_data_dir(model: AlignerModel, data_dir: str | Path, out_dir: str | Path, *, phone_file: Path | None = None,
                   lexicon: Lexicon | None = None, device: str | torch.device = "cpu", max_frames: int = 40_000,
                   sample_rate: int = TTS_SAMPLE_RATE, hop_length: int = TTS_HOP_LENGTH,
                   edge_silence: EdgeSilence = EdgeSilence.keep, chunk: int = 256) -> AlignSummary:
    """Align every utterance of ``data_dir`` and write ``out_dir`` (see the module docstring).

    ``sample_rate``/``hop_length``/``edge_silence`` define the mel frames of ``durations``, as for ``import``.
    Utterances are read ``chunk`` at a time, so memory does not grow with the corpus. Example::

        align_data_dir(load_model("exp/align/model")[1], "data/train", "exp/align")
    """
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    utts = load_data_dir(data_dir)
    phones = PhoneIndex(model.phones)
    slots = utterance_slots(utts, data_dir, phones, lexicon, phone_file)
    frame_seconds = model.cfg.features.mel().hop_length / model.cfg.features.sample_rate
    tables: dict[str, dict[str, str]] = {"phones": {}, "frame_range": {}, "durations": {}}  # lines, not objects
    seconds, spn_words = 0.0, 0
    out_dir.mkdir(parents=True, exist_ok=True)
    with progress_bar() as bar:
        task = bar.add_task("aligning", total=len(utts))
        for first in range(0, len(utts), chunk):
            part = utts[first : first + chunk]
            feats = log_mels(model, read_waves(part, model.cfg.features.sample_rate), device)
            graphs = build_graphs(part, slots[first : first + chunk], model, [len(f) for f in feats])
            paths = dict(viterbi_paths(model, feats, graphs, device, max_frames, partial(bar.advance, task)))
            for i, (u, graph) in enumerate(zip(part, graphs)):
                info = audio_info(u.wav)
                duration = info.frames / info.samplerate
                words, phone_segs = path_segments(paths[i], graph, u.text.split() if phone_file is None else [],
                                                  frame_seconds, duration, feats[i].numpy(), model.cfg.refine_frames)
                write_textgrid(key_file(out_dir, u.utt, ".TextGrid"), words, phone_segs, duration)
                n_frames = resampled_length(info.frames, info.samplerate, sample_rate) // hop_length
                d = segments_to_durations(phone_segs, n_frames, sample_rate, hop_length, edge_silence)
                tables["phones"][u.utt], tables["frame_range"][u.utt] = " ".join(d.tokens), f"{d.first} {d.end}"
                tables["durations"][u.utt] = " ".join(map(str, d.frames))
                seconds += duration
                spn_words += sum(s.label == SPN for s in phone_segs)
    for name, table in tables.items():
        write_table(out_dir / name, table)
    return AlignSummary(len(utts), seconds, spn_words)
