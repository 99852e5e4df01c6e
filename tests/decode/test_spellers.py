"""Word boundaries of character, sentencepiece and phone units."""

from __future__ import annotations

import pytest

from speechkit.decode.spellers import (
    APPEND,
    END,
    START,
    UNFINISHED,
    CharSpeller,
    LexiconSpeller,
    PieceSpeller,
    SpellTables,
)
from speechkit.errors import SpeechkitError


def spell(speller, units: list[int]) -> list[list[str]]:
    """Every word sequence ``units`` can spell (several for homophones), each ending with its unfinished word."""
    paths = [(speller.initial, [])]
    for u in units:
        paths = [(p, ws + ([w] if w else [])) for partial, ws in paths for p, w in speller.step(partial, u)]
    return [ws + ([speller.finish(p)] if speller.finish(p) else []) for p, ws in paths]


def trie_node(tables: SpellTables, text: str) -> int:
    """The node of the tables' trie that ``text`` reaches (-1: off the trie), walked as the compiled search does."""
    alphabet = sorted({c for w in tables.words for c in w})
    node = 0
    for c in text:
        node = tables.edges.get(node * tables.n_symbols + alphabet.index(c), -1) if c in alphabet and node >= 0 else -1
    return node


def test_char_units_end_words_at_the_delimiter() -> None:
    sp = CharSpeller(["<blank>", "|", "h", "i", "o"], vocabulary=["hi", "oh"])
    assert spell(sp, [2, 3, 1, 4, 2]) == [["hi", "oh"]]
    assert spell(sp, [1, 1, 2, 3, 1, 1]) == [["hi"]]  # repeated delimiters make no empty words
    tables = sp.tables(None)
    assert [trie_node(tables, t) >= 0 for t in ("", "h", "hi", "hh", "x")] == [True, True, True, False, False]
    assert [tables.word_at[trie_node(tables, t)] for t in ("h", "hi", "oh")] == [-1, 0, 1]
    assert tables.op.tolist() == [APPEND, END, APPEND, APPEND, APPEND] and tables.closed
    assert not CharSpeller(["<blank>", "|", "h"]).tables(None).closed  # no vocabulary: nothing is misspelled
    with pytest.raises(SpeechkitError, match="delimiter"):
        CharSpeller(["<blank>", "a"], delimiter="|")


def test_pieces_start_words_with_the_marker() -> None:
    sp = PieceSpeller(["<blank>", "▁turn", "▁o", "n", "▁lights"], vocabulary=["turn", "on", "lights"])
    assert spell(sp, [1, 2, 3, 4]) == [["turn", "on", "lights"]]
    assert spell(sp, [3, 1]) == [["n", "turn"]]  # a leading continuation piece is a word of its own
    tables = sp.tables(None)
    assert trie_node(tables, "o") >= 0 and trie_node(tables, "onn") == -1
    assert tables.op.tolist() == [APPEND, START, START, APPEND, START]
    o = sorted(set("turnonlights")).index("o")
    assert tables.symbols[tables.start[2] : tables.start[3]].tolist() == [o]  # "▁o" adds "o"


def test_phones_spell_every_lexicon_word_including_homophones() -> None:
    lexicon = {"hi": [["HH", "AY"]], "high": [["HH", "AY"]], "oh": [["OW"]], "hiya": [["HH", "AY", "AH"]]}
    sp = LexiconSpeller(["<blank>", "HH", "AY", "OW", "AH"], lexicon)
    assert sorted(spell(sp, [1, 2, 3])) == [["hi", "oh"], ["high", "oh"]]
    assert spell(sp, [1, 2, 4]) == [["hiya"]]
    assert spell(sp, [3, 3]) == [["oh", "oh"]]
    assert spell(sp, [1]) == [[UNFINISHED]]  # stopped inside a word
    assert spell(sp, [2]) == []  # no word starts with AY
    with pytest.raises(SpeechkitError, match="'ZH'"):
        LexiconSpeller(["<blank>", "HH"], {"zoo": [["ZH"]]})


def test_completions_give_each_unfinished_word_its_best_vocabulary_word() -> None:
    score = {"the": -1.0, "then": -3.0, "tea": -2.0, "a": -0.5}.__getitem__
    text = CharSpeller(["<blank>", "|", *"thena"], vocabulary=["the", "then", "tea", "a"]).completions(score)
    assert text == {"t": -1.0, "th": -1.0, "the": -3.0, "te": -2.0}  # whole words only as prefixes of longer ones
    assert CharSpeller(["<blank>", "|", "a"]).completions(score) == {}  # no vocabulary, nothing to look ahead to
    lexicon = {"the": [["DH", "AH"]], "then": [["DH", "EH", "N"]], "tea": [["T", "IY"]], "a": [["AH"]]}
    sp = LexiconSpeller(["<blank>", "DH", "AH", "EH", "N", "T", "IY"], lexicon)
    dh = sp.step(sp.initial, 1)[0][0]
    dh_eh = sp.step(dh, 3)[0][0]
    assert sp.completions(score) == {dh: -1.0, dh_eh: -3.0, sp.step(sp.initial, 5)[0][0]: -2.0}
