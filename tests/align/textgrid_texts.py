"""Write small TextGrids as MFA 1.x and 2+/3 would, in Praat's long or short format, and one-utterance data dirs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from speechkit.data.audio import write_audio
from speechkit.data.datadir import Utterance, write_data_dir

Tier = list[tuple[float, float, str]]
UTT = "spk1-u1"

# "hello world" in 1 s: silence as "" intervals, tiers contiguous (MFA 2+/3).
WORDS: Tier = [(0.0, 0.1, ""), (0.1, 0.45, "hello"), (0.45, 0.55, ""), (0.55, 0.9, "world"), (0.9, 1.0, "")]
PHONES: Tier = [(0.0, 0.1, ""), (0.1, 0.2, "HH"), (0.2, 0.3, "AH0"), (0.3, 0.38, "L"), (0.38, 0.45, "OW1"),
                (0.45, 0.55, ""), (0.55, 0.65, "W"), (0.65, 0.75, "ER1"), (0.75, 0.82, "L"), (0.82, 0.9, "D"),
                (0.9, 1.0, "")]  # fmt: skip
# The same as MFA 1.x wrote it: no silent words, sil and sp phones, and gaps.
WORDS_MFA1: Tier = [w for w in WORDS if w[2]]
PHONES_MFA1: Tier = [(0.0, 0.1, "sil"), *PHONES[1:5], (0.45, 0.5, "sp"), *PHONES[6:10]]  # 0.5-0.55, 0.9-1: gaps
TOKENS = ["sil", "HH", "AH0", "L", "OW1", "sil", "W", "ER1", "L", "D", "sil"]


def textgrid_text(tiers: dict[str, Tier], xmax: float = 1.0, short: bool = False) -> str:
    """A TextGrid's text with interval tiers as given (gaps left as gaps)."""
    lines = ['File type = "ooTextFile"', 'Object class = "TextGrid"', ""]
    if short:
        lines += ["0", str(xmax), "<exists>", str(len(tiers))]
        for name, tier in tiers.items():
            lines += ['"IntervalTier"', f'"{name}"', "0", str(xmax), str(len(tier))]
            lines += [x for a, b, label in tier for x in (str(a), str(b), f'"{label}"')]
    else:
        lines += ["xmin = 0 ", f"xmax = {xmax} ", "tiers? <exists> ", f"size = {len(tiers)} ", "item []: "]
        for i, (name, tier) in enumerate(tiers.items(), start=1):
            lines += [f"    item [{i}]:", '        class = "IntervalTier" ', f'        name = "{name}" ',
                      "        xmin = 0 ", f"        xmax = {xmax} ", f"        intervals: size = {len(tier)} "]
            for j, (a, b, label) in enumerate(tier, start=1):
                lines += [f"        intervals [{j}]:", f"            xmin = {a} ", f"            xmax = {b} ",
                          f'            text = "{label}" ']  # fmt: skip
    return "\n".join(lines) + "\n"


def one_utterance(root: Path, textgrid: str | None, text: str = "hello world", seconds: float = 1.0,
                  sample_rate: int = 22050) -> Path:
    """A data dir ROOT/data with utterance spk1-u1 (silent audio of ``seconds``) and ROOT/tg/spk1-u1.TextGrid."""
    wav = root / "wavs" / f"{UTT}.wav"
    write_audio(wav, np.zeros(round(seconds * sample_rate), dtype=np.float32), sample_rate)
    write_data_dir(root / "data", [Utterance(UTT, "spk1", str(wav), text)])
    (root / "tg").mkdir(exist_ok=True)
    if textgrid is not None:
        (root / "tg" / f"{UTT}.TextGrid").write_text(textgrid, encoding="utf-8")
    return root / "data"
