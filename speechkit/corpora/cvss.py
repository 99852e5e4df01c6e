"""CVSS (C or T) with its Common Voice source: ``ROOT/{train,dev,test}.tsv`` and ``CV/validated.tsv`` to data dirs.

Read (as the CVSS release and the ESPnet/SpeechBrain preparers do):

* ``ROOT/<split>.tsv``: two tab-separated columns, no header: ``<clip>.mp3`` and the normalized English
  translation; the target speech is ``ROOT/<split>/<clip>.mp3.wav``, at whatever rate the files have (all alike);
* ``CV/validated.tsv``: Common Voice's table with a header row, read by column name (``client_id``, ``path``,
  ``sentence``; other and newer columns are ignored); the source audio is ``CV/clips/<clip>.mp3``.

Written, for each split:

* ``OUT/<split>``, the source side: ``wav.scp`` (the MP3), ``text`` and ``text.<src>`` (the source transcript),
  ``text.en`` (the translation), ``wav.scp.en`` (the target speech), ``utt2spk``/``spk2utt``;
* ``OUT/<split>_en``, the target side as a data dir of its own, the same keys: ``wav.scp`` = target speech,
  ``text`` = the translation (for the aligner, the TTS and the ASR judge).

Speakers are Common Voice client ids, shortened to the shortest prefix (12 hex digits at least) that keeps them
apart; utterance ids are ``<speaker>-<clip name>``. Text is normalized by :func:`speechkit.data.text.
normalize_words` (lowercase words, punctuation removed, accents kept). MP3s are decoded by soundfile (libsndfile's
mpg123) only, and resampled by :func:`speechkit.data.audio.resample` (torchaudio's windowed-sinc filter), so
every stage hears the same samples. A row whose source clip, Common Voice entry or target wave is missing is
dropped and named (as Kaldi's fix_data_dir does); a file that does not decode, a target at another sample rate
than the others or a malformed row stops the preparation with one line naming it, before anything is written.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from speechkit.corpora.common import corpus_root, read_lines
from speechkit.data.audio import audio_info
from speechkit.data.datadir import Utterance, sanitize_id, utt_id, write_data_dir
from speechkit.data.text import normalize_words
from speechkit.errors import SpeechkitError

SPLITS = ("train", "dev", "test")
CV_COLUMNS = ("client_id", "path", "sentence")
TARGET = "en"


@dataclass
class CvssSummary:
    """Utterances written per split, and the rows dropped with why."""

    counts: dict[str, int] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Clip:
    client: str
    sentence: str


def read_validated(cv_root: Path) -> dict[str, _Clip]:
    """``CV/validated.tsv`` by clip name; a row lacking a column is an error naming the file and line."""
    path = cv_root / "validated.tsv"
    if not path.is_file():
        raise SpeechkitError(path, "Common Voice validated.tsv not found (give --source-root the Common Voice folder)")
    clips: dict[str, _Clip] = {}
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            missing = [c for c in CV_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise SpeechkitError(path, f"header lacks column(s) {', '.join(missing)}")
            for row in reader:
                empty = [c for c in CV_COLUMNS if not (row.get(c) or "").strip()]
                if empty:
                    raise SpeechkitError(f"{path}:{reader.line_num}", f"row is missing {', '.join(empty)}")
                clips[row["path"].strip()] = _Clip(row["client_id"].strip(), row["sentence"])
    except UnicodeDecodeError as e:
        raise SpeechkitError(path, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    return clips


def read_split(root: Path, split: str) -> list[tuple[str, str, str]]:
    """``(clip, translation, where)`` rows of ``ROOT/<split>.tsv``; a row without both columns is an error."""
    path = root / f"{split}.tsv"
    rows = []
    lines = read_lines(path, f"CVSS {split} table not found (give --corpus-root the CVSS folder)")
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 2 or not fields[0].strip() or not normalize_words(fields[1]):
            raise SpeechkitError(f"{path}:{lineno}", "expected '<clip>.mp3 TAB translation' with both columns")
        rows.append((fields[0].strip(), fields[1], f"{path}:{lineno}"))
    return rows


def _speaker_ids(clients: set[str]) -> dict[str, str]:
    """Each client id's shortest prefix (12 characters at least) that no other client id shares."""
    n = 12
    while len({sanitize_id(c)[:n] for c in clients}) < len(clients):
        n += 4
    return {c: sanitize_id(c)[:n] for c in clients}


def prepare_cvss(root: str | Path, cv_root: str | Path, out: str | Path, source_lang: str = "es") -> CvssSummary:
    """Write ``out/<split>`` and ``out/<split>_en`` for every split (see the module docstring); everything is read
    and checked before anything is written."""
    root, cv_root = corpus_root(root), corpus_root(cv_root)
    validated = read_validated(cv_root)
    summary = CvssSummary()
    kept: dict[str, list[tuple[str, str, str]]] = {}
    for split in SPLITS:
        kept[split] = []
        for clip, translation, where in read_split(root, split):
            source, target = cv_root / "clips" / clip, root / split / f"{clip}.wav"
            problem = next((why for why, bad in (("not in validated.tsv", clip not in validated),
                                                 ("source clip missing", not source.is_file()),
                                                 ("target wave missing", not target.is_file())) if bad), None)
            if problem:
                summary.dropped.append(f"{where}: {clip}: {problem}")
            else:
                kept[split].append((clip, translation, where))
        if not kept[split]:
            raise SpeechkitError(root / f"{split}.tsv", f"no usable rows ({len(summary.dropped)} dropped so far, "
                                 f"e.g. {summary.dropped[-1] if summary.dropped else 'none'})")  # fmt: skip
    _check_audio(root, cv_root, kept)
    speakers = _speaker_ids({validated[clip].client for rows in kept.values() for clip, _, _ in rows})
    for split, rows in kept.items():
        source_side, target_side = [], []
        for clip, translation, where in rows:
            entry = validated[clip]
            text, english = normalize_words(entry.sentence), normalize_words(translation)
            if not text:
                raise SpeechkitError(cv_root / "validated.tsv", f"{clip}: sentence {entry.sentence!r} has no words")
            spk = speakers[entry.client]
            utt = utt_id(spk, Path(clip).stem)
            target = str(root / split / f"{clip}.wav")
            extra = {f"text.{source_lang}": text, f"text.{TARGET}": english, f"wav.scp.{TARGET}": target}
            source_side.append(Utterance(utt, spk, str(cv_root / "clips" / clip), text, extra))
            target_side.append(Utterance(utt, spk, target, english))
        summary.counts[split] = write_data_dir(Path(out) / split, source_side)
        write_data_dir(Path(out) / f"{split}_{TARGET}", target_side)
    return summary


def _check_audio(root: Path, cv_root: Path, kept: dict[str, list[tuple[str, str, str]]]) -> None:
    """Every source clip and target wave must decode (headers), and the targets share one sample rate."""
    first: tuple[int, Path] | None = None
    for split, rows in kept.items():
        for clip, _, _ in rows:
            audio_info(cv_root / "clips" / clip)
            target = root / split / f"{clip}.wav"
            rate = audio_info(target).samplerate
            first = first or (rate, target)
            if rate != first[0]:
                raise SpeechkitError(target, f"sample rate {rate} Hz, while {first[1]} has {first[0]} Hz: the "
                                     "targets of a CVSS corpus share one rate")  # fmt: skip
