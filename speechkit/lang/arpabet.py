"""eSpeak NG (en-us) phoneme names to CMUdict-style ARPAbet, for the mini corpora's ground-truth TextGrids.

The map, one rule per eSpeak phoneme (stress marks ``'`` and ``,`` are read first and become the vowel's
stress digit 1 or 2; unmarked vowels get 0):

* one-to-one: consonants (``T``->TH, ``D``->DH, ``S``->SH, ``Z``->ZH, ``N``->NG, ``j``->Y, ``tS``->CH,
  ``dZ``->JH, ``h``->HH; flap ``t#``, ``t2`` and glottal stop ``?`` -> T, ``x`` -> K) and vowels
  (``a``/``aa``->AE, ``A:``/``0``->AA, ``V``/``@``/``@2``/``@5``/``@-``/``a#``->AH, ``E``/``e``->EH,
  ``I``/``I2``/``I#``->IH, ``i``/``i:``->IY, ``O``/``O:``/``O2``->AO, ``U``->UH, ``u``/``u:``->UW,
  ``3``/``3:``->ER, ``aI``->AY, ``aU``->AW, ``eI``->EY, ``oU``->OW, ``OI``->OY);
* one-to-two, where eSpeak renders as one unit what CMUdict spells as two (r-coloured vowels, syllabic
  consonants): ``A@``->AA R, ``o@``/``O@``->AO R, ``e@``->EH R, ``i@``/``i@3``->IH R, ``U@``->UH R,
  ``aI@``/``aI3``->AY ER, ``aU@``->AW ER, ``@L``->AH L, ``n-``->AH N, ``m-``->AH M. The unit's time is split
  evenly between the two; that inner boundary is interpolated, not measured (:data:`SPLIT`);
* merged into the previous phone: eSpeak's linking glides ``;`` and ``r-``, which CMUdict does not write;
* silence: every name starting with ``_`` (pauses), written as an empty interval as MFA 2+ does.

An eSpeak name missing from the map is an error, never dropped.
"""

from __future__ import annotations

VOWELS = {
    "a": "AE", "aa": "AE", "A:": "AA", "0": "AA", "V": "AH", "@": "AH", "@2": "AH", "@5": "AH", "@-": "AH",
    "a#": "AH", "E": "EH", "e": "EH", "I": "IH", "I2": "IH", "I#": "IH", "i": "IY", "i:": "IY", "O": "AO",
    "O:": "AO", "O2": "AO", "U": "UH", "u": "UW", "u:": "UW", "3": "ER", "3:": "ER", "aI": "AY", "aU": "AW",
    "eI": "EY", "oU": "OW", "OI": "OY",
}  # fmt: skip
CONSONANTS = {
    "p": "P", "b": "B", "t": "T", "d": "D", "k": "K", "g": "G", "f": "F", "v": "V", "T": "TH", "D": "DH",
    "s": "S", "z": "Z", "S": "SH", "Z": "ZH", "h": "HH", "m": "M", "n": "N", "N": "NG", "l": "L", "r": "R",
    "j": "Y", "w": "W", "W": "W", "tS": "CH", "dZ": "JH", "t#": "T", "t2": "T", "?": "T", "x": "K",
}  # fmt: skip
SPLIT = {
    "A@": ("AA", "R"), "o@": ("AO", "R"), "O@": ("AO", "R"), "e@": ("EH", "R"), "i@": ("IH", "R"),
    "i@3": ("IH", "R"), "U@": ("UH", "R"), "aI@": ("AY", "ER"), "aI3": ("AY", "ER"), "aU@": ("AW", "ER"),
    "@L": ("AH", "L"), "n-": ("AH", "N"), "m-": ("AH", "M"),
}  # fmt: skip
MERGE_INTO_PREVIOUS = frozenset({";", "r-"})
ARPABET_VOWELS = frozenset(VOWELS.values())


def is_silence(name: str) -> bool:
    """eSpeak pause phonemes (``_``, ``_:``, ``_!``...)."""
    return name.startswith("_")


def to_arpabet(name: str) -> list[str]:
    """ARPAbet phones (vowels with a stress digit) for one eSpeak phoneme name; [] for merged glides.

    Raises ``KeyError`` naming the phoneme when the map has no rule for it.
    """
    stress = "1" if "'" in name else "2" if "," in name else "0"
    base = name.replace("'", "").replace(",", "")
    if base in MERGE_INTO_PREVIOUS:
        return []
    if base in CONSONANTS:
        return [CONSONANTS[base]]
    if base in VOWELS:
        return [VOWELS[base] + stress]
    if base in SPLIT:
        return [p + stress if p in ARPABET_VOWELS else p for p in SPLIT[base]]
    raise KeyError(f"no ARPAbet rule for eSpeak phoneme {name!r}")
