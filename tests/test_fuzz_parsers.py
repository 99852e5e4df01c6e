"""Property-based fuzzing of every parser of user files: any input gives a result or a SpeechkitError.

Inputs are a valid example of each format mutated by hypothesis (bytes cut, repeated, replaced, inserted), plus
arbitrary bytes; a parser that raises anything else on one of them would show a user a traceback. Parsers that
name files by utterance id must also never yield an id that is unsafe as a file name.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from speechkit.config import load_config
from speechkit.corpora import cvss, fsc, ljspeech
from speechkit.data.table import is_safe_key, read_table
from speechkit.data.textgrid import read_alignment
from speechkit.data.validate import read_checked
from speechkit.errors import SpeechkitError
from speechkit.lm.arpa import read_arpa
from speechkit.train.tasks import TASKS

EXAMPLES = 300  # per parser: 9 parsers take about 15 s on this 2-core box (3,000 each found nothing either)

TEXTGRID = b"""File type = "ooTextFile"
Object class = "TextGrid"

0
1
<exists>
2
"IntervalTier"
"words"
0
1
2
0
0.5
"hello"
0.5
1
"world"
"IntervalTier"
"phones"
0
1
3
0
0.2
"HH"
0.2
0.5
"OW1"
0.5
1
"D"
"""
ARPA = b"""\\data\\
ngram 1=4
ngram 2=2

\\1-grams:
-1.0\t<unk>\t0
-0.5\t<s>\t-0.3
-0.7\t</s>\t0
-0.6\thello\t-0.2

\\2-grams:
-0.2\t<s> hello
-0.3\thello </s>

\\end\\
"""
FSC_CSV = (b",path,speakerId,transcription,action,object,location\n"
           b"0,wavs/speakers/s1/a.wav,s1,Turn on the lights,activate,lights,none\n"
           b'1,wavs/speakers/s1/b.wav,s1,"Lights, off",deactivate,lights,kitchen\n')
LJ_METADATA = b"LJ001-0001|Printing, in the only sense|Printing, in the only sense\nLJ001-0002|in being 1|in being one\n"
CVSS_TSV = b"common_voice_es_1.mp3\thello there\ncommon_voice_es_2.mp3\tgood morning\n"
CV_TSV = (b"client_id\tpath\tsentence\tup_votes\tdown_votes\tage\tgender\taccent\n"
          b"abc\tcommon_voice_es_1.mp3\thola\t2\t0\t\t\t\n")
KALDI = b"spk1-u1 turn on the lights\nspk1-u2 \xc3\xa9t\xc3\xa9\nspk2-u1\n"
YAML = b"task: slu\nexp_dir: exp/slu\ntrain:\n  epochs: 2\n  lr: 0.001\n  betas: [0.9, 0.98]\nmodel:\n  encoder:\n    d_model: 64\n"


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with a few random edits, or arbitrary bytes now and then."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        end = draw(st.integers(at, min(len(data), at + 12)))
        piece = draw(st.sampled_from([b"", b"\n", b"\t", b"|", b",", b'"', b" ", b"0", b"-1e999", b"nan", b"\xff",
                                      b"../", b"\x00", b":", b"[", b"{", b"\\", data[at:end] * 2]) | st.binary(max_size=6))  # fmt: skip
        data[at:end] = piece
    return bytes(data)


def _fuzz(seed: bytes, name: str, parse: Callable[[Path], Any], check: Callable[[Any], None] = lambda _: None):
    """A hypothesis test: write the mutated ``seed`` to DIR/``name``, parse DIR, accept a result or SpeechkitError."""

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
    @given(mutated(seed))
    def run(data: bytes) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            _audio_of_the_seeds(Path(tmp))
            path = Path(tmp) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            try:
                result = parse(Path(tmp))
            except SpeechkitError:
                return
            check(result)

    run()


def _audio_of_the_seeds(root: Path) -> None:
    """The audio files the FSC and LJSpeech seeds name (empty: the parsers only check that they exist)."""
    for rel in ("wavs/speakers/s1/a.wav", "wavs/speakers/s1/b.wav", "wavs/LJ001-0001.wav", "wavs/LJ001-0002.wav"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"")


def _safe_keys(utts: list[Any]) -> None:
    assert all(is_safe_key(u.utt) for u in utts), [u.utt for u in utts]


PARSERS = {
    "textgrid": (TEXTGRID, "a.TextGrid", lambda d: read_alignment(d / "a.TextGrid"), None),
    "arpa": (ARPA, "lm.arpa", lambda d: read_arpa(d / "lm.arpa"), None),
    "fsc_csv": (FSC_CSV, "data/train_data.csv", lambda d: fsc.read_split(d, "train"), _safe_keys),
    "ljspeech_metadata": (LJ_METADATA, "metadata.csv", lambda d: ljspeech.read_metadata(d, "LJ"), _safe_keys),
    "cvss_tsv": (CVSS_TSV, "train.tsv", lambda d: cvss.read_split(d, "train"), None),
    "cv_validated_tsv": (CV_TSV, "validated.tsv", lambda d: cvss.read_validated(d), None),
    "kaldi_table": (KALDI, "text", lambda d: read_table(d / "text", allow_empty=True), None),
    "kaldi_table_lenient": (KALDI, "text", lambda d: read_checked(d / "text"), None),
    "yaml_config": (YAML, "train.yaml", lambda d: load_config(TASKS["slu"].config, d / "train.yaml"), None),
}


@pytest.mark.parametrize("parser", list(PARSERS))
def test_any_input_gives_a_result_or_one_clean_error(parser: str) -> None:
    seed, name, parse, check = PARSERS[parser]
    _fuzz(seed, name, parse, check or (lambda _: None))


@pytest.mark.parametrize("parser", list(PARSERS))
def test_the_seed_itself_parses(parser: str, tmp_path: Path) -> None:
    """The fuzzing starts from valid files: each seed parses (so mutations explore near-valid input)."""
    seed, name, parse, _ = PARSERS[parser]
    _audio_of_the_seeds(tmp_path)
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_bytes(seed)
    assert parse(tmp_path)
