"""The Spanish-English sentence grammar of the mini CVSS corpus: determinism, size, splits, and the constructions
that make Spanish and English differ (agreement, adjective order, pronoun drop, personal "a", al/del,
do-support, questions, gustar, hay)."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from collections import Counter

import pytest

from speechkit.data.text import normalize_words
from speechkit.mini.es_en_lexicon import (
    Noun,
    indefinite_article,
    ing_form,
    load_lexicon,
    parse_lexicon,
    third_person,
)
from speechkit.mini.sentences import (
    _NP,
    SentencePair,
    _finish,
    _Grammar,
    _Retry,
    _spanish_words,
    generate_pairs,
    split_pairs,
)

LEX = load_lexicon()


@pytest.fixture(scope="module")
def corpus() -> list[SentencePair]:
    return generate_pairs(2600, seed=0)


def _es_words(pair: SentencePair) -> list[str]:
    return normalize_words(pair.es).split()


def _grammar(seed: int = 0) -> _Grammar:
    return _Grammar(LEX, random.Random(seed))


def _draws(template: str, n: int = 300) -> list[SentencePair]:
    """``n`` sentences from one template (draws that fail are skipped)."""
    g, out = _grammar(7), []
    for _ in range(n):
        try:
            out.append(_finish(*getattr(g, f"t_{template}")()))
        except _Retry:
            pass
    return out


# --- determinism, size, form


def test_same_seed_same_pairs_whatever_else_runs_and_other_seeds_differ() -> None:
    first = generate_pairs(300, seed=3)
    random.seed(99)
    random.random()  # the global random state must not matter
    assert generate_pairs(300, seed=3) == first
    assert generate_pairs(300, seed=4) != first
    assert generate_pairs(50, seed=3) == first[:50]


def test_same_pairs_in_a_process_with_another_hash_seed() -> None:
    """Set iteration order changes with PYTHONHASHSEED; the pairs must not."""
    code = "from speechkit.mini.sentences import generate_pairs; print(repr(generate_pairs(200, 5)))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == repr(generate_pairs(200, 5))


def test_pairs_are_distinct_short_and_written_like_prompts(corpus: list[SentencePair]) -> None:
    assert len(corpus) == 2600
    assert len({p.es for p in corpus}) == len({p.en_norm for p in corpus}) == 2600
    lengths = [len(p.en_norm.split()) for p in corpus]
    assert min(lengths) >= 3 and max(lengths) <= 10
    assert sum(5 <= n <= 8 for n in lengths) / len(lengths) > 0.6
    for p in corpus:
        assert p.en_norm == normalize_words(p.en) and p.en_norm == p.en_norm.lower()
        assert not re.search(r"\d", p.es + p.en)
        assert p.es[-1] in ".?" and p.en[-1] == p.es[-1]
        assert (p.es[0] == "¿") == (p.es[-1] == "?")
        assert p.es.lstrip("¿")[0].isupper() and p.en[0].isupper()
        assert "  " not in p.es + p.en and " ," not in p.es + p.en


def test_at_least_400_english_words(corpus: list[SentencePair]) -> None:
    assert len({w for p in corpus for w in p.en_norm.split()}) >= 400


def test_every_template_is_used(corpus: list[SentencePair]) -> None:
    es = " ".join(p.es for p in corpus)
    markers = ("¿Qué", "¿Dónde", "¿Quién", "¿Cuánt", "¿De qué color", "Hay ", "gusta", "por favor", " va a ",
               " está ", " es ", " puede", " quiere", "nunca", " y ")  # fmt: skip
    for marker in markers:
        assert marker in es, marker


# --- splits


def test_splits_hold_out_sentences_whose_words_are_all_in_train(corpus: list[SentencePair]) -> None:
    train, dev, test = split_pairs(corpus, 200, 200, seed=0)
    assert (len(train), len(dev), len(test)) == (2200, 200, 200)
    assert sorted(map(repr, train + dev + test)) == sorted(map(repr, corpus))
    seen_en = {p.en_norm for p in train}
    seen_es = {p.es for p in train}
    assert not {p.en_norm for p in dev + test} & seen_en and not {p.es for p in dev + test} & seen_es
    assert not {p.es for p in dev} & {p.es for p in test}
    en_counts = Counter(w for p in train for w in p.en_norm.split())
    es_counts = Counter(w for p in train for w in _es_words(p))
    for p in dev + test:
        assert all(en_counts[w] >= 2 for w in p.en_norm.split()), p
        assert all(es_counts[w] >= 2 for w in _es_words(p)), p
    assert split_pairs(corpus, 200, 200, seed=0) == (train, dev, test)
    assert split_pairs(corpus, 200, 200, seed=1)[1] != dev


def test_split_refuses_what_it_cannot_do(corpus: list[SentencePair]) -> None:
    with pytest.raises(ValueError, match="not distinct"):
        split_pairs(corpus[:10] + corpus[:1], 1, 1)
    with pytest.raises(ValueError, match="held out"):
        split_pairs(corpus[:20], 10, 10)


# --- morphology and the lexicon


def test_spanish_verb_forms() -> None:
    firsts = {v.es: v.present(0) for v in LEX.verbs}
    assert firsts["querer"] == "quiero" and firsts["poder"] == "puedo" and firsts["dormir"] == "duermo"
    assert firsts["jugar"] == "juego" and firsts["tener"] == "tengo" and firsts["hacer"] == "hago"
    assert firsts["traer"] == "traigo" and firsts["conducir"] == "conduzco" and firsts["ver"] == "veo"
    assert firsts["ir"] == "voy" and firsts["cerrar"] == "cierro" and firsts["comer"] == "como"
    assert LEX.verb("vivir").present(3) == "vivimos" and LEX.verb("dormir").present(3) == "dormimos"
    assert LEX.verb("estar").present(1) == "estás" and LEX.verb("hablar").present(4) == "hablan"
    assert [LEX.verb(v).gerund() for v in ("leer", "dormir", "traer", "comer", "hablar", "escribir")] == [
        "leyendo", "durmiendo", "trayendo", "comiendo", "hablando", "escribiendo"]  # fmt: skip
    assert [LEX.verb(v).imperative() for v in ("cerrar", "poner", "hacer", "jugar", "abrir")] == [
        "cierra", "pon", "haz", "juega", "abre"]  # fmt: skip


def test_english_morphology() -> None:
    assert [third_person(v) for v in ("wash", "teach", "go", "kiss", "fix", "study", "cry", "play", "buy", "eat")] == [
        "washes", "teaches", "goes", "kisses", "fixes", "studies", "cries", "plays", "buys", "eats"]  # fmt: skip
    assert LEX.verb("tener").en_present(2) == "has" and LEX.verb("tener").en_present(4) == "have"
    assert [ing_form(v) for v in ("make", "see", "swim", "cut", "open", "visit", "play", "draw", "read")] == [
        "making", "seeing", "swimming", "cutting", "opening", "visiting", "playing", "drawing", "reading"]  # fmt: skip
    assert [indefinite_article(w) for w in ("apple", "old", "umbrella", "egg", "big", "car")] == [
        "an", "an", "an", "an", "a", "a"]  # fmt: skip
    plurals = {n.en: n.en_pl for n in LEX.nouns}
    assert plurals["man"] == "men" and plurals["child"] == "children" and plurals["mouse"] == "mice"
    assert plurals["knife"] == "knives" and plurals["sheep"] == "sheep" and plurals["city"] == "cities"


def test_spanish_articles_and_adjective_agreement() -> None:
    noun = {n.es: n for n in LEX.nouns}
    adj = {a.es: a for a in LEX.adjectives}
    assert noun["agua"].article(False) == "el" and noun["agua"].article(False, definite=False) == "un"
    assert adj["frío"].form("f", False) == "fría"  # el agua fría
    assert noun["leche"].article(False) == "la" and noun["mapa"].article(True) == "los"
    assert noun["moto"].article(False) == "la" and noun["mapa"].article(False) == "el"
    assert [adj["rojo"].form(g, pl) for g in "mf" for pl in (False, True)] == ["rojo", "rojos", "roja", "rojas"]
    assert [adj["azul"].form("f", pl) for pl in (False, True)] == ["azul", "azules"]
    assert adj["joven"].form("f", True) == "jóvenes" and adj["marrón"].form("f", True) == "marrones"


def test_lexicon_selections_all_match_words_and_bad_lines_are_refused() -> None:
    noun_tags = {t for n in LEX.nouns for t in n.tags}
    for v in LEX.verbs:
        assert v.subj <= noun_tags | {"person"} and v.obj <= noun_tags, v.es
        assert not v.acts or any(p.acts & v.acts for p in LEX.places) or any(f.acts & v.acts for f in LEX.locs), v.es
    for a in LEX.adjectives:
        assert a.tags <= noun_tags, a.es
    for p in LEX.places:
        assert p.holds <= noun_tags and p.rel_holds <= noun_tags and set(p.rels) <= set(LEX.spatial), p.noun.es
    assert 90 <= len(LEX.nouns) <= 120 and 40 <= len(LEX.adjectives) <= 50
    assert 45 <= len({v.es for v in LEX.verbs}) <= 60
    with pytest.raises(ValueError, match="line 2"):
        parse_lexicon("# header\nnoun|dog|dogs|perro|perros|m\n")
    with pytest.raises(ValueError, match="not a noun"):
        parse_lexicon("place|mesa|on|thing|-|-|-\n")


# --- constructions


def test_contractions_and_y_before_i() -> None:
    assert _finish(["veo", "a", "el", "niño"], ["I", "see", "the", "child"], ".").es == "Veo al niño."
    assert _finish(["cerca de", "el", "parque"], ["near", "the", "park"], ".").es == "Cerca del parque."
    assert _finish(["a", "él", "le", "gusta"], ["he", "likes", "it"], ".").es == "A él le gusta."
    assert _spanish_words(["español", "y", "inglés"]) == ["español", "e", "inglés"]
    assert _spanish_words(["padre", "y", "hijo"]) == ["padre", "e", "hijo"]
    assert _spanish_words(["agua", "y", "hielo"]) == ["agua", "y", "hielo"]  # /je/, not /i/


def test_no_uncontracted_articles_and_y_e_in_the_corpus(corpus: list[SentencePair]) -> None:
    words = [_es_words(p) for p in corpus]
    assert not any(re.search(r"\b(a|de) el\b", p.es) for p in corpus)
    assert sum("al" in w for w in words) > 20 and sum("del" in w for w in words) > 20
    for w in words:
        for a, b in zip(w, w[1:]):
            assert not (a == "y" and re.match(r"h?i[^aeiou]", b)), w


def test_determiners_agree_with_their_nouns(corpus: list[SentencePair]) -> None:
    forms: dict[str, set[tuple[str, bool]]] = {}  # noun form: (gender, plural), "paraguas" is both numbers
    for n in LEX.nouns:
        forms.setdefault(n.es, set()).add((n.gender, False))
        if n.has_plural:
            forms.setdefault(n.es_pl, set()).add((n.gender, True))
    agrees = {"el": {("m", False)}, "la": {("f", False)}, "los": {("m", True)}, "las": {("f", True)},
              "un": {("m", False)}, "una": {("f", False)},
              "cuántos": {("m", True)}, "cuántas": {("f", True)}}  # fmt: skip
    for d in LEX.possessives + LEX.demonstratives:  # mi mi mis mis, este esta estos estas
        for i, form in enumerate(d.forms):
            agrees.setdefault(form, set()).add(("mf"[i % 2], i >= 2))
    for num in LEX.numbers:
        agrees[num.es] = {("m", True), ("f", True)}
    agrees["al"] = agrees["del"] = agrees["el"]
    checked = 0
    for p in corpus:
        w = _es_words(p)
        for det, word in zip(w, w[1:]):
            if det in agrees and word in forms and word != "agua":  # el agua, esta agua: checked below
                assert forms[word] & agrees[det], (det, word, p.es)
                checked += 1
    assert checked > 2000
    assert any(re.search(r"\bel agua\b", p.es) for p in corpus)  # feminine, but "el agua"


def test_adjectives_follow_the_noun_and_agree_in_spanish_precede_it_in_english(corpus: list[SentencePair]) -> None:
    nouns: dict[str, list[tuple[Noun, bool]]] = {}  # "paraguas" is singular and plural
    for n in LEX.nouns:
        nouns.setdefault(n.es, []).append((n, False))
        if n.has_plural:
            nouns.setdefault(n.es_pl, []).append((n, True))
    verb_forms = {v.present(i) for v in LEX.verbs for i in range(5)}  # "corta": short, or cuts
    adj_forms = {a.form(g, pl): a for a in LEX.adjectives for g in "mf" for pl in (False, True)}
    adj_forms = {form: a for form, a in adj_forms.items() if form not in verb_forms}
    fem_plural = 0
    for p in corpus:
        w = _es_words(p)
        for word, nxt in zip(w, w[1:]):
            if word in nouns and nxt in adj_forms:
                adj = adj_forms[nxt]
                readings = [(n, pl) for n, pl in nouns[word] if nxt == adj.form(n.gender, pl)]
                assert readings, p.es
                noun, plural = readings[0]
                assert f"{adj.en} {noun.en_pl if plural else noun.en}".lower() in p.en_norm, p
                if noun.gender == "f" and plural:
                    assert nxt.endswith(("as", "es")), p.es
                    fem_plural += 1
    assert fem_plural > 10
    g = _grammar(1)
    casa = next(n for n in LEX.nouns if n.es == "casa")
    for _ in range(20):
        np = g.np(casa, ("def",), plural=True, adj_p=1.0)
        assert np.es[0] == "las" and np.es[1] == "casas" and np.es[2].endswith(("as", "es"))
        assert np.en[0] == "the" and np.en[-1] == "houses" and len(np.en) == 3


def test_spanish_drops_yo_tu_nosotros_english_never_drops(corpus: list[SentencePair]) -> None:
    for p in corpus:
        w = _es_words(p)
        assert not {"tú", "nosotros", "nosotras"} & set(w), p.es
        assert all(w[i - 1] == "y" for i, x in enumerate(w) if x == "yo"), p.es  # only "mi hermana y yo"
    starts = Counter(p.en.split()[0] for p in corpus)
    assert starts["I"] > 50 and starts["We"] > 30 and starts["You"] > 30
    dropped = [p for p in corpus if p.en.split()[0] in ("I", "You", "We")]
    assert not [p for p in dropped if _es_words(p)[0] in ("yo", "tú", "nosotros", "nosotras")]
    for p in _draws("estar_state"):  # estoy cansado / cansada: the ending still agrees with the dropped subject
        w = _es_words(p)
        if p.en.startswith("We are") and w[0] == "estamos":
            assert w[1] == "muy" or w[1].endswith("s"), p.es


def test_personal_a_before_people_but_not_with_tener() -> None:
    g = _grammar(2)
    for es_verb in ("ayudar", "llamar", "visitar", "abrazar"):
        for _ in range(30):
            obj, words = g.object(LEX.verb(es_verb), _NP((), ()))
            if "human" in obj.noun.tags:
                assert words[0] == "a", words
    for _ in range(60):
        obj, words = g.object(LEX.verb("tener"), _NP((), ()))
        assert words[0] != "a", words
    assert _finish(["veo", "a", "la", "niña"], ["I", "see", "the", "girl"], ".") == SentencePair(
        "Veo a la niña.", "I see the girl.", "i see the girl")


def test_questions_invert_in_spanish_and_use_do_support_in_english() -> None:
    for p in _draws("yes_no"):
        first, second = p.en.split()[:2]
        assert p.es.startswith("¿") and p.en.endswith("?")
        assert first in ("Do", "Does")
        if second in ("he", "she"):
            assert first == "Does"
        if second in ("you", "they"):
            assert first == "Do"
        assert _es_words(p)[0] not in ("el", "la", "los", "las", "mi", "tu"), p.es  # the verb comes first
    for p in _draws("what"):
        assert p.es.startswith("¿Qué ") and p.en.startswith("What ")
        assert p.en.split()[1] in ("do", "does", "am", "is", "are"), p.en


def test_do_support_in_negation_and_never_without_no(corpus: list[SentencePair]) -> None:
    bases = {v.en_base for v in LEX.verbs} | {"like", "want"}
    for p in corpus:
        w = p.en_norm.split()
        for i, word in enumerate(w[:-2]):
            if word in ("do", "does") and w[i + 1] == "not":
                assert w[i + 2] in bases, p.en
        assert not re.search(r"\b(I|you|we|they) does\b|\b(he|she) do\b", p.en), p.en
        if "nunca" in _es_words(p):
            assert "no" not in _es_words(p) and "never" in w and "not" not in w, p
    assert any("does not" in p.en for p in corpus) and any(" do not " in p.en for p in corpus)


def test_gustar_swaps_its_arguments_and_generic_articles_become_bare() -> None:
    draws = _draws("gustar", 400)
    plural_dets = ("los", "las", "mis", "tus", "nuestros", "nuestras", "estos", "estas", "esos", "esas")
    generic = 0
    for p in draws:
        w = _es_words(p)
        verb = "gustan" if "gustan" in w else "gusta"
        after = w[w.index(verb) + 1]
        assert (after in plural_dets) == (verb == "gustan"), p.es
        assert w[w.index(verb) - 1] in ("me", "te", "le", "nos", "les"), p.es
        assert re.search(r"\blikes?\b", p.en), p.en
        if after in ("el", "la", "los", "las") and not {"de", "del"} & set(w[w.index(verb) :]):
            like = next(x for x in p.en_norm.split() if x in ("like", "likes"))
            assert p.en_norm.split()[p.en_norm.split().index(like) + 1] != "the", p  # me gusta el café / I like coffee
            generic += 1
        if p.es[0] != "¿" and w[0] == "a" and w[1] not in ("él", "ella", "ellos", "ellas"):  # a mi hermano le gusta
            assert p.en_norm.split()[0] in ("my", "your", "our", "the"), p.en
    assert generic > 50


def test_hay_agrees_with_what_there_is() -> None:
    numbers = {n.es: n.en for n in LEX.numbers}
    for p in _draws("hay"):
        w = _es_words(p)
        thing = w[w.index("hay") + 1]
        assert thing not in ("el", "la", "los", "las"), p.es  # hay never takes a definite article
        if thing in ("un", "una"):
            assert re.match(r"(there is|is there) an? ", p.en_norm), p
        elif thing in numbers:
            assert re.match(rf"(there are|are there) {numbers[thing]} ", p.en_norm), p
        elif p.es.startswith("No hay"):
            assert re.match(r"there (is|are) no ", p.en_norm), p


def test_ser_estar_and_the_preposition_of_en() -> None:
    for p in _draws("estar_place"):
        w = _es_words(p)
        assert any(x in w for x in ("está", "están", "estoy", "estás", "estamos")), p.es
    prep = {pl.noun.es: pl.prep for pl in LEX.places}
    assert (prep["mesa"], prep["cocina"], prep["escuela"], prep["autobús"]) == ("on", "in", "at", "on")
    g = _grammar(3)
    libro = next(n for n in LEX.nouns if n.es == "libro")
    spatial = {s.es: s.en for s in LEX.spatial.values()}
    for _ in range(50):
        es, en = g.location(libro, rel_p=0.5)
        phrase = _spanish_words(es)
        if phrase[0] == "en":  # en la mesa / on the table, en casa / at home
            assert en[0].split()[0] in ("on", "in", "at") and len(phrase) >= 2
        elif es[0] in spatial:
            assert en[0] == spatial[es[0]]
    for p in _draws("ser"):
        assert any(x in _es_words(p) for x in ("es", "son", "soy", "eres", "somos")), p.es


def test_imperatives_and_going_to() -> None:
    imperatives = {v.imperative() for v in LEX.verbs if "cmd" in v.flags}
    for p in _draws("imperative"):
        w = _es_words(p)
        assert (w[2] if w[:2] == ["por", "favor"] else w[0]) in imperatives, p.es
        assert p.en.split()[0] in ({v.en_base.capitalize() for v in LEX.verbs} | {"Please"}), p.en
        assert ("please" in p.en_norm) == ("por favor" in p.es.lower())
    for p in _draws("going_to"):
        assert re.search(r"\b(am|is|are)( not)? going to\b", p.en_norm) or p.en.split()[0] in ("Am", "Is", "Are")
        assert re.search(r"\b(voy|vas|va|vamos|van)\b.* a \w+(ar|er|ir)\b", p.es.lower()), p.es
