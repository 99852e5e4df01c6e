"""How `speechkit decode` writes what a recognizer heard: ``text``, ``jsonl`` or NIST ``ctm``.

* ``text``: one line per utterance, tab-separated: key, then the intent for an SLU model, then the transcript;
* ``jsonl``: one JSON object per utterance: ``utt``, ``audio`` (the file), ``seconds``, ``text``, the model's other
  outputs (``intent``) and ``words`` (``word``, ``start``, ``end``, ``conf``);
* ``ctm``: one line per word, ``<utt> 1 <start> <duration> <word> <conf>`` (times in seconds), as NIST sclite and
  Kaldi's ``ctm`` files have it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from speechkit.decode.word_times import WordTime

FORMATS = ("text", "jsonl", "ctm")
FILE_NAMES = {"jsonl": "hyp.jsonl", "ctm": "ctm"}  # beside a data dir's decoded Kaldi tables


@dataclass
class Transcript:
    """What a recognizer made of one audio file; ``fields`` holds its other outputs (``{"intent": ...}``)."""

    utt: str
    audio: str
    seconds: float
    text: str
    fields: dict[str, str] = field(default_factory=dict)
    words: list[WordTime] = field(default_factory=list)


def render(transcripts: Sequence[Transcript], fmt: str) -> str:
    """``transcripts`` in format ``fmt`` (one of :data:`FORMATS`), every line newline-terminated."""
    if fmt == "text":
        lines = ["\t".join([t.utt, *t.fields.values(), t.text]) for t in transcripts]
    elif fmt == "jsonl":
        lines = [json.dumps({"utt": t.utt, "audio": t.audio, "seconds": round(t.seconds, 3), "text": t.text,
                             **t.fields, "words": [asdict(w) for w in t.words]}, ensure_ascii=False)
                 for t in transcripts]  # fmt: skip
    else:
        lines = [f"{t.utt} 1 {w.start:.3f} {w.end - w.start:.3f} {w.word} {w.conf:.3f}"
                 for t in transcripts for w in t.words]  # fmt: skip
    return "".join(line + "\n" for line in lines)
