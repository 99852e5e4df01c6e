"""Segments to frames per token (the one rule), and importing MFA TextGrids into a data directory."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from textgrid_texts import PHONES, PHONES_MFA1, TOKENS, UTT, WORDS, WORDS_MFA1, one_utterance, textgrid_text

from speechkit.align.durations import (
    SIL,
    TTS_HOP_LENGTH,
    TTS_SAMPLE_RATE,
    EdgeSilence,
    ImportSummary,
    Spn,
    import_durations,
    segments_to_durations,
    time_to_frame,
)
from speechkit.data.audio import write_audio
from speechkit.data.datadir import Utterance, write_data_dir
from speechkit.data.table import read_table, write_table
from speechkit.data.textgrid import SILENCE_LABELS, Segment
from speechkit.data.validate import validate_data_dir
from speechkit.errors import SpeechkitError

N_FRAMES = TTS_SAMPLE_RATE // TTS_HOP_LENGTH  # 1 s of audio at the TTS mel setting
DURATIONS = [9, 8, 9, 7, 6, 8, 9, 9, 6, 7, 8]  # boundaries round(t * 22050 / 256) of PHONES' starts, then 86

FORMATS = {
    "mfa3-long": textgrid_text({"words": WORDS, "phones": PHONES}),
    "mfa3-short": textgrid_text({"words": WORDS, "phones": PHONES}, short=True),
    "mfa1-long-gaps": textgrid_text({"words": WORDS_MFA1, "phones": PHONES_MFA1}),
    "mfa1-short-gaps": textgrid_text({"words": WORDS_MFA1, "phones": PHONES_MFA1}, short=True),
    "speaker-prefixed": textgrid_text({"spk1 - words": WORDS, "spk1 - phones": PHONES}),
}


def _segments(tier: list[tuple[float, float, str]]) -> list[Segment]:
    return [Segment(*t) for t in tier]


def _durations(data: Path) -> list[int]:
    return [int(d) for d in read_table(data / "durations")[UTT].split()]


def test_docstring_example_and_rounding() -> None:
    segs = [Segment(0, 0.2, ""), Segment(0.2, 0.5, "HH"), Segment(0.5, 1.0, "AY1")]
    assert segments_to_durations(segs, 86).frames == [17, 26, 43]
    assert segments_to_durations(_segments(PHONES), N_FRAMES).frames == DURATIONS
    assert time_to_frame(2.5 * 256 / 22050, 86, 22050, 256) == 3  # halves round up
    assert time_to_frame(2.49 * 256 / 22050, 86, 22050, 256) == 2
    assert time_to_frame(-0.01, 86, 22050, 256) == 0 and time_to_frame(1.2, 86, 22050, 256) == 86  # clipped


@pytest.mark.parametrize(("sample_rate", "hop"), [(22050, 256), (16000, 160), (24000, 300)])
def test_durations_always_add_up_and_keep_every_phone(sample_rate: int, hop: int) -> None:
    rng = random.Random(sample_rate)
    for _ in range(300):
        n_frames = rng.randint(1, 400)
        length = n_frames * hop / sample_rate * rng.uniform(0.98, 1.02)  # within about a hop of the audio
        cuts = sorted(rng.uniform(0, length) for _ in range(rng.randint(0, 40)))
        times = [0.0, *cuts, length]
        labels = [rng.choice(["", "sil", "sp", "AA1", "B", "spn", "IH0"]) for _ in times[1:]]
        segs = [Segment(a, b, label) for a, b, label in zip(times, times[1:], labels)]
        keep = segments_to_durations(segs, n_frames, sample_rate, hop)
        trim = segments_to_durations(segs, n_frames, sample_rate, hop, EdgeSilence.trim)
        assert sum(keep.frames) == n_frames and (keep.first, keep.end) == (0, n_frames)
        assert sum(trim.frames) == trim.end - trim.first and 0 <= trim.first <= trim.end <= n_frames
        assert [t for t in keep.tokens if t != SIL] == [s for s in labels if s not in SILENCE_LABELS]
        assert all(not (a == b == SIL) for a, b in zip(keep.tokens, keep.tokens[1:]))  # silences merged
        assert all(f > 0 for t, f in zip(keep.tokens, keep.frames) if t == SIL)
        assert keep.zero_length == sum(1 for t, f in zip(keep.tokens, keep.frames) if f == 0)
        assert SIL not in (trim.tokens[:1] + trim.tokens[-1:])


def test_zero_length_phones_are_kept_and_counted(tmp_path: Path) -> None:
    phones = [*PHONES[:3], (0.3, 0.301, "L"), (0.301, 0.45, "OW1"), *PHONES[5:]]  # L inside one frame
    data = one_utterance(tmp_path, textgrid_text({"words": WORDS, "phones": phones}))
    summary = import_durations(data, tmp_path / "tg")
    assert summary.zero_length == 1 and "1 zero-length phones" in str(summary)
    assert _durations(data)[3] == 0 and sum(_durations(data)) == N_FRAMES
    assert read_table(data / "phones")[UTT] == " ".join(TOKENS)


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_gives_the_same_durations(tmp_path: Path, name: str) -> None:
    data = one_utterance(tmp_path, FORMATS[name])
    summary = import_durations(data, tmp_path / "tg")
    assert read_table(data / "phones") == {UTT: " ".join(TOKENS)}
    assert _durations(data) == DURATIONS and sum(DURATIONS) == N_FRAMES
    assert read_table(data / "frame_range") == {UTT: f"0 {N_FRAMES}"}
    assert summary == ImportSummary(utterances=1, tokens=11, zero_length=0, silence_frames=25, frames=N_FRAMES)
    assert str(summary) == "1 utterances, 11 tokens, 0 zero-length phones, 29.1% of frames silence"


def test_trim_drops_edge_silence_and_writes_the_frame_range(tmp_path: Path) -> None:
    data = one_utterance(tmp_path, FORMATS["mfa3-long"])
    import_durations(data, tmp_path / "tg", edge_silence=EdgeSilence.trim)
    assert read_table(data / "phones")[UTT].split() == TOKENS[1:-1]
    assert _durations(data) == DURATIONS[1:-1]
    first, end = map(int, read_table(data / "frame_range")[UTT].split())
    assert (first, end) == (9, 78) and sum(_durations(data)) == end - first
    import_durations(data, tmp_path / "tg", edge_silence="keep")  # back to keep: the range covers everything
    assert read_table(data / "frame_range")[UTT] == f"0 {N_FRAMES}" and _durations(data) == DURATIONS


def test_audio_at_another_rate_counts_resampled_frames(tmp_path: Path) -> None:
    data = one_utterance(tmp_path, FORMATS["mfa3-long"], sample_rate=16000)
    import_durations(data, tmp_path / "tg")
    assert _durations(data) == DURATIONS  # 16000 samples resample to 22050: 86 frames again


@pytest.mark.parametrize("samples", [22050 - 200, 22050 + 200])
def test_textgrid_within_one_hop_of_the_audio_is_accepted(tmp_path: Path, samples: int) -> None:
    data = one_utterance(tmp_path, FORMATS["mfa3-long"], seconds=samples / 22050)
    import_durations(data, tmp_path / "tg")
    assert sum(_durations(data)) == samples // 256


@pytest.mark.parametrize(("seconds", "detail"), [(0.9, "longer"), (1.2, "shorter")])
def test_textgrid_and_audio_lengths_must_agree(tmp_path: Path, seconds: float, detail: str) -> None:
    data = one_utterance(tmp_path, FORMATS["mfa3-long"], seconds=seconds)
    with pytest.raises(SpeechkitError, match=f"utterance {UTT}: TextGrid ends at 1.0000 s but the audio .* at "
                                             f"{seconds:.4f} s, more than one hop") as e:  # fmt: skip
        import_durations(data, tmp_path / "tg")
    assert e.value.path == str(tmp_path / "tg" / f"{UTT}.TextGrid")
    assert not (data / "durations").exists()


def test_word_mismatch_names_the_utterance_and_word(tmp_path: Path) -> None:
    data = one_utterance(tmp_path, FORMATS["mfa1-long-gaps"], text="Hello, word!")
    with pytest.raises(SpeechkitError, match=f"utterance {UTT}: word 2 is 'word' in text but 'world' in the TextGrid"):
        import_durations(data, tmp_path / "tg")
    data = one_utterance(tmp_path, FORMATS["mfa3-short"], text="hello")
    with pytest.raises(SpeechkitError, match="word 2 is missing in text but 'world' in the TextGrid"):
        import_durations(data, tmp_path / "tg")
    assert not (data / "durations").exists()


def test_spn_is_an_error_or_a_token(tmp_path: Path) -> None:
    phones = [*PHONES[:6], (0.55, 0.9, "spn"), PHONES[-1]]
    data = one_utterance(tmp_path, textgrid_text({"words": WORDS, "phones": phones}))
    with pytest.raises(SpeechkitError, match=f"utterance {UTT}: word 'world' was aligned as spn"):
        import_durations(data, tmp_path / "tg")
    import_durations(data, tmp_path / "tg", spn=Spn.token)
    assert read_table(data / "phones")[UTT].split() == [*TOKENS[:6], "spn", "sil"]
    assert sum(_durations(data)) == N_FRAMES


def test_truncated_textgrid_is_named(tmp_path: Path) -> None:
    text = FORMATS["mfa3-long"]
    data = one_utterance(tmp_path, text[: text.index('"ER1"')])
    with pytest.raises(SpeechkitError, match="truncated TextGrid") as e:
        import_durations(data, tmp_path / "tg")
    assert e.value.path == str(tmp_path / "tg" / f"{UTT}.TextGrid")


def test_missing_textgrid_names_the_utterance(tmp_path: Path) -> None:
    data = one_utterance(tmp_path, None)
    with pytest.raises(SpeechkitError, match=f"no TextGrid for utterance {UTT}"):
        import_durations(data, tmp_path / "tg")
    with pytest.raises(SpeechkitError, match="give the folder of MFA TextGrids with --textgrids"):
        import_durations(data)


def test_textgrids_found_by_audio_name_or_textgrid_scp(tmp_path: Path) -> None:
    data = one_utterance(tmp_path, FORMATS["mfa3-long"])
    other = tmp_path / "elsewhere" / "x.TextGrid"
    other.parent.mkdir()
    (tmp_path / "tg" / f"{UTT}.TextGrid").rename(other)
    write_table(data / "textgrid.scp", {UTT: str(other)})
    import_durations(data)
    assert _durations(data) == DURATIONS
    wav = tmp_path / "wavs" / f"{UTT}.wav"
    wav.rename(wav.with_name("x.wav"))
    write_table(data / "wav.scp", {UTT: str(wav.with_name("x.wav"))})
    import_durations(data, other.parent)  # MFA names its output after the audio file
    assert _durations(data) == DURATIONS


def test_phones_out_of_order_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="out of time order"):
        segments_to_durations([Segment(0, 0.5, "AA1"), Segment(0.5, 0.9, "B"), Segment(0.2, 0.4, "C")], 86)


def _corpus(root: Path, n: int) -> Path:
    """ROOT/data with ``n`` utterances u00.. saying "hello world", each with its TextGrid in ROOT/tg."""
    utts = []
    (root / "tg").mkdir(parents=True)
    for i in range(n):
        wav = root / "wavs" / f"u{i:02d}.wav"
        write_audio(wav, np.zeros(TTS_SAMPLE_RATE, dtype=np.float32), TTS_SAMPLE_RATE)
        utts.append(Utterance(f"u{i:02d}", "u", str(wav), "hello world"))
        (root / "tg" / f"u{i:02d}.TextGrid").write_text(FORMATS["mfa3-long"], encoding="utf-8")
    write_data_dir(root / "data", utts)
    return root / "data"


def test_utterances_mfa_skipped_or_worded_otherwise_are_dropped_and_named(tmp_path: Path) -> None:
    data = _corpus(tmp_path, 40)
    (tmp_path / "tg" / "u03.TextGrid").unlink()  # MFA could not align it
    write_table(data / "text", {**read_table(data / "text"), "u07": "hello word"})  # another word: dropped
    write_table(data / "text", {**read_table(data / "text"), "u09": "hel-lo world"})  # another split: kept
    summary = import_durations(data, tmp_path / "tg")
    assert summary.utterances == 38 and summary.dropped == 2 and "2 dropped, listed in align_dropped" in str(summary)
    dropped = read_table(data / "align_dropped")
    assert list(dropped) == ["u03", "u07"] and "no TextGrid for utterance u03" in dropped["u03"]
    assert "word 2 is 'word' in text but 'world'" in dropped["u07"]
    for name in ("wav.scp", "text", "utt2spk", "durations", "phones", "frame_range"):
        assert "u03" not in read_table(data / name) and len(read_table(data / name)) == 38, name
    assert validate_data_dir(data).problems == [] and len(read_table(data / ".backup" / "wav.scp")) == 40


def test_more_dropped_than_allowed_fails_naming_the_first_and_writes_nothing(tmp_path: Path) -> None:
    data = _corpus(tmp_path, 10)
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    (tmp_path / "tg" / "u05.TextGrid").unlink()
    with pytest.raises(SpeechkitError, match=r"no TextGrid for utterance u05 .*\(1 of 10 utterances cannot be "
                                             r"imported, more than --max-dropped 0.05\)"):  # fmt: skip
        import_durations(data, tmp_path / "tg")
    assert {p.name: p.read_bytes() for p in data.iterdir()} == before
    assert import_durations(data, tmp_path / "tg", max_dropped=0.1).dropped == 1
