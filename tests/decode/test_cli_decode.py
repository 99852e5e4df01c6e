"""`speechkit decode`: tuning alpha/beta on valid and reusing them on test, one-line errors, and everyday use:
unlabelled data dirs, loose audio files and folders, jsonl and ctm output with word times."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from speechkit.data.audio import read_audio, resample
from speechkit.data.table import read_table


@pytest.fixture(scope="module")
def recipe(slu_with_lm: Path) -> Path:
    return slu_with_lm


def test_tune_on_valid_then_decode_test_with_the_winner(recipe: Path, cli) -> None:
    exp, data = recipe / "exp" / "slu", recipe / "data"
    res = cli("decode", "--model", exp, "--data", data / "valid", "--lm", recipe / "lm.arpa", "--tune",
              "--alphas", "0,1", "--betas", "0,2", "--nj", "2")  # fmt: skip
    assert res.returncode == 0, res.stderr
    tune = json.loads((exp / "decode_valid_tune" / "tune.json").read_text())
    assert [(p["alpha"], p["beta"]) for p in tune["grid"]] == [(0, 0), (0, 2), (1, 0), (1, 2)]
    assert tune["best"] in tune["grid"] and "best alpha=" in res.stdout and "WER" in res.stdout
    hyps = read_table(exp / "decode_valid_tune" / "text", allow_empty=True)
    assert set(hyps) == set(read_table(data / "valid" / "text"))

    tuned = exp / "decode_valid_tune" / "tune.json"
    res = cli("decode", "--model", exp, "--data", data / "test", "--lm", recipe / "lm.arpa",
              "--alpha-beta-from", tuned, "--nbest", "2", "--beam", "4")  # fmt: skip
    assert res.returncode == 0, res.stderr
    best = tune["best"]
    assert f"alpha={best['alpha']:g} beta={best['beta']:g}" in res.stdout
    out = exp / "decode_test_lm"
    utts = set(read_table(data / "test" / "text"))
    assert set(read_table(out / "text", allow_empty=True)) == utts
    assert {k.rsplit("-", 1)[0] for k in read_table(out / "nbest", allow_empty=True)} == utts
    greedy = cli("decode", "--model", exp, "--data", data / "test")
    assert greedy.returncode == 0, greedy.stderr
    assert read_table(out / "utt2intent") == read_table(exp / "decode_test" / "utt2intent")  # intents: same head


@pytest.mark.parametrize("case", ["malformed", "binary", "other_words", "alpha", "nj0", "nj_negative"])
def test_bad_lm_inputs_are_one_error_line(recipe: Path, tmp_path: Path, case: str, cli, uniform_lm) -> None:
    lm = recipe / "lm.arpa"
    extra: list[str] = []
    if case == "malformed":
        lm = tmp_path / "bad.arpa"
        lm.write_text("\\data\\\nngram 1=2\n\n\\1-grams:\n-1\t<s>\n")
    elif case == "binary":  # KenLM's own error quotes these bytes and fails to decode them (was a traceback)
        lm = tmp_path / "model.bin"
        lm.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes([0xD4, 0x28, 0xFF, 0x0B]) * 64)
    elif case.startswith("nj"):
        extra = ["--nj", "0" if case == "nj0" else "-3"]
    elif case == "other_words":
        lm = uniform_lm(["bonjour", "merci"], tmp_path / "fr.arpa")
    else:
        extra = ["--alpha", "12"]
    res = cli("decode", "--model", recipe / "exp" / "slu", "--data", recipe / "data" / "test", "--lm", lm,
              "--out", tmp_path / "out", *extra)  # fmt: skip
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    expected = {
        "malformed": f"error: {lm}: not a readable ARPA or KenLM binary file",
        "other_words": f"error: {lm}: the LM knows none of the",
        "alpha": "error: LM weight alpha=12 is out of range: use 0 <= alpha <= 10",
        "binary": f"error: {lm}: not a readable ARPA or KenLM binary file: it starts with binary data",
        "nj0": "error: --nj is the number of jobs: at least 1, got 0",
        "nj_negative": "error: --nj is the number of jobs: at least 1, got -3",
    }[case]
    assert res.stderr.startswith(expected), res.stderr
    assert not (tmp_path / "out" / "text").exists()


def test_unlabelled_data_dir_decodes_and_says_there_is_nothing_to_score(recipe: Path, tmp_path: Path, cli) -> None:
    exp, test = recipe / "exp" / "slu", recipe / "data" / "test"
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(test / "wav.scp", bare / "wav.scp")
    labelled = cli("decode", "--model", exp, "--data", test, "--out", tmp_path / "labelled")
    res = cli("decode", "--model", exp, "--data", bare, "--out", tmp_path / "out")
    assert labelled.returncode == 0 and res.returncode == 0, res.stderr
    assert res.stderr.count("has no text") == 1 and "has no text" not in labelled.stderr
    assert read_table(tmp_path / "out" / "utt2intent") == read_table(tmp_path / "labelled" / "utt2intent")
    assert set(read_table(tmp_path / "out" / "text", allow_empty=True)) == set(read_table(test / "wav.scp"))


@pytest.fixture(scope="module")
def audio_folder(recipe: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Four test utterances as loose files: two wavs in nested folders, one FLAC resampled to 8 kHz, one MP3; and the
    key each file gets -> its utterance id."""
    folder = tmp_path_factory.mktemp("audio")
    wavs = list(read_table(recipe / "data" / "test" / "wav.scp").items())[:4]
    (folder / "day 1").mkdir()
    (folder / "day 1" / "a").mkdir()
    shutil.copy(wavs[0][1], folder / "day 1" / "a" / "one.wav")
    shutil.copy(wavs[1][1], folder / "two.WAV")
    sf.write(folder / "three.flac", resample(read_audio(wavs[2][1]), sf.info(wavs[2][1]).samplerate, 8000), 8000)
    sf.write(folder / "four.mp3", read_audio(wavs[3][1]), sf.info(wavs[3][1]).samplerate, format="MP3")
    (folder / "notes.txt").write_text("not audio")
    return folder, {"day_1_a_one": wavs[0][0], "two": wavs[1][0], "three": wavs[2][0], "four": wavs[3][0]}


def test_audio_folder_and_file_print_key_intent_and_transcript(recipe: Path, audio_folder, tmp_path: Path,
                                                               cli) -> None:  # fmt: skip
    folder, keys = audio_folder
    exp = recipe / "exp" / "slu"
    assert cli("decode", "--model", exp, "--data", recipe / "data" / "test", "--out", tmp_path / "ref").returncode == 0
    intents = read_table(tmp_path / "ref" / "utt2intent")
    res = cli("decode", "--model", exp, "--audio", folder)
    assert res.returncode == 0, res.stderr
    rows = [line.split("\t") for line in res.stdout.splitlines()]
    assert [r[0] for r in rows] == ["day_1_a_one", "four", "three", "two"] and all(len(r) == 3 for r in rows)
    lossless = ("day_1_a_one", "two")  # the same samples as the data dir's: the same intents
    assert {r[0]: r[1] for r in rows if r[0] in lossless} == {k: intents[keys[k]] for k in lossless}
    assert "1 file(s) at 8000 Hz resampled" in res.stderr
    one = cli("decode", "--model", exp, "--audio", folder / "two.WAV", "--out", tmp_path / "two.txt")
    assert one.returncode == 0 and one.stdout == "", one.stderr
    assert (tmp_path / "two.txt").read_text() == "\t".join(rows[3]) + "\n"


def _durations(audio: list[str]) -> dict[str, float]:
    return {a: (info := sf.info(a)).frames / info.samplerate for a in audio}


def test_jsonl_and_ctm_word_times_lie_in_the_audio_in_order(recipe: Path, audio_folder, tmp_path: Path,
                                                            cli) -> None:  # fmt: skip
    """A word bonus makes the one-epoch model's beam search say words, so there are times to check."""
    folder, _ = audio_folder
    exp, lm = recipe / "exp" / "slu", recipe / "lm.arpa"
    res = cli("decode", "--model", exp, "--audio", folder, "--lm", lm, "--beta", "8", "--format", "jsonl",
              "--out", tmp_path / "hyp.jsonl")  # fmt: skip
    assert res.returncode == 0, res.stderr
    records = [json.loads(line) for line in (tmp_path / "hyp.jsonl").read_text().splitlines()]
    assert len(records) == 4 and all(r["words"] for r in records)
    seconds = _durations([r["audio"] for r in records])
    for r in records:
        assert r["text"] == " ".join(w["word"] for w in r["words"]) and r["intent"].count("|") == 2
        assert abs(r["seconds"] - seconds[r["audio"]]) < 1e-3
        ends = [(w["start"], w["end"]) for w in r["words"]]
        assert all(0 <= s <= e <= r["seconds"] for s, e in ends) and ends == sorted(ends)
        assert all(e1 <= s2 for (_, e1), (s2, _) in zip(ends, ends[1:])) and all(0 <= w["conf"] <= 1 for w in r["words"])

    data = recipe / "data" / "test"
    res = cli("decode", "--model", exp, "--data", data, "--lm", lm, "--beta", "8", "--format", "ctm",
              "--out", tmp_path / "dec")  # fmt: skip
    assert res.returncode == 0, res.stderr
    text = read_table(tmp_path / "dec" / "text", allow_empty=True)
    utt2dur = {k: float(v) for k, v in read_table(data / "utt2dur").items()}
    ctm: dict[str, list[tuple[float, float, str]]] = {}
    for line in (tmp_path / "dec" / "ctm").read_text().splitlines():
        utt, channel, start, dur, word, conf = line.split()
        assert channel == "1" and float(dur) >= 0 and 0 <= float(conf) <= 1
        ctm.setdefault(utt, []).append((float(start), float(start) + float(dur), word))
    assert set(ctm) == set(text)
    for utt, words in ctm.items():
        assert " ".join(w for _, _, w in words) == text[utt]
        assert words == sorted(words) and words[-1][1] <= utt2dur[utt] + 1e-3


@pytest.mark.parametrize("case", ["both", "neither", "format", "tune", "missing", "empty", "out_dir", "too_long"])
def test_everyday_decode_errors_are_one_line(recipe: Path, audio_folder, tmp_path: Path, case: str, cli) -> None:
    folder, _ = audio_folder
    (tmp_path / "empty").mkdir()
    if case == "too_long":  # 10 minutes: refused from its header, before anything is read or computed
        sf.write(tmp_path / "long.wav", np.zeros(600 * 16000, dtype=np.int16), 16000)
    args = {
        "both": ["--data", recipe / "data" / "test", "--audio", folder],
        "neither": [],
        "format": ["--audio", folder, "--format", "srt"],
        "tune": ["--audio", folder, "--lm", recipe / "lm.arpa", "--tune"],
        "missing": ["--audio", tmp_path / "nope.wav"],
        "empty": ["--audio", tmp_path / "empty"],
        "out_dir": ["--audio", folder, "--out", tmp_path],
        "too_long": ["--audio", tmp_path / "long.wav"],
    }[case]
    res = cli("decode", "--model", recipe / "exp" / "slu", *args)
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1 and res.stdout == "", res.stderr
    expected = {
        "both": "give exactly one of --data and --audio", "neither": "give exactly one of --data and --audio",
        "format": "--format takes text, jsonl, ctm, not 'srt'", "tune": "--tune needs a validation data dir",
        "missing": f"{tmp_path / 'nope.wav'}: audio file or folder not found",
        "empty": f"{tmp_path / 'empty'}: holds no audio files", "out_dir": f"{tmp_path}: is a directory",
        "too_long": f"{tmp_path / 'long.wav'}: is 600 s long; one utterance may last at most 300 s",
    }[case]  # fmt: skip
    assert expected in res.stderr, res.stderr


def test_nj_beyond_the_utterances_starts_one_job_each_and_says_so(recipe: Path, tmp_path: Path, cli) -> None:
    data = recipe / "data" / "test"
    n = len(read_table(data / "wav.scp"))
    res = cli("decode", "--model", recipe / "exp" / "slu", "--data", data, "--lm", recipe / "lm.arpa", "--nj", "1000",
              "--out", tmp_path / "out")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert f"note: --nj 1000 is more than the {n} utterances: {n} jobs" in res.stderr
    assert len(read_table(tmp_path / "out" / "text", allow_empty=True)) == n


def test_decode_nj_killed_midway_reruns_to_the_same_output(recipe: Path, tmp_path: Path, cli,
                                                           killed_then_rerun) -> None:  # fmt: skip
    args = ["decode", "--model", recipe / "exp" / "slu", "--data", recipe / "data" / "test", "--lm",
            recipe / "lm.arpa", "--nj", "2", "--nbest", "3", "--format", "ctm"]  # fmt: skip
    t0 = time.perf_counter()
    assert cli(*args, "--out", tmp_path / "a").returncode == 0
    res, killed = killed_then_rerun([*args, "--out", tmp_path / "b"], tmp_path / "b",
                                    at=(time.perf_counter() - t0) * 0.7)  # fmt: skip
    assert killed and res.returncode == 0, res.stderr
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files and files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    for f in files:
        if f.name != "decode.json" and f.parts[0] != "log":  # timings differ
            assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def test_a_search_goes_chunk_by_chunk_to_the_same_output(recipe: Path, tmp_path: Path, monkeypatch) -> None:
    """Log-probabilities are held one chunk of audio at a time; each utterance its own chunk changes no transcript
    (the encoder's output does not depend on the padding of its batch; scores keep float rounding's last digits)."""
    from speechkit.decode import recognize
    from speechkit.decode.beam_search import SearchOptions

    exp, data = recipe / "exp" / "slu", recipe / "data" / "test"
    search = recognize.lm_search(exp, recipe / "lm.arpa", SearchOptions(beam=8, beta=8.0, nbest=2))
    whole = recognize.decode_data_dir(exp, data, tmp_path / "whole", search=search, fmt="ctm")
    calls = []
    run = recognize.run_recognizer
    monkeypatch.setattr(recognize, "run_recognizer", lambda *a, **k: calls.append(len(a[1])) or run(*a, **k))
    monkeypatch.setattr(recognize, "CHUNK_SECONDS", 1e-6)
    chunked = recognize.decode_data_dir(exp, data, tmp_path / "chunked", search=search, fmt="ctm")
    assert calls == [1] * whole["n_utts"] and chunked["audio_s"] == whole["audio_s"]
    for name in ("text", "utt2intent"):
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "chunked" / name).read_bytes(), name
    ctm = [[line.rsplit(" ", 1)[0] for line in (tmp_path / d / "ctm").read_text().splitlines()]
           for d in ("whole", "chunked")]  # fmt: skip
    assert ctm[0] == ctm[1] and ctm[0]  # the same words at the same times (confidences to float rounding)
    a, b = (read_table(tmp_path / d / "nbest") for d in ("whole", "chunked"))
    assert list(a) == list(b) and len(a) == 2 * whole["n_utts"]
    for key in a:
        (score_a, text_a), (score_b, text_b) = (x.split(" ", 1) for x in (a[key], b[key]))
        assert text_a == text_b and abs(float(score_a) - float(score_b)) < 1e-3, key
