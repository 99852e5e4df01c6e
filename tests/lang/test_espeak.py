"""The eSpeak binding and the ARPAbet map behind the ground-truth TextGrids."""

from __future__ import annotations

import pytest

from speechkit.lang.arpabet import to_arpabet
from speechkit.lang.espeak import Voice, engine
from speechkit.mini.ljspeech import load_sentences


def test_synth_returns_audio_and_ordered_phone_events() -> None:
    syn = engine().synth("The quick brown fox.", Voice("en-us"))
    assert syn.sample_rate == 22050
    assert 0.8 < len(syn.audio) / syn.sample_rate < 3.0
    starts = [p.start for p in syn.phones]
    assert starts == sorted(starts) and starts[-1] <= len(syn.audio)
    names = [p.name.strip("',") for p in syn.phones]
    assert names[:2] == ["D", "@2"]  # "the" before a consonant


def test_phone_event_marks_the_start_of_sound() -> None:
    syn = engine().synth("Hello.", Voice("en-us"))
    first = syn.phones[0].start
    assert abs(syn.audio[:first]).max() == 0.0  # silence before the first phoneme
    assert abs(syn.audio[first : first + 400]).max() > 0.0


def test_unknown_voice_is_an_error() -> None:
    with pytest.raises(ValueError, match="no voice"):
        engine().synth("hello", Voice("xx-nonexistent"))


def test_arpabet_map_covers_every_phoneme_of_the_bundled_sentences() -> None:
    espeak, seen, unmapped = engine(), set(), set()
    for _, normalized in load_sentences()[::5]:
        for name in espeak.phonemize(normalized.replace("-", " ")):
            if not name.startswith("_"):
                seen.add(name)
                try:
                    to_arpabet(name)
                except KeyError:
                    unmapped.add(name)
    assert len(seen) > 40 and not unmapped


def test_arpabet_stress_split_and_merge() -> None:
    assert to_arpabet("'oU") == ["OW1"]
    assert to_arpabet(",aI") == ["AY2"]
    assert to_arpabet("@") == ["AH0"]
    assert to_arpabet("'A@") == ["AA1", "R"]
    assert to_arpabet(";") == []
    with pytest.raises(KeyError, match="no ARPAbet rule"):
        to_arpabet("Q!")


def test_phonemize_does_not_eat_the_next_synthesis_first_word() -> None:
    espeak, voice = engine(), Voice("en-us")
    for _ in range(40):  # TextToPhonemes calls queue events that once swallowed the next utterance's first word
        espeak.phonemize("stop", voice)
    names = [p.name.strip("',") for p in espeak.synth("The quick brown fox.", voice).phones]
    assert names[:2] == ["D", "@2"]
