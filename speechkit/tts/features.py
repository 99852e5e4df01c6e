"""Stage "features and statistics" of the TTS recipe: per-utterance log-mels and token pitch/energy, plus stats.

For each utterance of a data directory with ``durations``, ``phones`` and ``frame_range`` (from ``speechkit align``),
``OUT/<utt>.npz`` holds (all float32):

* ``mel`` ``(frames, n_mels)``: the log-mel of :mod:`speechkit.features.mel`, cropped to the frame range;
* ``pitch`` ``(tokens,)``: each token's mean log-F0 (Hz), unvoiced frames interpolated (NaN when no frame of the
  utterance is voiced);
* ``energy`` ``(tokens,)``: each token's mean STFT-frame norm.

``OUT/stats.json`` holds the mel config, the means and standard deviations of pitch, energy and every mel bin
(training normalizes with the training set's), and counts. ``OUT`` is replaced atomically: an interrupted run
leaves the previous output (or none), never a half-written one.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from speechkit.data.audio import read_audio
from speechkit.data.datadir import load_data_dir
from speechkit.data.table import key_file
from speechkit.errors import SpeechkitError
from speechkit.features.energy import energy
from speechkit.features.mel import MelConfig, log_mel, n_frames
from speechkit.features.pitch import f0, interpolate_unvoiced, phone_average
from speechkit.utils.atomic import atomic_dir, write_text_atomic
from speechkit.utils.parallel import parallel_imap

ALIGNMENT_FILES = ("phones", "durations", "frame_range")


@dataclass(frozen=True)
class Job:
    """One utterance to featurize: its id, audio, token durations, frame range and where to write."""

    utt: str
    wav: str
    durations: tuple[int, ...]
    first: int
    end: int
    out: str
    mel: MelConfig
    where: str  # the data dir, named in errors


@dataclass(frozen=True)
class Sums:
    """What one utterance adds to the statistics (float64 sums, so hours of frames keep their precision)."""

    frames: int
    mel_sum: np.ndarray
    mel_sq: np.ndarray
    pitch: np.ndarray
    energy: np.ndarray


def featurize(job: Job) -> Sums:
    """Compute and write one utterance's ``.npz``; return its contribution to the statistics."""
    cfg = job.mel
    wav = read_audio(job.wav, cfg.sample_rate)
    total = n_frames(len(wav), cfg)
    if not 0 <= job.first < job.end <= total or sum(job.durations) != job.end - job.first:
        raise SpeechkitError(job.where, f"utterance {job.utt}: durations sum to {sum(job.durations)} and frame_range "
                                        f"is {job.first} {job.end}, but the audio gives {total} frames at hop "
                                        f"{cfg.hop_length}; re-run the durations stage")  # fmt: skip
    with torch.no_grad():
        tensor = torch.from_numpy(wav)
        mel = log_mel(tensor, cfg)[job.first : job.end].numpy()
        frame_energy = energy(tensor, cfg)[job.first : job.end].numpy()
    log_f0 = interpolate_unvoiced(f0(wav, cfg.sample_rate, cfg.hop_length))[job.first : job.end]
    durations = np.array(job.durations)
    pitch = phone_average(log_f0, durations)
    token_energy = phone_average(frame_energy, durations)
    np.savez(job.out, mel=mel.astype(np.float32), pitch=pitch, energy=token_energy)
    mel64 = mel.astype(np.float64)
    return Sums(len(mel), mel64.sum(0), np.square(mel64).sum(0), pitch, token_energy)


@dataclass
class Totals:
    """Running float64 sums of the statistics: they add up over utterances and over jobs, so neither a long corpus
    nor a split into jobs keeps per-utterance values. ``pitch`` and ``energy``: count, sum and sum of squares of
    the token values (NaN pitch skipped)."""

    utterances: int = 0
    unvoiced: int = 0
    frames: int = 0
    mel_sum: np.ndarray | float = 0.0  # per mel bin once an utterance is added
    mel_sq: np.ndarray | float = 0.0
    pitch: np.ndarray = field(default_factory=lambda: np.zeros(3))
    energy: np.ndarray = field(default_factory=lambda: np.zeros(3))

    def add(self, s: Sums) -> None:
        voiced = s.pitch[~np.isnan(s.pitch)]
        self.utterances, self.unvoiced = self.utterances + 1, self.unvoiced + (not len(voiced))
        self.frames += s.frames
        self.mel_sum, self.mel_sq = self.mel_sum + s.mel_sum, self.mel_sq + s.mel_sq
        self.pitch, self.energy = self.pitch + _moments(voiced), self.energy + _moments(s.energy)

    def merged(self, other: Totals) -> Totals:
        return Totals(self.utterances + other.utterances, self.unvoiced + other.unvoiced, self.frames + other.frames,
                      self.mel_sum + other.mel_sum, self.mel_sq + other.mel_sq, self.pitch + other.pitch,
                      self.energy + other.energy)  # fmt: skip

    def stats(self, mel: MelConfig) -> dict[str, Any]:
        """What ``stats.json`` holds: means and deviations, counts, and the sums themselves (to merge jobs')."""
        mel_mean = self.mel_sum / self.frames
        mel_std = np.sqrt(np.maximum(self.mel_sq / self.frames - mel_mean**2, 0.0))
        return {"mel_config": asdict(mel), "pitch": _mean_std(self.pitch), "energy": _mean_std(self.energy),
                "mel": {"mean": mel_mean.tolist(), "std": mel_std.tolist()}, "utterances": self.utterances,
                "frames": self.frames, "unvoiced_utterances": self.unvoiced,
                "sums": {"mel_sum": np.asarray(self.mel_sum).tolist(), "mel_sq": np.asarray(self.mel_sq).tolist(),
                         "pitch": self.pitch.tolist(), "energy": self.energy.tolist()}}  # fmt: skip

    @classmethod
    def of_stats(cls, stats: dict[str, Any]) -> Totals:
        sums = stats["sums"]
        arrays = (np.array(sums[k], dtype=np.float64) for k in ("mel_sum", "mel_sq", "pitch", "energy"))
        return cls(stats["utterances"], stats["unvoiced_utterances"], stats["frames"], *arrays)


def _moments(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float64)
    return np.array([len(values), values.sum(), np.square(values).sum()])


def _mean_std(moments: np.ndarray) -> dict[str, float]:
    n, total, squares = moments
    mean = total / n if n else float("nan")
    return {"mean": float(mean), "std": float(np.sqrt(max(squares / n - mean**2, 0.0))) if n else float("nan")}


def merge_stats(paths: Sequence[Path], target: Path) -> str:
    """One ``stats.json`` (for ``target``) from the jobs' ``stats.json`` files: their sums added."""
    stats = [json.loads(p.read_text()) for p in paths]
    totals = functools.reduce(Totals.merged, map(Totals.of_stats, stats))
    return json.dumps(totals.stats(MelConfig(**stats[0]["mel_config"])), indent=1)


def extract_tts_features(data_dir: str | Path, out: str | Path, mel: MelConfig, nj: int = 2) -> dict[str, Any]:
    """Write ``OUT/<utt>.npz`` for every utterance of ``data_dir`` and ``OUT/stats.json``; return the stats.

    Example::

        extract_tts_features("data/train", "exp/feats/train", TTS_MEL, nj=2)
    """
    data_dir, out = Path(data_dir), Path(out)
    for name in ALIGNMENT_FILES:
        if not (data_dir / name).is_file():
            raise SpeechkitError(data_dir / name, "not found: run the durations stage (speechkit align) first")
    utts = load_data_dir(data_dir, extra=ALIGNMENT_FILES)
    with atomic_dir(out) as tmp:
        jobs = []
        for u in utts:
            durations = tuple(int(d) for d in u.extra["durations"].split())
            if len(durations) != len(u.extra["phones"].split()):
                raise SpeechkitError(data_dir / "durations", f"utterance {u.utt}: {len(durations)} durations but "
                                                             f"{len(u.extra['phones'].split())} phones")  # fmt: skip
            first, end = (int(x) for x in u.extra["frame_range"].split())
            jobs.append(Job(u.utt, u.wav, durations, first, end, str(key_file(tmp, u.utt, ".npz")), mel, str(data_dir)))
        totals = Totals()
        for sums in parallel_imap(featurize, jobs, nj, f"TTS features {data_dir}"):
            totals.add(sums)
        stats = totals.stats(mel)
        write_text_atomic(tmp / "stats.json", json.dumps(stats, indent=1))
    return stats


def read_stats(feats_dir: str | Path, mel: MelConfig) -> dict[str, Any]:
    """``stats.json`` of a features dir, checked to be for ``mel`` (features of another mel cannot train it)."""
    path = Path(feats_dir) / "stats.json"
    if not path.is_file():
        raise SpeechkitError(path, "not found: run the features stage (speechkit prep tts-features) first")
    stats = json.loads(path.read_text())
    if stats.get("mel_config") != asdict(mel):
        raise SpeechkitError(path, f"features of mel {stats.get('mel_config')}, but the model's is {asdict(mel)}")
    return stats
