"""Spanish-English sentence pairs for the mini CVSS corpus, from a small synchronous grammar.

Each template builds the Spanish and the English sentence from one set of choices, so a pair is a translation
by construction; the two renderings differ where the languages do: noun-adjective vs adjective-noun order,
dropped vs explicit subject pronouns (yo, tú, nosotros), inversion vs do-support in questions, personal "a",
"gustar" with its arguments swapped, a generic Spanish definite article vs an English bare plural. Words and
their irregular forms come from ``texts/es_en_lexicon.txt`` (:mod:`speechkit.mini.es_en_lexicon`); semantic tags
on them keep the sentences sensible (one eats food, drives vehicles, puts a cup on a table). Sentences are
3-10 English words because each becomes about two seconds of eSpeak speech to train on with two CPU cores.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TypeVar

from speechkit.data.text import normalize_words
from speechkit.mini.es_en_lexicon import (
    Adjective,
    Lexicon,
    Noun,
    Phrase,
    Place,
    Pronoun,
    Verb,
    indefinite_article,
    load_lexicon,
    third_person,
)

BE = ("am", "are", "is", "are", "are")
DO = ("do", "do", "does", "do", "do")
DROPPED = (0, 1, 3)  # yo, tú, nosotros: Spanish leaves them out, the verb ending says who
NOT_FIRST_SINGULAR = (1, 2, 3, 4)
ASKED = (1, 2, 4)  # who a question is about: "Do you ...?", "Does she ...?", "Do they ...?"
OWN_POSSESSIVES = {0: ("my", "our"), 1: ("your",), 3: ("my", "our")}  # by person: what is one's own
HUMAN = frozenset({"human", "person", "adult"})  # what a pronoun can refer to
LIKED = frozenset({"food", "drink", "animal", "vehicle", "flower", "music", "sport", "language", "readable",
                   "clothing"})  # fmt: skip
LOCATED = frozenset({"human", "animal", "thing", "food", "drink", "vehicle", "building"})
OWNED_IF_TAGGED = frozenset({"human", "place", "wild", "transit"})  # "mi hombre", "tu león": only if tagged own
MIN_WORDS, MAX_WORDS = 3, 10
TEMPLATES = {  # name: weight
    "present": 12, "negation": 6, "yes_no": 5, "what": 6, "where": 4, "who": 3, "how_many": 4, "color": 2,
    "ser": 7, "estar_state": 5, "estar_place": 7, "going_to": 6, "progressive": 6, "modal": 7, "gustar": 7,
    "hay": 6, "imperative": 5, "go_to": 4, "coordination": 4,
}  # fmt: skip

Words = list[str]
T = TypeVar("T")


@dataclass(frozen=True)
class SentencePair:
    es: str  # as a Common Voice prompt is written: "¿Dónde está el gato negro?"
    en: str  # as a person writes it, for the English voice: "Where is the black cat?"
    en_norm: str  # as CVSS gives it: "where is the black cat"


class _Retry(Exception):
    """The words drawn so far admit no sentence of this template; the template is drawn again."""


@dataclass(frozen=True)
class _NP:
    """A noun phrase (or pronoun) in both languages, with what agreement needs."""

    es: tuple[str, ...]
    en: tuple[str, ...]
    person: int = 2
    gender: str = "m"
    noun: Noun | None = None
    pronoun: Pronoun | None = None
    adj: Adjective | None = None

    @property
    def plural(self) -> bool:
        return self.person in (3, 4)

    @property
    def tags(self) -> frozenset[str]:
        return self.noun.tags if self.noun else HUMAN


YOU = _NP((), ("you",), 1)  # the addressee of an imperative


class _Grammar:
    """The templates; each returns Spanish words, English words and the end mark ("." or "?")."""

    def __init__(self, lex: Lexicon, rng: random.Random) -> None:
        self.lex, self.rng = lex, rng
        self.lexical = [v for v in lex.verbs if not v.flags & {"aux", "modal"}]
        self.attributive = [a for a in lex.adjectives if "attr" in a.flags]
        self.estar, self.ser, self.ir = lex.verb("estar"), lex.verb("ser"), lex.verb("ir")
        self.querer, self.poder = lex.verb("querer"), lex.verb("poder")
        self.templates: dict[str, Callable[[], tuple[Words, Words, str]]] = {
            name: getattr(self, f"t_{name}") for name in TEMPLATES
        }

    # --- drawing
    def choice(self, items: Sequence[T]) -> T:
        if not items:
            raise _Retry
        return self.rng.choice(items)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def verbs(self, *, without: Sequence[str] = (), having: Sequence[str] = ()) -> list[Verb]:
        return [v for v in self.lexical if not v.flags & set(without) and set(having) <= v.flags]

    def nouns(self, tags: frozenset[str], *, without: Sequence[str] = ()) -> list[Noun]:
        return [n for n in self.lex.nouns if n.tags & tags and not n.tags & set(without)]

    # --- phrases
    def np(self, noun: Noun, dets: Sequence[str], plural: bool | None = None, adj_p: float = 0.0,
           avoid_scales: Collection[str] = ()) -> _NP:  # fmt: skip
        """``noun`` with a determiner drawn from ``dets`` (def, indef, poss, dem, num, bare, owner) and, with
        probability ``adj_p``, an adjective of a scale not in ``avoid_scales``."""
        det = self.choice([d for d in dets if _fits(noun, d, plural)])
        if det == "num" or (det == "bare" and not noun.mass):
            plural = True
        elif det == "indef" or not noun.has_plural or (det in ("poss", "owner") and "place" in noun.tags):
            plural = False  # one has one kitchen: mi cocina, not mis cocinas
        elif plural is None:
            plural = self.chance(0.35)
        adjs = [a for a in self.attributive if a.tags & noun.tags and a.scale not in avoid_scales]
        adj = self.choice(adjs) if adjs and self.chance(adj_p) else None
        es = [noun.es_pl if plural else noun.es] + ([adj.form(noun.gender, plural)] if adj else [])
        en = ([adj.en] if adj else []) + [noun.en_pl if plural else noun.en]
        if det == "def":
            es, en = [noun.article(plural), *es], ["the", *en]
        elif det == "indef":
            es, en = [noun.article(False, definite=False), *es], [indefinite_article(en[0]), *en]
        elif det in ("poss", "dem"):
            d = self.choice(self.lex.possessives if det == "poss" else self.lex.demonstratives)
            es, en = [d.es(noun.gender, plural), *es], [d.en_pl if plural else d.en, *en]
        elif det == "num":
            num = self.choice(self.lex.numbers)
            es, en = [num.es, *es], [num.en, *en]
        elif det == "owner":  # el perro de mi hermana / my sister's dog
            # people belong to grown-ups or kin (la profesora de mi hija), things to anyone (el libro del niño)
            owners = self.nouns(frozenset({"adult", "family"} if "human" in noun.tags else {"person"}))
            if "family" in noun.tags:  # la madre de mi amigo, not la abuela de mi tía
                owners = [n for n in owners if "family" not in n.tags]
            owner = self.np(self.choice([n for n in owners if n != noun]), ("def", "poss"), plural=False)
            es = [noun.article(plural), *es, "de", *owner.es]
            en = [*owner.en[:-1], owner.en[-1] + "'s", *en]
        return _NP(tuple(es), tuple(en), 4 if plural else 2, noun.gender, noun, adj=adj)

    def pronoun(self, p: Pronoun) -> _NP:
        gender = self.choice("mf") if p.gender == "mf" else p.gender
        return _NP(() if p.person in DROPPED else (p.es,), (p.en,), p.person, gender, pronoun=p)

    def subject(self, tags: frozenset[str], persons: Sequence[int] = (0, 1, 2, 3, 4), pron_p: float = 0.4) -> _NP:
        """A pronoun (if ``tags`` admit people) or a noun phrase of a noun with one of ``tags``."""
        prons = [p for p in self.lex.pronouns if p.person in persons] if tags & HUMAN else []
        nouns = self.nouns(tags) if 2 in persons or 4 in persons else []
        if prons and (not nouns or self.chance(pron_p)):
            return self.pronoun(self.choice(prons))
        noun = self.choice(nouns)
        plural = None if 2 in persons and 4 in persons else 4 in persons
        dets = ("owner",) if self.chance(0.08) else ("def", "def", "def", "poss", "poss", "dem")
        return self.np(noun, dets, plural, adj_p=0.12)

    def object(self, verb: Verb, subj: _NP, negative: bool = False, generic: bool = False) -> tuple[_NP, Words]:
        """The object of ``verb`` and its Spanish words (with personal "a", or "al" for sports)."""
        noun = self.choice([n for n in self.nouns(verb.obj) if not subj.noun or n.en != subj.noun.en])  # not fish/fish
        if "sport" in verb.flags:  # jugar al fútbol / play soccer
            return _NP((), (noun.en,), noun=noun), ["a", noun.article(False), noun.es]
        dets: tuple[str, ...]
        if "human" in noun.tags and "noa" in verb.flags:  # tengo dos hermanas / no tengo hermanas
            dets = ("bare",) if negative else ("indef", "num")
        elif "family" in noun.tags:  # ayudo a mi madre
            dets = ("poss", "poss", "owner")
        elif "human" in noun.tags:
            dets = ("def", "poss", "owner") if negative else ("def", "poss", "poss", "indef", "owner")
        elif "animal" in noun.tags:
            dets = ("bare",) if negative else ("indef", "num", "bare")
        elif "language" in noun.tags:
            dets = ("bare",)
        else:
            dets = ("def", "poss", "dem", "owner", "bare") + (() if negative else ("indef", "num", "bare"))
        if "count" not in verb.flags:  # tengo dos perros, not "rompo siete sillas"
            dets = tuple(d for d in dets if d != "num")
        if allowed := verb.option("det"):
            dets = tuple(d for d in dets if d in allowed.split("/"))
        if generic:
            dets = tuple(d for d in dets if d in ("def", "poss", "bare"))
        # no "limpio la habitación limpia": a state the verb brings about is not an attribute of its object
        done = [a.scale for a in self.lex.adjectives if "state" in a.flags and a.tags & verb.obj]
        obj = self.np(noun, dets, plural=False if "one" in verb.flags else None, adj_p=0.2, avoid_scales=done)
        personal_a = "human" in noun.tags and "noa" not in verb.flags
        return obj, ["a", *obj.es] if personal_a else [*obj.es]

    def location(self, holder: _NP | Noun, acts: frozenset[str] = frozenset(), rel_p: float = 0.0,
                 ) -> tuple[Words, Words]:  # fmt: skip
        """Where ``holder`` is (or does one of ``acts``): en + place, a spatial preposition + place, or en casa."""
        tags, noun = holder.tags, holder if isinstance(holder, Noun) else holder.noun
        places = [p for p in self.lex.places if p.holds & tags and p.noun != noun and (not acts or p.acts & acts)]
        related = [p for p in self.lex.places if p.rels and p.rel_holds & tags and p.noun != noun] if not acts else []
        fixed = [f for f in self.lex.locs if f.holds & tags and (not acts or f.acts & acts)]
        if related and (self.chance(rel_p) or not places + fixed):
            place = self.choice(related)
            rel = self.lex.spatial[self.choice(place.rels)]
            ref = self.np(place.noun, self.place_dets(place.noun), plural=False)
            return [rel.es, *ref.es], [rel.en, *ref.en]
        where = self.choice(places + fixed)
        if not isinstance(where, Place):
            return [where.es], [where.en]
        dets = ("indef", "def", "dem") if "live" in acts else self.place_dets(where.noun) + ("dem",)
        ref = self.np(where.noun, dets, plural=False, adj_p=0.08)
        return ["en", *ref.es], [where.prep, *ref.en]

    @staticmethod
    def place_dets(noun: Noun) -> tuple[str, ...]:
        """"la mesa", and "mi mesa" for places one owns, but not "mi árbol"."""
        return ("def", "def", "def", "poss") if "own" in noun.tags else ("def",)

    def complement(self, verb: Verb, subj: _NP, negative: bool = False, need_obj: bool = False,
                   generic: bool = False) -> tuple[Words, Words]:  # fmt: skip
        """What follows ``verb``: its object (or goal), a place, a means of transport. ``generic``: an object
        that reads as generic after "me gusta" (leer libros / to read books), not "un libro"."""
        es: Words = []
        en: Words = []
        obj = None
        if "go" in verb.flags:
            es, en = self.goal()
        elif verb.obj and (need_obj or "intr" not in verb.flags or self.chance(0.75)):
            obj, es = self.object(verb, subj, negative, generic)
            en = [*verb.particle, *obj.en]
        if verb.acts and (verb.flags & {"must", "put"} or self.chance(0.3)):
            holder = obj.noun if "put" in verb.flags else subj  # pongo el libro en la mesa
            loc_es, loc_en = self.location(holder, verb.acts)
            es, en = es + loc_es, en + loc_en
        if (by := verb.option("by")) and self.chance(0.35):
            vehicle = self.choice(self.nouns(frozenset({by})))
            es, en = es + ["en", vehicle.es], en + ["by", vehicle.en]
        return es, en

    def goal(self) -> tuple[Words, Words]:
        """Where one goes: a casa / home, or a + a place (al parque / to the park)."""
        if self.chance(0.15):
            g = self.choice(self.lex.goals)
            return [g.es], [g.en]
        noun = self.choice(self.nouns(frozenset({"dest"})))
        dest = self.np(noun, ("def", "def", "def", "poss", "owner"), plural=False)
        return ["a", *dest.es], ["to", *dest.en]

    def time(self, aspect: str) -> Phrase:
        return self.choice([t for t in self.lex.times if aspect in t.labels])

    def add_time(self, es: Words, en: Words, time: Phrase | None) -> tuple[Words, Words]:
        """Spanish puts a time expression first or last, English last."""
        if time is None:
            return es, en
        return ([time.es, *es] if self.chance(0.3) else [*es, time.es]), [*en, time.en]

    def predicate_adj(self, copula: str) -> Adjective:
        return self.choice([a for a in self.lex.adjectives if a.copula == copula])

    def subject_for(self, adj: Adjective, persons: Sequence[int] = (0, 1, 2, 3, 4)) -> _NP:
        """A subject ``adj`` can describe: a pronoun if it describes people, or a definite noun phrase."""
        if adj.tags & HUMAN and self.chance(0.35):
            return self.pronoun(self.choice([p for p in self.lex.pronouns if p.person in persons]))
        noun = self.choice(self.nouns(adj.tags))
        return self.np(noun, ("def", "def", "poss", "dem", "owner"), adj_p=0.1, avoid_scales=(adj.scale,))

    # --- templates
    def t_present(self) -> tuple[Words, Words, str]:
        """Mi hermana siempre come pescado en la cocina. / My sister always eats fish in the kitchen."""
        verb = self.choice(self.verbs(without=("noprs", "go")))
        subj = self.subject(verb.subj)
        comp_es, comp_en = self.complement(verb, subj)
        freq: Phrase | None = None
        if "lasting" not in verb.flags and self.chance(0.25):
            freq = self.choice(self.lex.freqs)
        pre = [freq.es] if freq and "pre" in freq.labels else []
        end = [freq.es] if freq and "end" in freq.labels else []
        es = [*subj.es, *pre, verb.present(subj.person), *comp_es, *end]
        en = [*subj.en, *([freq.en] if freq else []), verb.en_present(subj.person), *comp_en]
        timed = not freq and "noprog" not in verb.flags and self.chance(0.3)  # no "tengo un perro los lunes"
        return *self.add_time(es, en, self.time("habit") if timed else None), "."

    def t_negation(self) -> tuple[Words, Words, str]:
        """Mi padre no bebe café por la noche. / My father does not drink coffee at night."""
        verb = self.choice(self.verbs(without=("noprs", "go")))
        subj = self.subject(verb.subj)
        comp_es, comp_en = self.complement(verb, subj, negative=True)
        es = [*subj.es, "no", verb.present(subj.person), *comp_es]
        en = [*subj.en, DO[subj.person], "not", verb.en_base, *comp_en]
        timed = "noprog" not in verb.flags and self.chance(0.25)
        return *self.add_time(es, en, self.time("habit") if timed else None), "."

    def t_yes_no(self) -> tuple[Words, Words, str]:
        """¿Come tu hermano pescado? / Does your brother eat fish?"""
        verb = self.choice(self.verbs(without=("noprs", "go")))
        subj = self.subject(verb.subj, ASKED)
        comp_es, comp_en = self.complement(verb, subj)
        es = [verb.present(subj.person), *subj.es, *comp_es]
        return es, [DO[subj.person], *subj.en, verb.en_base, *comp_en], "?"

    def t_what(self) -> tuple[Words, Words, str]:
        """¿Qué está leyendo tu hermana? / What is your sister reading? (also do-support, want to, going to)"""
        kind = self.choice(("present", "progressive", "want", "going"))
        without = {"present": ("put", "noprs"), "progressive": ("put", "noprog"), "want": ("put", "noinf"),
                   "going": ("put", "noinf")}[kind]  # fmt: skip
        verbs = [v for v in self.verbs(without=without, having=("wh",)) if v.obj - {"human"}]
        verb = self.choice(verbs)
        subj = self.subject(verb.subj, ASKED if kind in ("present", "progressive") else NOT_FIRST_SINGULAR)
        p, end_en = subj.person, verb.particle
        if kind == "present":
            es = ["qué", verb.present(p), *subj.es]
            en = ["what", DO[p], *subj.en, verb.en_base, *end_en]
        elif kind == "progressive":
            es = ["qué", self.estar.present(p), verb.gerund(), *subj.es]
            en = ["what", BE[p], *subj.en, verb.en_ing(), *end_en]
        elif kind == "want":
            es = ["qué", self.querer.present(p), verb.es, *subj.es]
            en = ["what", DO[p], *subj.en, "want", "to", verb.en_base, *end_en]
        else:
            es = ["qué", self.ir.present(p), "a", verb.es, *subj.es]
            en = ["what", BE[p], *subj.en, "going", "to", verb.en_base, *end_en]
        if kind in ("present", "going") and self.chance(0.35):  # ¿Qué bebes por la mañana?
            time = self.time("habit" if kind == "present" else "future")
            es, en = es + [time.es], en + [time.en]
        return es, en, "?"

    def t_where(self) -> tuple[Words, Words, str]:
        """¿Dónde están mis llaves? / Where are my keys?  ¿Dónde vive tu abuela? / Where does your grandmother
        live?"""
        if self.chance(0.65):
            if self.chance(0.12):
                subj = self.pronoun(self.choice([p for p in self.lex.pronouns if p.person in ASKED]))
            else:
                noun = self.choice(self.nouns(LOCATED))
                subj = self.np(noun, ("def", "poss", "poss", "dem", "owner"), adj_p=0.15)
            return ["dónde", self.estar.present(subj.person), *subj.es], ["where", BE[subj.person], *subj.en], "?"
        verb = self.choice([v for v in self.verbs(without=("go", "noprs"), having=("intr",)) if v.acts])
        subj = self.subject(verb.subj, ASKED)
        self.location(subj, verb.acts)  # only ask where there is a place for it: not "Where does the lion swim?"
        p = subj.person
        return ["dónde", verb.present(p), *subj.es], ["where", DO[p], *subj.en, verb.en_base], "?"

    def t_who(self) -> tuple[Words, Words, str]:
        """¿Quién tiene mi libro? / Who has my book?  ¿Quién está en la cocina? / Who is in the kitchen?"""
        if self.chance(0.25):
            loc_es, loc_en = self.location(_NP((), ()), rel_p=0.2)
            return ["quién", "está", *loc_es], ["who", "is", *loc_en], "?"
        verbs = [v for v in self.verbs(without=("noprs", "go", "put")) if v.obj and v.subj & HUMAN]
        verb = self.choice(verbs + [self.lex.verb("tener")] * 6 + [self.querer] * 3)
        obj, obj_es = self.object(verb, _NP((), ()))
        return ["quién", verb.present(2), *obj_es], ["who", verb.en_present(2), *verb.particle, *obj.en], "?"

    def t_how_many(self) -> tuple[Words, Words, str]:
        """¿Cuántas hermanas tienes? / How many sisters do you have?  ¿Cuántos gatos hay en el jardín? / ..."""
        kind = self.choice(("have", "have", "there", "there", "want"))
        verb = self.lex.verb("tener") if kind == "have" else self.querer
        if kind == "there":
            nouns = self.nouns(LOCATED, without=("family",))
        else:
            nouns = self.nouns(verb.obj)
        noun = self.choice([n for n in nouns if n.has_plural])
        counted = self.np(noun, ("bare",), plural=True, adj_p=0.12)
        es = ["cuántos" if noun.gender == "m" else "cuántas", *counted.es]
        en = ["how", "many", *counted.en]
        if kind == "there":
            loc_es, loc_en = self.location(noun, rel_p=0.3)
            return [*es, "hay", *loc_es], [*en, "are", "there", *loc_en], "?"
        subj = self.subject(verb.subj, ASKED)
        p = subj.person
        return [*es, verb.present(p), *subj.es], [*en, DO[p], *subj.en, verb.en_base], "?"

    def t_color(self) -> tuple[Words, Words, str]:
        """¿De qué color es el coche de tu padre? / What color is your father's car?"""
        noun = self.choice(self.nouns(frozenset({"colored", "furry", "flower"})))
        subj = self.np(noun, ("def", "poss", "poss", "dem", "owner"), adj_p=0.1, avoid_scales=("color",))
        p = subj.person
        return ["de", "qué", "color", self.ser.present(p), *subj.es], ["what", "color", BE[p], *subj.en], "?"

    def t_ser(self) -> tuple[Words, Words, str]:
        """La casa es grande y bonita. / The house is big and pretty.  ¿Es caro el coche? / Is the car expensive?"""
        adj = self.predicate_adj("ser")
        mode = self.choice(("say", "say", "say", "not", "ask"))
        subj = self.subject_for(adj, ASKED if mode == "ask" else (0, 1, 2, 3, 4))
        g, pl = subj.gender, subj.plural
        pred_es, pred_en = [adj.form(g, pl)], [adj.en]
        used = {adj.scale, subj.adj.scale if subj.adj else ""}  # not "el libro blanco es corto y negro"
        others = [a for a in self.lex.adjectives if a.copula == "ser" and a.tags & subj.tags and a.scale not in used]
        if others and mode == "say" and self.chance(0.25):
            other = self.choice(others)
            pred_es, pred_en = [*pred_es, "y", other.form(g, pl)], [*pred_en, "and", other.en]
        elif "very" in adj.flags and self.chance(0.2):
            pred_es, pred_en = ["muy", *pred_es], ["very", *pred_en]
        return self._copula(self.ser, subj, pred_es, pred_en, mode)

    def t_estar_state(self) -> tuple[Words, Words, str]:
        """Mi hermana siempre está cansada. / My sister is always tired.  ¿Está abierta la tienda? / ..."""
        adj = self.predicate_adj("estar")
        mode = self.choice(("say", "say", "say", "not", "ask"))
        subj = self.subject_for(adj, ASKED if mode == "ask" else (0, 1, 2, 3, 4))
        pred_es, pred_en = [adj.form(subj.gender, subj.plural)], [adj.en]
        if "very" in adj.flags and self.chance(0.2):
            pred_es, pred_en = ["muy", *pred_es], ["very", *pred_en]
        if mode == "say" and self.chance(0.2):
            freq = self.choice(self.lex.freqs)
            p = subj.person
            if "pre" in freq.labels:
                es = [*subj.es, freq.es, self.estar.present(p), *pred_es]
            else:
                es = [*subj.es, self.estar.present(p), *pred_es, freq.es]
            return es, [*subj.en, BE[p], freq.en, *pred_en], "."
        es, en, mark = self._copula(self.estar, subj, pred_es, pred_en, mode)
        if mode != "ask" and self.chance(0.2):
            es, en = self.add_time(es, en, self.time("state"))
        return es, en, mark

    def t_estar_place(self) -> tuple[Words, Words, str]:
        """El libro está en la mesa. / The book is on the table.  Los gatos están debajo de la cama. / ..."""
        mode = self.choice(("say", "say", "say", "say", "not", "ask"))
        if self.chance(0.25):
            subj = self.pronoun(self.choice([p for p in self.lex.pronouns if mode != "ask" or p.person in ASKED]))
        else:
            noun = self.choice(self.nouns(LOCATED))
            subj = self.np(noun, ("def", "def", "poss", "dem", "owner"), adj_p=0.12)
        loc_es, loc_en = self.location(subj, rel_p=0.4)
        return self._copula(self.estar, subj, loc_es, loc_en, mode, place=True)

    def _copula(self, verb: Verb, subj: _NP, pred_es: Words, pred_en: Words, mode: str,
                place: bool = False) -> tuple[Words, Words, str]:  # fmt: skip
        """Subject + ser/estar + predicate, negated ("no es" / "is not") or asked: an adjective comes before the
        subject ("¿Es caro el coche?"), a ``place`` after it ("¿Está el gato en el jardín?")."""
        p = subj.person
        if mode == "ask" and place:
            return [verb.present(p), *subj.es, *pred_es], [BE[p], *subj.en, *pred_en], "?"
        if mode == "ask":
            return [verb.present(p), *pred_es, *subj.es], [BE[p], *subj.en, *pred_en], "?"
        neg_es, neg_en = (["no"], ["not"]) if mode == "not" else ([], [])
        return [*subj.es, *neg_es, verb.present(p), *pred_es], [*subj.en, BE[p], *neg_en, *pred_en], "."

    def t_going_to(self) -> tuple[Words, Words, str]:
        """Voy a comprar un coche mañana. / I am going to buy a car tomorrow."""
        verb = self.choice(self.verbs(without=("go", "noinf")))
        mode = self.choice(("say", "say", "say", "say", "not", "ask"))
        subj = self.subject(verb.subj, ASKED if mode == "ask" else (0, 1, 2, 3, 4))
        comp_es, comp_en = self.complement(verb, subj, negative=mode == "not")
        p, ir = subj.person, self.ir.present(subj.person)
        inf_es, inf_en = ["a", verb.es, *comp_es], ["going", "to", verb.en_base, *comp_en]
        if mode == "ask":  # ¿Va tu padre a comprar el coche?
            return [ir, *subj.es, *inf_es], [BE[p], *subj.en, *inf_en], "?"
        neg_es, neg_en = (["no"], ["not"]) if mode == "not" else ([], [])
        es, en = [*subj.es, *neg_es, ir, *inf_es], [*subj.en, BE[p], *neg_en, *inf_en]
        timed = "lasting" not in verb.flags and self.chance(0.35)
        return *self.add_time(es, en, self.time("future") if timed else None), "."

    def t_progressive(self) -> tuple[Words, Words, str]:
        """Estamos comiendo pan. / We are eating bread."""
        verb = self.choice(self.verbs(without=("noprog", "go")))
        mode = self.choice(("say", "say", "say", "say", "not", "ask"))
        subj = self.subject(verb.subj, ASKED if mode == "ask" else (0, 1, 2, 3, 4))
        comp_es, comp_en = self.complement(verb, subj, negative=mode == "not")
        p, estar = subj.person, self.estar.present(subj.person)
        if mode == "ask":  # ¿Está el bebé durmiendo?
            return [estar, *subj.es, verb.gerund(), *comp_es], [BE[p], *subj.en, verb.en_ing(), *comp_en], "?"
        neg_es, neg_en = (["no"], ["not"]) if mode == "not" else ([], [])
        es = [*subj.es, *neg_es, estar, verb.gerund(), *comp_es]
        en = [*subj.en, BE[p], *neg_en, verb.en_ing(), *comp_en]
        return *self.add_time(es, en, self.time("now") if mode == "say" and self.chance(0.25) else None), "."

    def t_modal(self) -> tuple[Words, Words, str]:
        """¿Puedes abrir la ventana? / Can you open the window?  Quiero leer un libro. / I want to read a book."""
        modal = self.choice((self.poder, self.querer))
        verb = self.choice(self.verbs(without=("noinf", "nomodal")))
        mode = self.choice(("say", "say", "not", "ask", "ask"))
        if mode == "ask":  # ¿Puedo abrir la ventana? is a question; ¿Quiero...? is not
            persons = ((0,) if modal is self.poder else ()) + ASKED
        else:
            persons = (0, 1, 2, 3, 4)
        subj = self.subject(verb.subj, persons)
        comp_es, comp_en = self.complement(verb, subj, negative=mode == "not")
        p, m = subj.person, modal.present(subj.person)
        if mode == "ask":  # ¿Puede tu hermano conducir el camión?
            es = [m, *subj.es, verb.es, *comp_es]
            en = ["can", *subj.en] if modal is self.poder else [DO[p], *subj.en, "want", "to"]
            return es, [*en, verb.en_base, *comp_en], "?"
        es = [*subj.es, *(["no"] if mode == "not" else []), m, verb.es, *comp_es]
        if modal is self.poder:
            en = [*subj.en, "cannot" if mode == "not" else "can"]
        else:
            en = [*subj.en, DO[p], "not", "want"] if mode == "not" else [*subj.en, self.querer.en_present(p)]
            en.append("to")
        return es, [*en, verb.en_base, *comp_en], "."

    def t_gustar(self) -> tuple[Words, Words, str]:
        """A mi hermano le gustan los perros. / My brother likes dogs.  ¿Te gusta el café? / Do you like coffee?"""
        mode = self.choice(("say", "say", "say", "not", "ask"))
        if self.chance(0.5):
            exp = self.pronoun(self.choice([p for p in self.lex.pronouns if mode != "ask" or p.person in ASKED]))
            clitic = exp.pronoun.clitic
            exp_es = [] if exp.person in DROPPED else ["a", *exp.es]
        else:
            noun = self.choice(self.nouns(frozenset({"human"})))
            exp = self.np(noun, ("poss", "poss", "def"))  # a mi hermano le / al niño le
            clitic, exp_es = "les" if exp.plural else "le", ["a", *exp.es]
        kind = self.choice(("generic", "generic", "generic", "specific", "specific", "verb", "verb"))
        if kind == "verb":  # me gusta leer libros / I like to read books
            verbs = [v for v in self.verbs(without=("noprog", "put", "go", "noinf")) if v.subj & exp.tags]
            verb = self.choice(verbs)
            comp_es, comp_en = self.complement(verb, exp, generic=True)
            stim_es, stim_en, plural = [verb.es, *comp_es], ["to", verb.en_base, *comp_en], False
        elif kind == "generic":  # me gustan los perros / I like dogs; me gusta el café / I like coffee
            noun = self.choice([n for n in self.nouns(LIKED) if n.mass or n.has_plural])
            stim = self.np(noun, ("bare",), plural=not noun.mass, adj_p=0.15)
            stim_es, stim_en, plural = [noun.article(stim.plural), *stim.es], list(stim.en), stim.plural
        else:  # me gusta tu casa / I like your house
            noun = self.choice(self.nouns(frozenset({"thing", "vehicle", "pet", "building"})))
            stim = self.np(noun, ("poss", "dem", "owner"), adj_p=0.15)
            if stim.en[0] in OWN_POSSESSIVES.get(exp.person, ()):
                raise _Retry  # not "me gusta mi bolsa"
            stim_es, stim_en, plural = list(stim.es), list(stim.en), stim.plural
        gusta = "gustan" if plural else "gusta"
        p = exp.person
        if mode == "ask":
            return [*exp_es, clitic, gusta, *stim_es], [DO[p], *exp.en, "like", *stim_en], "?"
        if mode == "not":
            return [*exp_es, "no", clitic, gusta, *stim_es], [*exp.en, DO[p], "not", "like", *stim_en], "."
        like = third_person("like") if p == 2 else "like"
        return [*exp_es, clitic, gusta, *stim_es], [*exp.en, like, *stim_en], "."

    def t_hay(self) -> tuple[Words, Words, str]:
        """Hay tres gatos en el jardín. / There are three cats in the garden.  No hay leche. / There is no milk."""
        mode = self.choice(("say", "say", "say", "say", "not", "ask"))
        noun = self.choice(self.nouns(LOCATED, without=("family",)))
        thing = self.np(noun, ("bare",) if mode == "not" else ("indef", "indef", "num", "bare"), adj_p=0.2)
        loc_es, loc_en = self.location(noun, rel_p=0.35)
        be = "are" if thing.plural else "is"
        if mode == "ask":
            return ["hay", *thing.es, *loc_es], [be, "there", *thing.en, *loc_en], "?"
        if mode == "not":
            return ["no", "hay", *thing.es, *loc_es], ["there", be, "no", *thing.en, *loc_en], "."
        return ["hay", *thing.es, *loc_es], ["there", be, *thing.en, *loc_en], "."

    def t_imperative(self) -> tuple[Words, Words, str]:
        """Cierra la puerta, por favor. / Close the door, please."""
        verb = self.choice(self.verbs(having=("cmd",)))
        comp_es, comp_en = self.complement(verb, YOU, need_obj=True)
        es, en = [verb.imperative(), *comp_es], [verb.en_base, *comp_en]
        if self.chance(0.35):
            return [*es, ",", "por favor"], [*en, ",", "please"], "."
        if self.chance(0.3):
            return ["por favor", ",", *es], ["please", *en], "."
        return es, en, "."

    def t_go_to(self) -> tuple[Words, Words, str]:
        """Mi hermano va a la escuela en autobús. / My brother goes to the school by bus."""
        mode = self.choice(("say", "say", "say", "not", "ask"))
        subj = self.subject(self.ir.subj, ASKED if mode == "ask" else (0, 1, 2, 3, 4))
        comp_es, comp_en = self.complement(self.ir, subj)
        p, ir = subj.person, self.ir.present(subj.person)
        if mode == "say" and self.chance(0.4):  # a habit, never "I am going": siempre / always
            freq = self.choice(self.lex.freqs)
            pre, end = ([freq.es], []) if "pre" in freq.labels else ([], [freq.es])
            es = [*subj.es, *pre, ir, *comp_es, *end]
            return es, [*subj.en, freq.en, self.ir.en_present(p), *comp_en], "."
        time = self.time("habit")
        if mode == "ask":
            es, en = [ir, *subj.es, *comp_es, time.es], [DO[p], *subj.en, "go", *comp_en, time.en]
            return es, en, "?"
        if mode == "not":
            es, en = [*subj.es, "no", ir, *comp_es], [*subj.en, DO[p], "not", "go", *comp_en]
        else:
            es, en = [*subj.es, ir, *comp_es], [*subj.en, self.ir.en_present(p), *comp_en]
        return *self.add_time(es, en, time), "."

    def t_coordination(self) -> tuple[Words, Words, str]:
        """Mi hermana y yo bebemos café. / My sister and I drink coffee.  Hablo español e inglés. / ..."""
        if self.chance(0.5):
            verb = self.choice([v for v in self.verbs(without=("noprs", "go")) if v.subj & HUMAN])
            people = verb.subj & HUMAN
            first = self.subject(people, (2,), pron_p=0.0)
            if self.chance(0.4):
                subj_es, subj_en, p = [*first.es, "y", "yo"], [*first.en, "and", "I"], 3
            else:
                other = self.choice([n for n in self.nouns(people) if n != first.noun])
                second = self.np(other, ("poss",) if "family" in other.tags else ("def", "poss"), plural=False)
                subj_es, subj_en, p = [*first.es, "y", *second.es], [*first.en, "and", *second.en], 4
            comp_es, comp_en = self.complement(verb, first)
            return [*subj_es, verb.present(p), *comp_es], [*subj_en, verb.en_present(p), *comp_en], "."
        verb = self.choice([v for v in self.verbs(without=("noprs", "go", "put")) if v.obj])
        subj = self.subject(verb.subj)
        first_obj, first_es = self.object(verb, subj)
        second_obj, second_es = self.object(verb, subj)
        if first_obj.noun == second_obj.noun:
            raise _Retry
        es = [*subj.es, verb.present(subj.person), *first_es, "y", *second_es]
        en = [*subj.en, verb.en_present(subj.person), *verb.particle, *first_obj.en, "and", *second_obj.en]
        return es, en, "."

    def sentence(self) -> tuple[str, SentencePair] | None:
        """One pair from a template drawn by weight, or None if the draw failed or the sentence is too short or long."""
        name = self.rng.choices(list(TEMPLATES), weights=list(TEMPLATES.values()))[0]
        try:
            es, en, mark = self.templates[name]()
        except _Retry:
            return None
        pair = _finish(es, en, mark)
        return (name, pair) if MIN_WORDS <= len(pair.en_norm.split()) <= MAX_WORDS else None


def _fits(noun: Noun, det: str, plural: bool | None) -> bool:
    """Whether determiner ``det`` can go with ``noun`` (in the number ``plural`` asks for, None: either). Kin take
    a possessive, not "la madre"; people, places, wild animals and public transport have an owner only if tagged
    "own" (not "mi hombre", "tu león", "el tren del granjero")."""
    if "family" in noun.tags and det in ("def", "dem"):
        return False
    if det in ("poss", "owner") and noun.tags & OWNED_IF_TAGGED and not noun.tags & {"family", "own"}:
        return False
    if det == "indef":
        return not noun.mass and plural is not True
    if det == "num":
        return noun.has_plural and plural is not False
    if det == "bare":
        return (noun.mass and plural is not True) or (noun.has_plural and plural is not False)
    return noun.has_plural or plural is not True


def _spanish_words(words: Words) -> Words:
    """Contract a el -> al, de el -> del; y -> e before an /i/ sound (español e inglés, padre e hijo)."""
    words = [w for phrase in words for w in phrase.split()]
    out: Words = []
    for i, word in enumerate(words):
        if out and out[-1] in ("a", "de") and word == "el":
            out[-1] += "l"
            continue
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if word == "y" and nxt.startswith(("i", "hi")) and not nxt.startswith(("hia", "hie", "hio", "hiu")):
            word = "e"
        out.append(word)
    return out


def _finish(es: Words, en: Words, mark: str) -> SentencePair:
    """Join, capitalize and punctuate both sides (¿...? in Spanish)."""

    def join(words: Words) -> str:
        text = " ".join(words).replace(" ,", ",")
        return text[0].upper() + text[1:]

    es_text, en_text = join(_spanish_words(es)), join(en)
    es_text = f"¿{es_text}?" if mark == "?" else es_text + mark
    en_text += mark
    return SentencePair(es_text, en_text, normalize_words(en_text))


def _generate(n: int, seed: int) -> list[tuple[str, SentencePair]]:
    """``n`` distinct pairs with the name of the template each came from."""
    grammar = _Grammar(load_lexicon(), random.Random(seed))
    out: list[tuple[str, SentencePair]] = []
    seen_es: set[str] = set()
    seen_en: set[str] = set()
    for _ in range(200 * n + 1000):
        if len(out) == n:
            return out
        drawn = grammar.sentence()
        if drawn is None or drawn[1].es in seen_es or drawn[1].en_norm in seen_en:
            continue
        seen_es.add(drawn[1].es)
        seen_en.add(drawn[1].en_norm)
        out.append(drawn)
    raise ValueError(f"the grammar did not yield {n} distinct sentence pairs")


def generate_pairs(n: int, seed: int = 0) -> list[SentencePair]:
    """``n`` distinct pairs (no two with the same ``es`` or the same ``en_norm``), the same for the same seed."""
    return [pair for _, pair in _generate(n, seed)]


def split_pairs(pairs: Sequence[SentencePair], n_dev: int, n_test: int, seed: int = 0,
                ) -> tuple[list[SentencePair], list[SentencePair], list[SentencePair]]:  # fmt: skip
    """train, dev, test: disjoint sentences, and every English and Spanish word of dev and test occurs at least twice
    in train, so that the held-out splits test unseen sentences, not unseen words.

    Pairs are drawn for dev and test in a seeded random order, skipping any whose removal would leave one of its
    words fewer than two times in train; train keeps the input order.
    """
    if len({p.es for p in pairs}) != len(pairs) or len({p.en_norm for p in pairs}) != len(pairs):
        raise ValueError("split_pairs: the pairs are not distinct")
    words = [Counter([("en", w) for w in p.en_norm.split()] + [("es", w) for w in normalize_words(p.es).split()])
             for p in pairs]  # fmt: skip
    in_train: Counter[tuple[str, str]] = Counter()
    for counts in words:
        in_train.update(counts)
    order = list(range(len(pairs)))
    random.Random(seed).shuffle(order)
    held: list[int] = []
    for i in order:
        if len(held) == n_dev + n_test:
            break
        if all(in_train[w] - k >= 2 for w, k in words[i].items()):
            in_train.subtract(words[i])
            held.append(i)
    if len(held) < n_dev + n_test:
        raise ValueError(f"split_pairs: only {len(held)} pairs can be held out with their words kept in train")
    held_set = set(held)
    train = [p for i, p in enumerate(pairs) if i not in held_set]
    return train, [pairs[i] for i in held[:n_dev]], [pairs[i] for i in held[n_dev:]]
