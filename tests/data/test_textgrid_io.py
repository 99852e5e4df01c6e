"""TextGrid reading (long and short formats, MFA 1.x and 2+/3 conventions, strict errors) and MFA-style writing."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest

from speechkit.data.textgrid import Segment, read_alignment, read_textgrid, write_textgrid
from speechkit.errors import SpeechkitError

Tiers = tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...]


def _long_textgrid(xmin: str, xmax: str, tiers: Tiers) -> str:
    """Praat's long text format of interval ``tiers`` (name, intervals of (xmin, xmax, text)), numbers as given."""
    lines = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", f"xmin = {xmin}", f"xmax = {xmax}",
             "tiers? <exists>", f"size = {len(tiers)}", "item []:"]  # fmt: skip
    for i, (name, intervals) in enumerate(tiers, 1):
        lines += [f"    item [{i}]:", '        class = "IntervalTier"', f'        name = "{name}"',
                  f"        xmin = {xmin}", f"        xmax = {xmax}",
                  f"        intervals: size = {len(intervals)}"]  # fmt: skip
        for j, (a, b, text) in enumerate(intervals, 1):
            lines += [f"        intervals [{j}]:", f"            xmin = {a}", f"            xmax = {b}",
                      f'            text = "{text}"']  # fmt: skip
    return "\n".join(lines) + "\n"


def _short_textgrid(xmin: str, xmax: str, tiers: Tiers) -> str:
    """The same in Praat's short text format: the values alone, one a line."""
    lines = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", xmin, xmax, "<exists>", str(len(tiers))]
    for name, intervals in tiers:
        lines += ['"IntervalTier"', f'"{name}"', xmin, xmax, str(len(intervals))]
        for a, b, text in intervals:
            lines += [a, b, f'"{text}"']
    return "\n".join(lines) + "\n"


# MFA 3: both tiers contiguous, silence as "" intervals.
MFA3_TIERS = (
    ("words", (("0", "0.1", ""), ("0.1", "0.45", "hello"), ("0.45", "1.0", ""))),
    ("phones", (("0", "0.1", ""), ("0.1", "0.3", "HH"), ("0.3", "0.45", "AH0"), ("0.45", "1.0", ""))),
)
MFA3_LONG = _long_textgrid("0", "1.0", MFA3_TIERS)
# The same content in Praat's short format.
MFA3_SHORT = _short_textgrid("0", "1.0", MFA3_TIERS)
# MFA 1.x: silence between words is a gap in the words tier, sil/sp (or a gap) in the phones tier.
MFA1_LONG = _long_textgrid("0.0", "1.0", (
    ("words", (("0.1", "0.45", "hello"),)),
    ("phones", (("0.0", "0.1", "sil"), ("0.1", "0.3", "HH"), ("0.3", "0.45", "AH0"), ("0.45", "0.8", "sp"))),
))  # fmt: skip

EXPECTED_WORDS = [Segment(0.0, 0.1, ""), Segment(0.1, 0.45, "hello"), Segment(0.45, 1.0, "")]


def _write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "u.TextGrid"
    path.write_text(text, encoding=encoding)
    return path


def test_mfa3_long_and_short_formats_read_the_same(tmp_path: Path) -> None:
    long = read_alignment(_write(tmp_path, MFA3_LONG))
    assert long == read_alignment(_write(tmp_path, MFA3_SHORT))
    assert (long.start, long.end) == (0.0, 1.0)
    assert long.words == EXPECTED_WORDS
    assert [p.label for p in long.phones] == ["", "HH", "AH0", ""]


def test_mfa1_gaps_become_explicit_silence_and_labels_stay(tmp_path: Path) -> None:
    a = read_alignment(_write(tmp_path, MFA1_LONG))
    assert a.words == EXPECTED_WORDS
    assert a.phones == [Segment(0.0, 0.1, "sil"), Segment(0.1, 0.3, "HH"), Segment(0.3, 0.45, "AH0"),
                        Segment(0.45, 0.8, "sp"), Segment(0.8, 1.0, "")]  # fmt: skip


def test_every_tier_is_contiguous_from_xmin_to_xmax(tmp_path: Path) -> None:
    for text in (MFA3_LONG, MFA1_LONG, MFA3_SHORT):
        tg = read_textgrid(_write(tmp_path, text))
        for segments in tg.tiers.values():
            assert segments[0].start == tg.start and segments[-1].end == tg.end
            assert all(a.end == b.start for a, b in pairwise(segments))


def test_speaker_prefixed_tiers_and_point_tiers(tmp_path: Path) -> None:
    text = MFA3_LONG.replace('"words"', '"spk1 - words"').replace('"phones"', '"spk1 - phones"')
    text = text.replace("size = 2", "size = 3") + """    item [3]:
        class = "TextTier"
        name = "events"
        xmin = 0
        xmax = 1.0
        points: size = 1
        points [1]:
            number = 0.5
            mark = "click"
"""
    a = read_alignment(_write(tmp_path, text))
    assert a.words == EXPECTED_WORDS and len(a.phones) == 4
    assert list(read_textgrid(tmp_path / "u.TextGrid").tiers) == ["spk1 - words", "spk1 - phones"]


def test_two_speakers_or_no_phones_tier_is_an_error(tmp_path: Path) -> None:
    body = MFA3_LONG.split("item []:\n", 1)[1]
    two = MFA3_LONG.replace("size = 2", "size = 4") + body.replace('"words"', '"b - words"').replace(
        '"phones"', '"b - phones"')  # fmt: skip
    with pytest.raises(SpeechkitError, match="several speakers"):
        read_alignment(_write(tmp_path, two))
    with pytest.raises(SpeechkitError, match="no words and phones tiers.*'words', 'segments'"):
        read_alignment(_write(tmp_path, MFA3_LONG.replace('"phones"', '"segments"')))


def test_utf16_file_with_non_ascii_labels(tmp_path: Path) -> None:
    a = read_alignment(_write(tmp_path, MFA3_LONG.replace('"hello"', '"héllo"'), encoding="utf-16"))
    assert a.words[1].label == "héllo"


@pytest.mark.parametrize("text", [MFA3_LONG, MFA3_SHORT], ids=["long", "short"])
def test_truncated_anywhere_is_an_error(tmp_path: Path, text: str) -> None:
    lines = text.rstrip("\n").split("\n")
    for k in range(1, len(lines)):
        path = _write(tmp_path, "\n".join(lines[:k]) + "\n")
        with pytest.raises(SpeechkitError) as e:
            read_textgrid(path)
        assert e.value.path == str(path) and e.value.problem.startswith("truncated TextGrid: the file ends where")
    cut = text.index("hello") + 3
    with pytest.raises(SpeechkitError, match=f"line {text.count(chr(10), 0, cut) + 1}: a text is not closed"):
        read_textgrid(_write(tmp_path, text[:cut]))


def test_declared_count_larger_than_the_intervals_is_an_error(tmp_path: Path) -> None:
    text = MFA3_LONG.replace("intervals: size = 3", "intervals: size = 4")
    with pytest.raises(SpeechkitError, match=r"line 28: expected the xmin of interval 4 of 4 in tier 'words'"):
        read_textgrid(_write(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no Praat header"),
        ("some words\nand more\n", "no Praat header"),
        ('{"xmin": 0, "xmax": 1.0, "tiers": []}', "not a Praat text file"),
        (MFA3_LONG.replace('"TextGrid"', '"Pitch 1"'), "a Praat 'Pitch 1', not a TextGrid"),
        (MFA3_LONG.replace("xmax = 0.3\n", "xmax = 0.35\n"), "tier 'phones': interval 'AH0' at 0.3 s overlaps"),
        (MFA3_LONG.replace("xmin = 0.3\n", "xmin = 0.5\n"), r"'AH0' ends \(0.45 s\) before it starts \(0.5 s\)"),
        (MFA3_LONG[: MFA3_LONG.rindex("xmax = 1.0")] + 'xmax = 1.5\n text = ""\n', "run to 1.5 s, past the end"),
        (MFA3_LONG + '"extra"\n', "unexpected content after the 2 tiers"),
    ],
)  # fmt: skip
def test_malformed_files_name_the_problem(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(SpeechkitError) as e:
        read_textgrid(_write(tmp_path, text))
    assert re.search(problem, e.value.problem)


def test_missing_or_binary_file(tmp_path: Path) -> None:
    with pytest.raises(SpeechkitError, match="TextGrid not found"):
        read_textgrid(tmp_path / "nope.TextGrid")
    (tmp_path / "b.TextGrid").write_bytes(b"ooBinaryFile\x08TextGrid\xff\xfe\x00")
    with pytest.raises(SpeechkitError, match="neither UTF-8 nor UTF-16"):
        read_textgrid(tmp_path / "b.TextGrid")


def _tiers_of_long_text(text: str) -> list[tuple[str, int, list[tuple[float, float, str]]]]:
    """(name, declared size, intervals) of each tier, parsed from the long format's text with plain regexes."""
    tiers = []
    for block in text.split("item [")[2:]:
        name = re.search(r'name = "(.*)"', block).group(1)
        size = int(re.search(r"intervals: size = (\d+)", block).group(1))
        found = re.findall(r'intervals \[\d+\]:\s+xmin = (\S+)\s+xmax = (\S+)\s+text = "(.*)"', block)
        tiers.append((name, size, [(float(a), float(b), label) for a, b, label in found]))
    return tiers


def test_written_file_is_mfa_style(tmp_path: Path) -> None:
    sr, duration = 22050, 33075 / 22050
    words = [Segment(2205 / sr, 9923 / sr, "hello"), Segment(15435 / sr, 26460 / sr, "zyzzyva")]
    phones = [Segment(0.0, 2205 / sr, "sil"), Segment(2205 / sr, 6615 / sr, "HH"), Segment(6615 / sr, 9923 / sr, "AH0"),
              Segment(9923 / sr, 12000 / sr, "sp"), Segment(15435 / sr, 26460 / sr, "spn")]  # fmt: skip
    path = tmp_path / "out" / "u.TextGrid"
    write_textgrid(path, words, phones, duration)
    text = path.read_text(encoding="utf-8")
    assert text.startswith('File type = "ooTextFile"\nObject class = "TextGrid"\n')
    assert re.search(r"tiers\? <exists> \nsize = 2 \n", text)
    (wname, wsize, wint), (pname, psize, pint) = _tiers_of_long_text(text)
    assert (wname, pname) == ("words", "phones")
    assert [i[2] for i in wint] == ["", "hello", "", "zyzzyva", ""] and wsize == 5
    assert [i[2] for i in pint] == ["", "HH", "AH0", "", "spn", ""] and psize == 6  # sp + gap merge into one ""
    for intervals in (wint, pint):
        assert intervals[0][0] == 0.0 and intervals[-1][1] == duration
        assert all(a[1] == b[0] for a, b in pairwise(intervals))
    back = read_alignment(path)
    assert [w for w in back.words if w.label] == words  # full float precision
    assert back.phones[4] == phones[4] and back.phones[3] == Segment(9923 / sr, 15435 / sr, "")
    assert [p.name for p in path.parent.iterdir()] == ["u.TextGrid"]  # no temporary left behind


def test_writer_refuses_overlaps_and_overruns(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="overlaps"):
        write_textgrid(tmp_path / "a.TextGrid", [Segment(0.1, 0.5, "a"), Segment(0.4, 0.8, "b")], [], 1.0)
    with pytest.raises(ValueError, match="past the end"):
        write_textgrid(tmp_path / "a.TextGrid", [Segment(0.1, 1.5, "a")], [], 1.0)
    with pytest.raises(ValueError, match="empty"):
        write_textgrid(tmp_path / "a.TextGrid", [], [Segment(0.1, 0.1, "AA1")], 1.0)
    assert not (tmp_path / "a.TextGrid").exists()
