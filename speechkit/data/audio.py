"""Audio I/O through soundfile (torchaudio's own load/save need torchcodec, which we do not depend on)."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import soundfile as sf

from speechkit.errors import SpeechkitError
from speechkit.utils.atomic import atomic_path
from speechkit.utils.stderr import quiet_stderr


def _decode_error(path: Path, e: Exception) -> SpeechkitError:
    """One line for a file libsndfile cannot read: its own message names the path and, for data it cannot parse,
    wrongly says the file does not exist."""
    message = str(e).split("': ", 1)[-1]
    if "does not exist" in message or "not a regular file" in message:
        message = "not audio in a format libsndfile reads, or corrupt"
    return SpeechkitError(path, f"cannot decode audio ({message})")


def audio_info(path: str | Path) -> sf._SoundFileInfo:
    """Header of an audio file (rate, channels, frames); :class:`SpeechkitError` if missing or undecodable."""
    path = Path(path)
    if not path.is_file():
        raise SpeechkitError(path, "audio file not found")
    try:
        with quiet_stderr():  # mpg123 prints warnings about broken MP3s itself
            return sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError) as e:
        raise _decode_error(path, e) from None


def read_audio(path: str | Path, sample_rate: int | None = None) -> np.ndarray:
    """Read a mono file as float32 in [-1, 1], resampled to ``sample_rate`` when given and different.

    Multi-channel audio is an error rather than a silent down-mix: the data dir contract says mono.
    """
    path = Path(path)
    if not path.is_file():
        raise SpeechkitError(path, "audio file not found")
    try:
        with quiet_stderr():
            wav, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as e:
        raise _decode_error(path, e) from None
    if wav.shape[1] != 1:
        raise SpeechkitError(path, f"expected mono audio, found {wav.shape[1]} channels")
    wav = wav[:, 0]
    if sample_rate is not None and sr != sample_rate:
        wav = resample(wav, sr, sample_rate)
    return wav


def resample(wav: np.ndarray, orig_sr: int, new_sr: int) -> np.ndarray:
    """Band-limited resampling with torchaudio; the filter kernel is built once per rate pair."""
    import torch

    with torch.no_grad():
        out = _resampler(orig_sr, new_sr)(torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32)))
    return out.numpy()


@functools.lru_cache(maxsize=8)
def _resampler(orig_sr: int, new_sr: int) -> "torch.nn.Module":  # noqa: F821 - torch is imported lazily
    import torchaudio.transforms as T

    return T.Resample(orig_sr, new_sr)


def write_audio(path: str | Path, wav: np.ndarray, sample_rate: int) -> None:
    """Write 16-bit PCM WAV atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        sf.write(str(tmp), np.clip(wav, -1.0, 1.0), sample_rate, subtype="PCM_16", format="WAV")
