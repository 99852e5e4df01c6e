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

    Multi-channel audio is an error rather than a silent down-mix: the data dir contract says mono. Empty audio and
    NaN or infinite samples are errors too: they would turn a training loss or a decoded label silently into NaN.
    """
    path = Path(path)
    if not path.is_file():
        raise SpeechkitError(path, not_a_file(path))
    try:
        with quiet_stderr():
            wav, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as e:
        raise _decode_error(path, e) from None
    if wav.shape[1] != 1:
        raise SpeechkitError(path, f"expected mono audio, found {wav.shape[1]} channels")
    wav = wav[:, 0]
    if not len(wav):
        raise SpeechkitError(path, "has no samples (zero length)")
    if not np.isfinite(wav).all():
        bad = int(np.flatnonzero(~np.isfinite(wav))[0])
        raise SpeechkitError(path, f"sample {bad} is not a finite number (NaN or infinity)")
    if sample_rate is not None and sr != sample_rate:
        wav = resample(wav, sr, sample_rate)
    return wav


def not_a_file(path: Path) -> str:
    """Why ``path`` cannot be opened as an audio file, in words: missing, a directory, a link loop, or a command."""
    text = str(path)
    if text.rstrip().endswith("|"):
        return "is a Kaldi pipe command; speechkit does not run commands from wav.scp: write the audio to files"
    if path.is_symlink() and not path.exists():
        try:
            path.resolve(strict=True)
        except RuntimeError:
            return "is a symbolic link loop"
        except OSError:
            pass
        return "is a symbolic link to a file that does not exist"
    if path.is_dir():
        return "is a directory, not an audio file"
    if path.exists():
        return "is not a regular file (a device, pipe or socket)"
    return NOT_FOUND


NOT_FOUND = "audio file not found"


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
