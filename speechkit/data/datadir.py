"""Build and load Kaldi data directories (wav.scp, text, utt2spk, spk2utt plus task files).

Corpus preparation produces a list of :class:`Utterance` and hands it to :func:`write_data_dir`; every later stage
reads the directory back with :func:`load_data_dir`. Keeping both ends here is what makes the layout a contract.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from speechkit.data.table import byte_key, read_table, write_table
from speechkit.errors import SpeechkitError
from speechkit.utils.atomic import atomic_dir

CORE_FILES = ("wav.scp", "text", "utt2spk", "spk2utt")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class Utterance:
    """One utterance; ``extra`` maps a task file name (``utt2intent``, ``text.de``...) to this utterance's value."""

    utt: str
    spk: str
    wav: str
    text: str
    extra: dict[str, str] = field(default_factory=dict)


def sanitize_id(raw: str) -> str:
    """Make ``raw`` safe as a Kaldi key: no whitespace, no shell-hostile characters, never empty."""
    clean = _UNSAFE.sub("_", raw.strip()).strip("_")
    return clean or "unk"


def utt_id(spk: str, name: str) -> str:
    """Utterance id prefixed by its speaker id, as Kaldi's sorting contract requires (``LJ001-0001`` already is
    for speaker ``LJ``; otherwise ``<spk>-<name>``)."""
    name = sanitize_id(name)
    return name if name.startswith(spk) else f"{spk}-{name}"


def spk2utt_of(utt2spk: Mapping[str, str]) -> dict[str, str]:
    """The spk2utt table implied by ``utt2spk``: each speaker's utterances, sorted bytewise.

    Deriving spk2utt instead of keeping it by hand is how writers and ``data fix`` keep the two files in agreement.
    """
    spk2utt: dict[str, list[str]] = defaultdict(list)
    for utt in sorted(utt2spk, key=byte_key):
        spk2utt[utt2spk[utt]].append(utt)
    return {spk: " ".join(utts) for spk, utts in spk2utt.items()}


def write_data_dir(out: str | Path, utts: Iterable[Utterance]) -> int:
    """Write ``utts`` as a data directory at ``out`` atomically; return the number written.

    Raises :class:`SpeechkitError` on a repeated utterance id or a speaker id that does not prefix its utterance.
    """
    out = Path(out)
    rows: dict[str, Utterance] = {}
    for u in utts:
        if u.utt in rows:
            raise SpeechkitError(out, f"utterance id {u.utt!r} occurs twice")
        if not u.utt.startswith(u.spk):
            raise SpeechkitError(out, f"speaker id {u.spk!r} does not prefix utterance id {u.utt!r}")
        rows[u.utt] = u
    if not rows:
        raise SpeechkitError(out, "no utterances to write")
    extra_names = sorted({name for u in rows.values() for name in u.extra})
    with atomic_dir(out) as tmp:
        write_table(tmp / "wav.scp", {k: u.wav for k, u in rows.items()})
        write_table(tmp / "text", {k: u.text for k, u in rows.items()})
        write_table(tmp / "utt2spk", {k: u.spk for k, u in rows.items()})
        write_table(tmp / "spk2utt", spk2utt_of({k: u.spk for k, u in rows.items()}))
        for name in extra_names:
            write_table(tmp / name, {k: u.extra[name] for k, u in rows.items() if name in u.extra})
    return len(rows)


def load_data_dir(path: str | Path, extra: Iterable[str] = ()) -> list[Utterance]:
    """Read a data directory (strictly) in key order; ``extra`` names task files that must be present."""
    path = Path(path)
    if not path.is_dir():
        raise SpeechkitError(path, "data directory not found")
    wav = read_table(path / "wav.scp")
    text = read_table(path / "text", allow_empty=True)
    spk = read_table(path / "utt2spk")
    tables = {name: read_table(path / name) for name in extra}
    utts = []
    for key, w in wav.items():
        for name, table in (("text", text), ("utt2spk", spk), *tables.items()):
            if key not in table:
                raise SpeechkitError(path / name, f"no entry for utterance {key!r}")
        utts.append(Utterance(key, spk[key], w, text[key], {n: t[key] for n, t in tables.items()}))
    return utts


def load_audio_dir(path: str | Path) -> tuple[list[Utterance], bool]:
    """The utterances of a data directory for a trained model to run on, and whether it has transcripts.

    ``wav.scp`` is all it needs: after training, users decode audio that nobody has transcribed. When ``text`` and
    ``utt2spk`` are both there the directory is read strictly (:func:`load_data_dir`); otherwise a missing
    ``utt2spk`` means each utterance is its own speaker (Kaldi's convention) and a missing ``text`` an empty one.
    """
    path = Path(path)
    if (path / "text").is_file() and (path / "utt2spk").is_file():
        return load_data_dir(path), True
    if not path.is_dir():
        raise SpeechkitError(path, "data directory not found")
    wav = read_table(path / "wav.scp")
    text = read_table(path / "text", allow_empty=True) if (path / "text").is_file() else {}
    spk = read_table(path / "utt2spk") if (path / "utt2spk").is_file() else {}
    return [Utterance(k, spk.get(k, k), w, text.get(k, "")) for k, w in wav.items()], bool(text)


AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".opus")


def audio_utterances(path: str | Path) -> list[Utterance]:
    """One utterance per audio file: ``path`` itself, or every file under the folder ``path`` whose suffix is one of
    :data:`AUDIO_SUFFIXES` (any case), in key order.

    A file's key is its path below the folder (the file name for one file) without the suffix, made safe as a Kaldi
    key (``a/b 1.wav`` -> ``a_b_1``); it is also its speaker. Two files that map to one key are an error.
    """
    path = Path(path)
    if path.is_file():
        files = {sanitize_id(path.stem): path}
    elif path.is_dir():
        files = {}
        for f in sorted(p for p in path.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file()):
            key = sanitize_id(str(f.relative_to(path).with_suffix("")))
            if key in files:
                raise SpeechkitError(f, f"has the same utterance key {key!r} as {files[key]}")
            files[key] = f
        if not files:
            raise SpeechkitError(path, f"holds no audio files ({', '.join(AUDIO_SUFFIXES)})")
    else:
        raise SpeechkitError(path, "audio file or folder not found")
    return [Utterance(k, k, str(files[k]), "") for k in sorted(files, key=byte_key)]
