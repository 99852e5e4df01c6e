"""A ctypes binding to eSpeak NG (from the espeakng-loader wheel) that returns audio with phone timings.

eSpeak reports, for every phoneme it renders, the exact output sample where it starts when the library is
initialized with phoneme events; those timings are the ground truth of the mini corpora's TextGrids. The C
library keeps global state, so there is one engine per process (:func:`engine`), and worker pools give each
process its own.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_EVENT_END_OF_LIST = 0
_EVENT_WORD = 1
_EVENT_PHONEME = 7
_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_INIT_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_PARAM_RATE, _PARAM_PITCH, _PARAM_RANGE = 1, 3, 4


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass(frozen=True)
class Voice:
    """An eSpeak voice: language voice name, variant (``m3``, ``f2``... or ``""``), pitch 0-100, range 0-100,
    rate in words per minute."""

    name: str = "en-us"
    variant: str = ""
    pitch: int = 50
    pitch_range: int = 50
    rate: int = 175

    @property
    def spec(self) -> str:
        return f"{self.name}+{self.variant}" if self.variant else self.name

    @classmethod
    def parse(cls, text: str) -> Voice:
        """A voice from ``NAME[+VARIANT][,pitch=P][,range=R][,rate=W]`` (``en-us+klatt4,pitch=70,rate=150``);
        unnamed settings keep their defaults. A malformed spec raises ValueError saying which part."""
        head, *settings = [part.strip() for part in text.split(",")]
        name, _, variant = head.partition("+")
        if not name:
            raise ValueError(f"voice {text!r}: no language voice name before '+' or ','")
        values = {"pitch": cls.pitch, "range": cls.pitch_range, "rate": cls.rate}
        for setting in settings:
            key, eq, value = setting.partition("=")
            if key not in values or not eq or not value.isdigit():
                raise ValueError(f"voice {text!r}: {setting!r} is not pitch=N, range=N or rate=N")
            values[key] = int(value)
        return cls(name, variant, values["pitch"], values["range"], values["rate"])


@dataclass(frozen=True)
class PhoneEvent:
    """A phoneme as eSpeak names it (stress marks included), its first sample, and the 0-based character
    offset in the input text of the word it belongs to (-1 before any word)."""

    name: str
    start: int
    word_pos: int


@dataclass
class Synthesis:
    """Int16-range float32 audio at ``sample_rate`` and the phonemes in order."""

    audio: np.ndarray
    sample_rate: int
    phones: list[PhoneEvent]


class ESpeak:
    """The process's eSpeak NG library, initialized for synchronous synthesis with phoneme events."""

    def __init__(self) -> None:
        import espeakng_loader

        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data_parent = str(Path(espeakng_loader.get_data_path()).parent).encode()
        rate = self._lib.espeak_Initialize(_OUTPUT_SYNCHRONOUS, 0, data_parent, _INIT_PHONEME_EVENTS | _INIT_DONT_EXIT)
        if rate <= 0:
            raise RuntimeError(f"eSpeak NG failed to initialize (data at {data_parent.decode()})")
        self.sample_rate = int(rate)
        self._chunks: list[np.ndarray] = []
        self._phones: list[PhoneEvent] = []
        self._word_pos = -1
        self._stale_events = False
        self._callback = _Callback(self._on_audio)  # keep a reference: C holds only the pointer
        self._lib.espeak_SetSynthCallback(self._callback)
        self._lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        self._lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]

    def _on_audio(self, wav: ctypes.POINTER(ctypes.c_short), n: int, events: ctypes.POINTER(_Event)) -> int:
        if n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while events[i].type != _EVENT_END_OF_LIST:
            ev = events[i]
            if ev.type == _EVENT_WORD:
                self._word_pos = ev.text_position - 1
            elif ev.type == _EVENT_PHONEME:
                name = ev.id.string.decode("ascii", errors="replace")
                self._phones.append(PhoneEvent(name, ev.sample, self._word_pos))
            i += 1
        return 0

    def phonemize(self, text: str, voice: Voice = Voice()) -> list[str]:
        """eSpeak's phoneme names for ``text`` read on its own (words run together, as eSpeak groups them)."""
        self._set_voice(voice)
        buf = ctypes.create_string_buffer(text.encode("utf-8"))
        ptr = ctypes.c_void_p(ctypes.addressof(buf))
        names: list[str] = []
        self._stale_events = True
        while ptr.value:
            out = self._lib.espeak_TextToPhonemes(ctypes.byref(ptr), _CHARS_UTF8, ord("|") << 8)
            names += out.decode("utf-8").replace(" ", "|").split("|")
        return [n for n in names if n]

    def _set_voice(self, voice: Voice) -> None:
        if self._lib.espeak_SetVoiceByName(voice.spec.encode()) != 0:
            raise ValueError(f"eSpeak NG has no voice {voice.spec!r}")
        for param, value in ((_PARAM_RATE, voice.rate), (_PARAM_PITCH, voice.pitch), (_PARAM_RANGE, voice.pitch_range)):
            self._lib.espeak_SetParameter(param, int(value), 0)

    def synth(self, text: str, voice: Voice = Voice(), seed: int = 0) -> Synthesis:
        """Render ``text`` with ``voice``; phone ``word_pos`` values index into ``text``'s characters.

        ``seed`` fixes eSpeak's random source (some voices add random noise, seeded from the clock otherwise).
        """
        self._set_voice(voice)
        if self._stale_events:
            # TextToPhonemes leaves events queued that make the next synthesis drop its first phoneme events;
            # a throwaway synthesis flushes them
            self._render(".")
            self._stale_events = False
        self._lib.espeak_ng_SetRandSeed(ctypes.c_long(seed))
        self._render(text)
        audio = np.concatenate(self._chunks).astype(np.float32) if self._chunks else np.zeros(0, np.float32)
        return Synthesis(audio / 32768.0, self.sample_rate, self._phones)

    def _render(self, text: str) -> None:
        self._chunks, self._phones, self._word_pos = [], [], -1
        data = text.encode("utf-8")
        self._lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        self._lib.espeak_Synchronize()


_ENGINE: ESpeak | None = None


def engine() -> ESpeak:
    """This process's engine, created on first use."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = ESpeak()
    return _ENGINE
