"""Fluent Speech Commands: ``ROOT/data/{train,valid,test}_data.csv`` to ``OUT/{train,valid,test}``.

Each data dir gets wav.scp, text (normalized words), utt2spk, spk2utt and utt2intent (``action|object|location``).
The CSVs are read by header name, so column order, extra columns, quoting and absolute or relative audio paths
do not matter; speaker ids are sanitized into Kaldi-safe keys that prefix the utterance ids.
"""

from __future__ import annotations

import csv
from pathlib import Path

from speechkit.corpora.common import corpus_root, resolve_audio
from speechkit.data.datadir import Utterance, sanitize_id, utt_id, write_data_dir
from speechkit.data.text import normalize_words
from speechkit.errors import SpeechkitError

SPLITS = ("train", "valid", "test")
COLUMNS = ("path", "speakerId", "transcription", "action", "object", "location")


def read_split(root: Path, split: str) -> list[Utterance]:
    """Parse one split's CSV; any malformed row is a :class:`SpeechkitError` naming the file and line."""
    path = root / "data" / f"{split}_data.csv"
    if not path.is_file():
        raise SpeechkitError(path, "FSC split file not found")
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f, strict=True)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise SpeechkitError(path, f"header lacks column(s) {', '.join(missing)}")
            return [_utterance(root, row, f"{path}:{reader.line_num}") for row in reader]
    except UnicodeDecodeError as e:
        raise SpeechkitError(path, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    except csv.Error as e:
        raise SpeechkitError(path, f"malformed CSV: {e}") from None


def _utterance(root: Path, row: dict[str, str | None], where: str) -> Utterance:
    values = {c: row.get(c) for c in COLUMNS}
    empty = [c for c, v in values.items() if v is None or not v.strip()]
    if empty:
        raise SpeechkitError(where, f"row is missing {', '.join(empty)} (truncated or malformed line?)")
    text = normalize_words(values["transcription"])
    if not text:
        raise SpeechkitError(where, f"transcription {values['transcription']!r} has no words")
    spk = sanitize_id(values["speakerId"])
    intent = "|".join(values[c].strip() for c in ("action", "object", "location"))
    return Utterance(
        utt=utt_id(spk, Path(values["path"]).stem),
        spk=spk,
        wav=resolve_audio(root, values["path"], where),
        text=text,
        extra={"utt2intent": intent},
    )


def prepare_fsc(root: str | Path, out: str | Path) -> dict[str, int]:
    """Write ``out/{train,valid,test}``; every CSV is parsed before anything is written."""
    root = corpus_root(root)
    splits = {split: read_split(root, split) for split in SPLITS}
    return {split: write_data_dir(Path(out) / split, utts) for split, utts in splits.items()}
