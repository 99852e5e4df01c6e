"""The Spanish-English lexicon of the mini CVSS sentences, read from ``texts/es_en_lexicon.txt``, and its morphology.

The data file holds the words, their meaning classes and every irregular form; this module holds only what is
rule-governed, so that a word added to the file inflects without code: regular Spanish present tense, gerund
and tú imperative, Spanish articles (with "el agua"), adjective agreement, English third person -s/-es/-ies,
-ing with its spelling changes, and a/an. The file's header documents its records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

PERSONS = ("1s", "2s", "3s", "1p", "3p")  # the order of Spanish present forms and of English be/do forms
_ENDINGS = {
    "ar": ("o", "as", "a", "amos", "an"),
    "er": ("o", "es", "e", "emos", "en"),
    "ir": ("o", "es", "e", "imos", "en"),
}
_FIELDS = {"noun": 7, "place": 7, "loc": 5, "goal": 3, "spatial": 4, "adj": 8, "verb": 7, "pron": 6, "poss": 6,
           "dem": 7, "num": 3, "time": 4, "freq": 4}  # fmt: skip


def third_person(verb: str) -> str:
    """English present third person singular of a regular verb: washes, goes, studies, plays."""
    if re.search(r"(s|sh|ch|x|z|o)$", verb):
        return verb + "es"
    if re.search(r"[^aeiou]y$", verb):
        return verb[:-1] + "ies"
    return verb + "s"


def ing_form(verb: str) -> str:
    """English -ing form of a regular verb: making, seeing, swimming, opening, playing."""
    if verb.endswith("e") and not verb.endswith("ee"):
        return verb[:-1] + "ing"
    if re.fullmatch(r"[^aeiou]*[aeiou][^aeiouwxy]", verb):  # one syllable ending consonant-vowel-consonant
        return verb + verb[-1] + "ing"
    return verb + "ing"


def indefinite_article(word: str) -> str:
    """English a/an before ``word`` (the lexicon has no words like "hour" or "university" that break the rule)."""
    return "an" if word[0].lower() in "aeiou" else "a"


def _items(field: str) -> frozenset[str]:
    return frozenset() if field == "-" else frozenset(field.split(","))


@dataclass(frozen=True)
class Noun:
    en: str
    en_pl: str  # "-": no plural is used
    es: str
    es_pl: str
    gender: str  # "m" or "f"
    tags: frozenset[str]

    @property
    def has_plural(self) -> bool:
        return self.en_pl != "-"

    @property
    def mass(self) -> bool:
        return "mass" in self.tags

    def article(self, plural: bool, definite: bool = True) -> str:
        """el/la/los/las, un/una; a feminine noun with stressed initial a takes el/un in the singular (el agua)."""
        if plural:
            return "los" if self.gender == "m" else "las"
        masculine = self.gender == "m" or "el" in self.tags
        if definite:
            return "el" if masculine else "la"
        return "un" if masculine else "una"


@dataclass(frozen=True)
class Place:
    noun: Noun
    prep: str  # English for Spanish "en" before this noun
    holds: frozenset[str]
    rels: tuple[str, ...]  # spatial keys, in file order (draws must not depend on set order)
    rel_holds: frozenset[str]
    acts: frozenset[str]


@dataclass(frozen=True)
class FixedLoc:
    es: str
    en: str
    holds: frozenset[str]
    acts: frozenset[str]


@dataclass(frozen=True)
class Adjective:
    en: str
    es: str
    es_pl: str
    copula: str  # "ser" or "estar"
    flags: frozenset[str]
    scale: str
    tags: frozenset[str]

    def form(self, gender: str, plural: bool) -> str:
        """Agreeing Spanish form: rojo roja rojos rojas; verde verdes; marrón marrones."""
        word = self.es_pl if plural else self.es
        if gender == "f" and self.es.endswith("o"):
            return word[:-2] + "as" if plural else word[:-1] + "a"
        return word


@dataclass(frozen=True)
class Verb:
    en: str  # base form with its particle: "look for"
    es: str  # infinitive
    subj: frozenset[str]
    obj: frozenset[str]
    acts: frozenset[str]
    flags: frozenset[str]
    forms: tuple[tuple[str, str], ...]  # irregular forms from the options: pres, ger, imp, en3, det

    def option(self, key: str) -> str | None:
        return dict(self.forms).get(key)

    @property
    def en_base(self) -> str:
        return self.en.split()[0]

    @property
    def particle(self) -> list[str]:
        return self.en.split()[1:]

    def present(self, person: int) -> str:
        if pres := self.option("pres"):
            return pres.split("/")[person]
        return self.es[:-2] + _ENDINGS[self.es[-2:]][person]

    def gerund(self) -> str:
        return self.option("ger") or self.es[:-2] + ("ando" if self.es.endswith("ar") else "iendo")

    def imperative(self) -> str:
        """Affirmative tú imperative: the él form (cierra, juega) unless irregular (pon, haz)."""
        return self.option("imp") or self.present(2)

    def en_present(self, person: int) -> str:
        if person != 2:
            return self.en_base
        return self.option("en3") or third_person(self.en_base)

    def en_ing(self) -> str:
        return ing_form(self.en_base)


@dataclass(frozen=True)
class Pronoun:
    es: str
    en: str
    person: int
    gender: str  # "m", "f", or "mf" (either: yo, tú)
    clitic: str  # the gustar clitic: me, te, le, nos, les


@dataclass(frozen=True)
class Determiner:
    """A possessive (mi/tu/nuestro) or demonstrative (este/ese): Spanish forms agree with the noun."""

    en: str
    en_pl: str
    forms: tuple[str, str, str, str]  # masc sg, fem sg, masc pl, fem pl

    def es(self, gender: str, plural: bool) -> str:
        return self.forms[2 * plural + (gender == "f")]


@dataclass(frozen=True)
class Phrase:
    """A fixed pair of phrases with a few labels: numbers, time expressions, frequency adverbs, spatial prepositions,
    goals."""

    es: str
    en: str
    labels: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Lexicon:
    nouns: tuple[Noun, ...]
    places: tuple[Place, ...]
    locs: tuple[FixedLoc, ...]
    goals: tuple[Phrase, ...]
    spatial: dict[str, Phrase]
    adjectives: tuple[Adjective, ...]
    verbs: tuple[Verb, ...]
    pronouns: tuple[Pronoun, ...]
    possessives: tuple[Determiner, ...]
    demonstratives: tuple[Determiner, ...]
    numbers: tuple[Phrase, ...]
    times: tuple[Phrase, ...]
    freqs: tuple[Phrase, ...]

    def verb(self, es: str) -> Verb:
        return next(v for v in self.verbs if v.es == es)


def parse_lexicon(text: str) -> Lexicon:
    """The lexicon in ``text`` (the format of ``texts/es_en_lexicon.txt``); ValueError names a malformed line."""
    rows: dict[str, list[list[str]]] = {kind: [] for kind in _FIELDS}
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split("|")]
        if _FIELDS.get(fields[0]) != len(fields) or not all(fields):
            raise ValueError(f"lexicon line {i}: {line!r}: expected {_FIELDS.get(fields[0], 'a known record')} fields")
        rows[fields[0]].append(fields[1:])
    nouns = tuple(Noun(en, en_pl, es, es_pl, g, _items(tags)) for en, en_pl, es, es_pl, g, tags in rows["noun"])
    by_es = {n.es: n for n in nouns}
    places = []
    for es, prep, holds, rels, rel_holds, acts in rows["place"]:
        if es not in by_es:
            raise ValueError(f"lexicon: place {es!r} is not a noun")
        rel_keys = () if rels == "-" else tuple(rels.split(","))
        places.append(Place(by_es[es], prep, _items(holds), rel_keys, _items(rel_holds), _items(acts)))
    verbs = []
    for en, es, subj, obj, acts, options in rows["verb"]:
        opts = [] if options == "-" else options.split(",")
        forms = tuple(tuple(o.split("=", 1)) for o in opts if "=" in o)
        flags = frozenset(o for o in opts if "=" not in o)
        verbs.append(Verb(en, es, _items(subj), _items(obj), _items(acts), flags, forms))  # type: ignore[arg-type]
    return Lexicon(
        nouns=nouns,
        places=tuple(places),
        locs=tuple(FixedLoc(es, en, _items(h), _items(a)) for es, en, h, a in rows["loc"]),
        goals=tuple(Phrase(es, en) for es, en in rows["goal"]),
        spatial={key: Phrase(es, en) for key, es, en in rows["spatial"]},
        adjectives=tuple(
            Adjective(en, es, es_pl, cop, _items(flags), scale, _items(tags))
            for en, es, es_pl, cop, flags, scale, tags in rows["adj"]
        ),
        verbs=tuple(verbs),
        pronouns=tuple(Pronoun(es, en, PERSONS.index(p), g, cl) for es, en, p, g, cl in rows["pron"]),
        possessives=tuple(Determiner(en, en, (ms, fs, mp, fp)) for en, ms, fs, mp, fp in rows["poss"]),
        demonstratives=tuple(Determiner(en, en_pl, (ms, fs, mp, fp)) for en, en_pl, ms, fs, mp, fp in rows["dem"]),
        numbers=tuple(Phrase(es, en) for es, en in rows["num"]),
        times=tuple(Phrase(es, en, _items(aspects)) for es, en, aspects in rows["time"]),
        freqs=tuple(Phrase(es, en, frozenset([pos])) for es, en, pos in rows["freq"]),
    )


@cache
def load_lexicon() -> Lexicon:
    """The bundled lexicon (parsed once per process)."""
    text = resources.files("speechkit.mini").joinpath("texts", "es_en_lexicon.txt").read_text(encoding="utf-8")
    return parse_lexicon(text)
