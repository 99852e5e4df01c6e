"""LJSpeech: ``ROOT/metadata.csv`` (``id|text|normalized text``) to ``OUT/{train,dev,test}``.

``text`` holds the normalized column's words. The dev and test sets are a seeded, deterministic draw of
utterance ids. With ``textgrids`` (MFA output: ``<id>.TextGrid``), each utterance's TextGrid must exist and
is listed in ``textgrid.scp`` for the duration stage.
"""

from __future__ import annotations

import random
from pathlib import Path

from speechkit.corpora.common import corpus_root, read_lines, resolve_audio
from speechkit.data.datadir import Utterance, sanitize_id, utt_id, write_data_dir
from speechkit.data.text import normalize_words
from speechkit.errors import SpeechkitError

SPLITS = ("train", "dev", "test")


def read_metadata(root: Path, speaker: str) -> list[Utterance]:
    """Parse ``metadata.csv``; a line without three ``|`` fields is an error naming the line."""
    path = root / "metadata.csv"
    lines = read_lines(path, "LJSpeech metadata.csv not found")
    utts = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = line.split("|")  # LJSpeech quotes nothing: '"' is part of the text
        where = f"{path}:{lineno}"
        if len(fields) < 3 or not fields[0].strip() or not fields[2].strip():
            raise SpeechkitError(where, "expected 'id|text|normalized text' with all three fields")
        text = normalize_words(fields[2])
        if not text:
            raise SpeechkitError(where, "normalized text has no words")
        name = fields[0].strip()
        wav = resolve_audio(root, f"wavs/{name}.wav", where)
        utts.append(Utterance(utt_id(speaker, name), speaker, wav, text))
    if not utts:
        raise SpeechkitError(path, "no utterances")
    return utts


def split_ids(ids: list[str], dev: float, test: float, seed: int) -> dict[str, set[str]]:
    """Seeded draw of dev and test ids (at least one each when there are 3+ utterances)."""
    order = sorted(ids)
    random.Random(seed).shuffle(order)
    n_test = max(1, round(test * len(order))) if len(order) >= 3 else 0
    n_dev = max(1, round(dev * len(order))) if len(order) >= 3 else 0
    return {
        "test": set(order[:n_test]),
        "dev": set(order[n_test : n_test + n_dev]),
        "train": set(order[n_test + n_dev :]),
    }


def prepare_ljspeech(root: str | Path, out: str | Path, textgrids: str | Path | None = None, speaker: str = "LJ",
                     dev: float = 0.05, test: float = 0.05, seed: int = 0) -> dict[str, int]:
    """Write ``out/{train,dev,test}``; everything is checked before anything is written."""
    root, speaker = corpus_root(root), sanitize_id(speaker)
    utts = read_metadata(root, speaker)
    if textgrids is not None:
        tg_dir = Path(textgrids)
        if not tg_dir.is_dir():
            raise SpeechkitError(tg_dir, "TextGrid directory not found")
        for u in utts:
            tg = tg_dir / f"{Path(u.wav).stem}.TextGrid"
            if not tg.is_file():
                raise SpeechkitError(tg, f"no TextGrid for utterance {u.utt}")
            u.extra["textgrid.scp"] = str(tg.resolve())
    parts = split_ids([u.utt for u in utts], dev, test, seed)
    return {s: write_data_dir(Path(out) / s, [u for u in utts if u.utt in parts[s]]) for s in SPLITS}
