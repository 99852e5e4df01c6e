"""CTC prefix beam search: exact CTC probabilities, LM fusion, unit kinds, caching and parallel decoding."""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_lms import emissions

from speechkit.decode.beam_search import (
    ALPHA_MAX,
    BETA_MAX,
    CtcBeamSearch,
    DecoderSpec,
    SearchOptions,
    decode_grid,
    decode_many,
)
from speechkit.errors import SpeechkitError
from speechkit.lm import kenlm_tools

EXHAUSTIVE = dict(beam=5000, beam_prune=math.inf, token_min_logp=-math.inf, merge_states=False)
HELLO = ("<blank>", "▁hello", "▁world", "▁word")


def ctc_logp(log_probs: np.ndarray, tokens: tuple[int, ...]) -> float:
    """log P(tokens | x) by torch's CTC loss: the reference."""
    lp = torch.from_numpy(log_probs)[:, None, :]
    if not tokens:
        return float(lp[:, 0, 0].sum())
    loss = torch.nn.functional.ctc_loss(lp, torch.tensor([tokens]), torch.tensor([len(lp)]),
                                        torch.tensor([len(tokens)]), reduction="sum")  # fmt: skip
    return -float(loss)


def random_log_probs(frames: int, units: int, seed: int) -> np.ndarray:
    return torch.randn(frames, units, generator=torch.Generator().manual_seed(seed)).double().log_softmax(-1).numpy()


@pytest.mark.parametrize("with_lm", [False, True])
def test_without_pruning_every_hypothesis_has_its_exact_ctc_probability(with_lm: bool, hi_arpa: Path) -> None:
    lp = random_log_probs(6, 4, seed=0)
    spec = DecoderSpec(("<blank>", "h", "i", "|"), "char", lm=str(hi_arpa) if with_lm else None)
    search = CtcBeamSearch(spec, SearchOptions(**EXHAUSTIVE, alpha=0.0, beta=0.0, unk_score_offset=0.0, nbest=5000))
    hyps = search(lp)
    # every label sequence that fits in 6 frames (a repeat needs a blank between): all of them, once each
    assert len(hyps) == len({h.tokens for h in hyps}) == 358
    for h in hyps:
        assert h.ctc_logp == pytest.approx(ctc_logp(lp, h.tokens), abs=1e-5)
        assert h.score == pytest.approx(h.ctc_logp, abs=1e-9)
    assert np.logaddexp.reduce([h.ctc_logp for h in hyps]) == pytest.approx(0.0, abs=1e-9)
    assert [h.score for h in hyps] == sorted((h.score for h in hyps), reverse=True)


def test_pruned_search_finds_the_exhaustive_best_on_a_peaky_utterance(hello_arpa: Path) -> None:
    frames = [{1: 0.9}, {}, {}, {3: 0.5, 2: 0.4}, {}, {2: 0.05}]
    lp = emissions(frames, 4)
    spec = DecoderSpec(HELLO, "piece", lm=str(hello_arpa))
    pruned = CtcBeamSearch(spec, SearchOptions(beam=4))(lp)[0]
    full = CtcBeamSearch(spec, SearchOptions(**EXHAUSTIVE))(lp)[0]
    assert pruned.tokens == full.tokens == (1, 2)
    # token_min_logp skips units below e^-5 (here 1e-9): only their tiny share of the alignments is missing
    assert pruned.ctc_logp == pytest.approx(ctc_logp(lp, pruned.tokens), abs=1e-2)
    assert pruned.score == pytest.approx(full.score, abs=1e-2)


@pytest.mark.parametrize("spelling", ["char", "piece"])
@pytest.mark.parametrize(("alpha", "beta", "unk"), [(0.5, 1.0, -10.0), (2.0, -1.0, -3.0), (1.0, 4.0, 0.0)])
def test_no_extension_beats_its_parents_lm_bound(hi_arpa: Path, hello_arpa: Path, spelling: str, alpha: float,
                                                 beta: float, unk: float) -> None:  # fmt: skip
    """The bound that lets the search skip extensions holds for every node the searches grew."""
    if spelling == "char":
        units, lm = ("<blank>", "|", "h", "i", "o", "g"), hi_arpa
    else:
        units, lm = ("<blank>", "▁hel", "lo", "▁wor", "ld", "▁hello", "▁world", "▁word", "s"), hello_arpa
    search = CtcBeamSearch(DecoderSpec(units, spelling, lm=str(lm)), SearchOptions(beam=32, unk_score_offset=unk))
    for seed in range(5):
        search(random_log_probs(20, len(units), seed), alpha, beta)
    tree = search._trees[alpha, beta]
    nodes = tree.nodes
    assert tree.size > 200
    assert all(nodes.lm_score[n] <= nodes.lm_bound[nodes.parent[n]] + 1e-9 for n in range(1, tree.size))


def test_keeping_only_each_frames_best_unit_gives_the_best_path() -> None:
    lp = random_log_probs(30, 4, seed=3)
    hyps = CtcBeamSearch(DecoderSpec(HELLO), SearchOptions(token_min_logp=0.0, nbest=3))(lp)
    best_path = [u for i, u in enumerate(lp.argmax(1)) if u != 0 and (i == 0 or u != lp[i - 1].argmax())]
    assert [h.tokens for h in hyps] == [tuple(best_path)]
    assert hyps[0].ctc_logp == pytest.approx(lp.max(1).sum())


def test_lm_fusion_turns_the_acoustic_winner_around(hello_arpa: Path) -> None:
    lp = emissions([{1: 0.9}, {}, {3: 0.5, 2: 0.4}, {}], 4)
    spec = DecoderSpec(HELLO, "piece", lm=str(hello_arpa))
    search = CtcBeamSearch(spec, SearchOptions(alpha=1.0, beta=0.5))
    assert search(lp, alpha=0.0, beta=0.0)[0].text == "hello word"
    best = search(lp)[0]
    assert best.text == "hello world" and best.tokens == (1, 2)
    # alpha * ln(10) * log10 P(hello world </s>) + 2 beta, from the ARPA by hand
    assert best.lm_score == pytest.approx(math.log(10) * (-0.1 - 0.05 - 0.3) + 2 * 0.5, abs=1e-6)
    assert best.ctc_logp == pytest.approx(ctc_logp(lp, best.tokens), abs=1e-5)
    assert CtcBeamSearch(DecoderSpec(HELLO, "piece"))(lp)[0].text == "hello word"  # no LM: acoustics only


def test_char_units_and_a_misspelled_word_penalized_once(hi_arpa: Path) -> None:
    units = ("<blank>", "|", "h", "i", "o")
    spec = DecoderSpec(units, "char", lm=str(hi_arpa))
    search = CtcBeamSearch(spec, SearchOptions(alpha=1.0, beta=0.0, unk_score_offset=-4.0, nbest=3))
    best = search(emissions([{2: 0.9}, {3: 0.9}, {1: 0.9}, {4: 0.9}, {2: 0.9}], 5))[0]
    assert best.words == ("hi", "oh")
    hoo = search(emissions([{2: 0.99}, {}, {4: 0.99}, {}, {4: 0.99}], 5))[0]
    assert hoo.words == ("hoo",)  # never a vocabulary prefix: <unk> to the LM, and the penalty counted once
    assert hoo.lm_score == pytest.approx(math.log(10) * (-0.2 - 1.5 - 0.6) - 4.0, abs=1e-6)  # backoff(<s>) + ..


def test_sentencepiece_words_end_when_the_next_word_starts(hello_arpa: Path) -> None:
    units = ("<blank>", "▁hel", "lo", "▁wor", "ld")
    spec = DecoderSpec(units, "piece", lm=str(hello_arpa))
    best = CtcBeamSearch(spec, SearchOptions(alpha=1.0, beta=0.5))(emissions([{1: .9}, {2: .9}, {3: .9}, {4: .9}], 5))
    assert best[0].words == ("hello", "world") and best[0].tokens == (1, 2, 3, 4)
    assert best[0].lm_score == pytest.approx(math.log(10) * (-0.1 - 0.05 - 0.3) + 1.0, abs=1e-6)


def test_phones_through_a_lexicon_rank_homophones_by_the_lm(hi_arpa: Path) -> None:
    units = ("<blank>", "HH", "AY", "OW")
    lexicon = (("hi", ("HH", "AY")), ("high", ("HH", "AY")), ("oh", ("OW",)))
    spec = DecoderSpec(units, "lexicon", lm=str(hi_arpa), lexicon=lexicon)
    # unmerged: "hi oh" and "high oh" end in the same bigram state, and merging would keep only the better
    options = SearchOptions(alpha=1.0, beta=0.0, nbest=4, merge_states=False)
    hyps = CtcBeamSearch(spec, options)(emissions([{1: .9}, {2: .9}, {3: .9}], 4))
    by_words = {h.words: h for h in hyps}
    best, other = by_words[("hi", "oh")], by_words[("high", "oh")]
    assert hyps[0] is best and best.score > other.score
    assert best.tokens == other.tokens == (1, 2, 3) and best.ctc_logp == other.ctc_logp  # one label sequence


def test_lm_states_and_prefixes_are_cached_across_utterances(hello_arpa: Path, build_binary: Path,
                                                            tmp_path: Path) -> None:  # fmt: skip
    """An ARPA model is scored inside the compiled loop, a binary one by KenLM through a cache: same results."""
    kenlm_tools.build_binary(build_binary, hello_arpa, tmp_path / "hello.bin")
    lp = emissions([{1: 0.9}, {}, {3: 0.5, 2: 0.4}, {}], 4)
    later = emissions([{}, {1: 0.8}, {}, {2: 0.6, 3: 0.3}, {}, {}], 4)  # the same words, another timing
    results = []
    for lm in (hello_arpa, tmp_path / "hello.bin"):
        search = CtcBeamSearch(DecoderSpec(HELLO, "piece", lm=str(lm)), SearchOptions(beam=8))
        first = search(lp)
        misses, hits, nodes = search.lm.misses, search.lm.hits, search._trees[0.5, 1.0].size
        assert search(later)[0].text == first[0].text == "hello world"
        assert search._trees[0.5, 1.0].size == nodes  # every prefix it needed was already in the tree
        assert search(lp, alpha=1.0, beta=0.0)[0].text == "hello world"  # new weights: a new tree, the same LM
        if lm.suffix == ".arpa":
            assert search.lm.misses == search.lm.hits == 0  # KenLM was never asked
        else:
            assert search.lm.misses == misses > 0 and search.lm.hits > hits  # ... whose every question was cached
        results.append([(h.tokens, h.score) for h in search(lp, alpha=1.0, beta=0.5)])
    assert [t for t, _ in results[0]] == [t for t, _ in results[1]]
    assert np.allclose([s for _, s in results[0]], [s for _, s in results[1]], atol=1e-5)


def test_parallel_decoding_equals_serial_and_the_grid_matches_single_weights(hello_arpa: Path) -> None:
    search = CtcBeamSearch(DecoderSpec(HELLO, "piece", lm=str(hello_arpa)), SearchOptions(beam=6, nbest=2))
    utts = [random_log_probs(12, 4, seed) for seed in range(6)]
    assert decode_many(search, utts, nj=2) == decode_many(search, utts, nj=1)
    grid = decode_grid(search, utts, [(0.0, 0.0), (1.0, 2.0)], nj=1)
    assert grid[1] == [search(lp, 1.0, 2.0) for lp in utts]
    assert pickle.loads(pickle.dumps(search))(utts[0]) == search(utts[0])


def test_out_of_range_settings_are_one_clear_line() -> None:
    with pytest.raises(SpeechkitError, match=rf"alpha=12 is out of range: use 0 <= alpha <= {ALPHA_MAX:g}"):
        SearchOptions(alpha=12)
    with pytest.raises(SpeechkitError, match=rf"beta=-25 is out of range: use -{BETA_MAX:g} <= beta"):
        SearchOptions(beta=-25)
    with pytest.raises(SpeechkitError, match="alpha=-1"):
        CtcBeamSearch(DecoderSpec(HELLO))(np.zeros((2, 4)), alpha=-1.0)
    with pytest.raises(SpeechkitError, match="nbest"):
        SearchOptions(beam=2, nbest=3)


def test_an_lm_of_other_words_is_an_error_naming_it(hello_arpa: Path) -> None:
    spec = DecoderSpec(("<blank>", "▁turn", "▁on"), "piece", lm=str(hello_arpa), words=("turn", "on"))
    with pytest.raises(SpeechkitError) as err:
        CtcBeamSearch(spec)
    assert str(err.value).startswith(f"{hello_arpa}: the LM knows none of the 2 words")
