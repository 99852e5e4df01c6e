"""A tiny valid data directory, and the corruptions ``data validate`` must name and ``data fix`` must repair.

Shared by the validate and fix tests (through the fixtures in conftest.py) so that both run over the same cases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from speechkit.data.datadir import Utterance, write_data_dir
from speechkit.data.table import read_table
from speechkit.data.validate import Kind

RATE = 16000
UTTS = ("spk1-u1", "spk1-u2", "spk2-u1", "spk2-u2")


def write_wav(path: Path, *, rate: int = RATE, channels: int = 1, seconds: float = 0.25, freq: float = 220.0) -> None:
    """A quiet sine wave (16-bit PCM)."""
    t = np.arange(int(rate * seconds)) / rate
    wave = 0.3 * np.sin(2 * np.pi * freq * t)
    sf.write(str(path), np.repeat(wave[:, None], channels, axis=1), rate, subtype="PCM_16")


def build_data_dir(tmp_path: Path) -> Path:
    """tmp_path/data: 4 utterances of 2 speakers, utt2intent, durations, utt2num_frames; wavs in tmp_path/wavs."""
    (tmp_path / "wavs").mkdir()
    utts = []
    for i, utt in enumerate(UTTS):
        wav = tmp_path / "wavs" / f"{utt}.wav"
        write_wav(wav, freq=220.0 * (i + 1))
        extra = {"utt2intent": "activate|lights|kitchen", "durations": "3 4 5", "utt2num_frames": "12"}
        utts.append(Utterance(utt, utt.split("-")[0], str(wav), f"turn on the kitchen lights {i}", extra))
    write_data_dir(tmp_path / "data", utts)
    return tmp_path / "data"


def _edit(name: str, edit: Callable[[list[bytes]], list[bytes]]) -> Callable[[Path], None]:
    """A damage that rewrites the lines of table ``name`` (as bytes, so that it can plant invalid UTF-8)."""

    def damage(data: Path) -> None:
        path = data / name
        path.write_bytes(b"".join(line + b"\n" for line in edit(path.read_bytes().splitlines())))

    return damage


def _set_line(name: str, key: str, line: bytes) -> Callable[[Path], None]:
    return _edit(name, lambda lines: [line if old.split()[0] == key.encode() else old for old in lines])


def _audio(key: str, damage: Callable[[Path], None]) -> Callable[[Path], None]:
    """A damage to the audio file of ``key``."""
    return lambda data: damage(Path(read_table(data / "wav.scp")[key]))


def _rename_utterance(old: bytes, new: bytes) -> Callable[[Path], None]:
    """A damage that renames utterance ``old`` to ``new`` in every table (keys, and spk2utt's lists)."""

    def damage(data: Path) -> None:
        for path in data.iterdir():
            if path.is_file() and not path.name.startswith("."):
                lines = [line.split(b" ") for line in path.read_bytes().splitlines()]
                lines = [[new if (i == 0 or path.name == "spk2utt") and w == old else w for i, w in enumerate(ws)]
                         for ws in lines]
                path.write_bytes(b"".join(b" ".join(ws) + b"\n" for ws in lines))

    return damage


def _float_wav(path: Path, *, frames: int = 4000, nan_at: int | None = None) -> None:
    wave = np.full(frames, 0.1, dtype=np.float32)
    if nan_at is not None:
        wave[nan_at] = np.nan
    sf.write(str(path), wave, RATE, subtype="FLOAT")


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@dataclass(frozen=True)
class Corruption:
    """One way to break the directory, and the problem validate must report for it."""

    name: str
    damage: Callable[[Path], None]
    where: str  # "file:key" of the problem
    kind: Kind
    detail: str  # a piece of the message
    dropped: bool  # whether fix must drop the key (else it repairs without losing data)

    @property
    def file(self) -> str:
        return self.where.split(":")[0]

    @property
    def key(self) -> str:
        return self.where.split(":")[1]


_REVERSE_TEXT = _edit("text", lambda lines: lines[::-1])
_REPEAT_TEXT = _edit("text", lambda lines: [*lines, b"spk1-u2 again"])
_DELETE_WAV = _audio("spk1-u2", Path.unlink)
_GARBAGE_WAV = _audio("spk2-u1", lambda p: p.write_bytes(b"not a wav file" * 20))
_TRUNCATE_WAV = _audio("spk2-u2", _truncate)
_WAV_AT_8K = _audio("spk1-u1", lambda p: write_wav(p, rate=8000))
_STEREO_WAV = _audio("spk2-u1", lambda p: write_wav(p, channels=2))
_NAN_WAV = _audio("spk1-u2", lambda p: _float_wav(p, nan_at=1234))
_EMPTY_WAV = _audio("spk2-u1", lambda p: _float_wav(p, frames=0))
_PATH_KEY = _rename_utterance(b"spk2-u2", b"spk2/../../pwned")
_PIPE_COMMAND = _set_line("wav.scp", "spk1-u1", b"spk1-u1 flac -dc spk1-u1.flac |")
_DIRECTORY = _edit("wav.scp", lambda lines: [
    b" ".join([k, v.rsplit(b"/", 1)[0]]) if k == b"spk2-u2" else line
    for line in lines for k, v in [line.split(b" ", 1)]])
_LINK_LOOP = _audio("spk1-u2", lambda p: (p.unlink(), p.symlink_to(p)))
_EMPTY_TEXT = _set_line("text", "spk1-u2", b"spk1-u2")
_MOVE_SPEAKER = _edit("spk2utt", lambda _: [b"spk1 spk1-u1", b"spk2 spk1-u2 spk2-u1 spk2-u2"])
_LATIN1_TEXT = _set_line("text", "spk2-u2", b"spk2-u2 caf\xe9 lights")
_BELL_IN_TEXT = _set_line("text", "spk2-u1", b"spk2-u1 turn\x07 on")
_NO_INTENT = _edit("utt2intent", lambda lines: lines[1:])
_TWO_SLOTS = _set_line("utt2intent", "spk2-u2", b"spk2-u2 activate|lights")
_FRAMES_OFF = _set_line("durations", "spk1-u2", b"spk1-u2 3 4 6")

# The done-when list of the foundation issue first, then the task-file checks.
# Fields: name, damage, "file:key" of the problem, its kind, a piece of its message, whether fix drops the key.
CORRUPTIONS = [
    Corruption("unsorted", _REVERSE_TEXT, "text:spk1-u1", Kind.UNSORTED, "sorts before", False),
    Corruption("duplicate", _REPEAT_TEXT, "text:spk1-u2", Kind.DUPLICATE, "repeats the key of line 2", False),
    Corruption("missing_audio", _DELETE_WAV, "wav.scp:spk1-u2", Kind.AUDIO_MISSING, "not found", True),
    Corruption("unreadable", _GARBAGE_WAV, "wav.scp:spk2-u1", Kind.AUDIO_UNREADABLE, "cannot decode", True),
    Corruption("truncated", _TRUNCATE_WAV, "wav.scp:spk2-u2", Kind.AUDIO_UNREADABLE, "truncated", True),
    Corruption("wrong_rate", _WAV_AT_8K, "wav.scp:spk1-u1", Kind.SAMPLE_RATE, "8000 Hz, while most", True),
    Corruption("stereo", _STEREO_WAV, "wav.scp:spk2-u1", Kind.NOT_MONO, "2 channels, expected mono", True),
    Corruption("nan_audio", _NAN_WAV, "wav.scp:spk1-u2", Kind.AUDIO_UNREADABLE, "sample 1234 is not a finite", True),
    Corruption("empty_audio", _EMPTY_WAV, "wav.scp:spk2-u1", Kind.AUDIO_UNREADABLE, "no samples", True),
    Corruption("path_in_key", _PATH_KEY, "text:spk2/../../pwned", Kind.UNSAFE_KEY, "path separator", True),
    Corruption("pipe_command", _PIPE_COMMAND, "wav.scp:spk1-u1", Kind.AUDIO_MISSING, "Kaldi pipe command", True),
    Corruption("directory", _DIRECTORY, "wav.scp:spk2-u2", Kind.AUDIO_MISSING, "is a directory", True),
    Corruption("link_loop", _LINK_LOOP, "wav.scp:spk1-u2", Kind.AUDIO_MISSING, "is a symbolic link loop", True),
    Corruption("empty_text", _EMPTY_TEXT, "text:spk1-u2", Kind.EMPTY_TEXT, "empty transcript", True),
    Corruption("spk2utt", _MOVE_SPEAKER, "spk2utt:spk2", Kind.SPEAKER_MISMATCH, "lists spk1-u2, which utt2spk", False),
    Corruption("non_utf8_text", _LATIN1_TEXT, "text:spk2-u2", Kind.NOT_UTF8, "line 4 is not valid UTF-8", True),
    Corruption("control_char", _BELL_IN_TEXT, "text:spk2-u1", Kind.NOT_PRINTABLE, "character U+0007", True),
    Corruption("no_intent", _NO_INTENT, "utt2intent:spk1-u1", Kind.MISSING_ENTRY, "no entry", True),
    Corruption("bad_intent", _TWO_SLOTS, "utt2intent:spk2-u2", Kind.MALFORMED, "not action|object|location", True),
    Corruption("bad_durations", _FRAMES_OFF, "durations:spk1-u2", Kind.MALFORMED, "up to 13 frames", True),
]
