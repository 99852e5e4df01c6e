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

import json
from dataclasses import asdict, dataclass
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
from speechkit.utils.parallel import parallel_map

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


def _mean_std(values: np.ndarray) -> dict[str, float]:
    values = values[~np.isnan(values)]
    return {"mean": float(values.mean()), "std": float(values.std())}


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
        sums = parallel_map(featurize, jobs, nj, f"TTS features {data_dir}")
        frames = sum(s.frames for s in sums)
        mel_mean = sum(s.mel_sum for s in sums) / frames
        mel_std = np.sqrt(np.maximum(sum(s.mel_sq for s in sums) / frames - mel_mean**2, 0.0))
        pitch = np.concatenate([s.pitch for s in sums])
        stats = {
            "mel_config": asdict(mel),
            "pitch": _mean_std(pitch),
            "energy": _mean_std(np.concatenate([s.energy for s in sums])),
            "mel": {"mean": mel_mean.tolist(), "std": mel_std.tolist()},
            "utterances": len(utts),
            "frames": frames,
            "unvoiced_utterances": sum(bool(np.isnan(s.pitch).all()) for s in sums),
        }
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
