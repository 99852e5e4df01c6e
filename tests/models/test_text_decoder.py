"""The shared autoregressive decoder: causality, greedy and beam search against exhaustive search."""

from __future__ import annotations

import itertools

import torch

from speechkit.models.text_decoder import EOS_ID, PIECE_OFFSET, TextDecoder, TextDecoderConfig, token_embedding

CFG = TextDecoderConfig(d_model=16, layers=2, heads=2, ffn_dim=32, dropout=0.0)


def _decoder(n_ids: int = 5, seed: int = 0) -> tuple[TextDecoder, torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    dec = TextDecoder(CFG, n_ids).eval()
    memory = torch.randn(1, 7, 16)
    return dec, memory, torch.zeros(1, 7, dtype=torch.bool)


@torch.no_grad()
def _log_prob(dec: TextDecoder, memory: torch.Tensor, mask: torch.Tensor, seq: list[int]) -> float:
    """log P(seq + end) under the decoder (decoder ids), with padding excluded as the searches exclude it."""
    ids = torch.tensor([[EOS_ID, *seq]])
    logp = dec(ids, torch.tensor([ids.shape[1]]), memory, mask)[0][0]
    logp[:, 0] = float("-inf")
    logp = logp.log_softmax(-1)
    return float(sum(logp[i, t] for i, t in enumerate([*seq, EOS_ID])))


def test_states_do_not_see_the_future() -> None:
    dec, memory, mask = _decoder()
    a = dec(torch.tensor([[1, 2, 3, 4]]), torch.tensor([4]), memory, mask)[0]
    b = dec(torch.tensor([[1, 2, 3, 2]]), torch.tensor([4]), memory, mask)[0]
    assert torch.allclose(a[:, :3], b[:, :3], atol=1e-6) and not torch.allclose(a[:, 3], b[:, 3])


def test_beam_search_finds_the_exhaustive_best_and_beam_one_is_greedy() -> None:
    for seed in range(5):
        dec, memory, mask = _decoder(seed=seed)
        pieces = range(2, 5)  # decoder ids of real pieces
        candidates = [list(s) for n in range(0, 4) for s in itertools.product(pieces, repeat=n)]
        best = max(candidates, key=lambda s: _log_prob(dec, memory, mask, s) / ((5 + len(s) + 1) / 6) ** 0.6)
        found = dec.beam_search(memory, mask, max_len=4, beam=200)[0]
        assert [i + PIECE_OFFSET for i in found] == best, seed
        assert dec.beam_search(memory, mask, max_len=4, beam=1) == dec.greedy(memory, mask, max_len=4)


@torch.no_grad()
def test_cached_steps_give_the_full_passes_log_probabilities() -> None:
    dec, memory, mask = _decoder()
    ids = torch.tensor([[EOS_ID, 3, 2, 4, 2]])
    full = dec(ids, torch.tensor([5]), memory, mask)[0][0]
    full[:, 0] = float("-inf")
    cache = dec._empty_cache(1, memory)
    for pos in range(5):
        step, cache = dec._step(ids[:, pos], pos, cache, memory, mask)
        assert torch.allclose(step[0], full[pos].log_softmax(-1), atol=1e-5)


def test_token_embedding_leaves_room_for_positions() -> None:
    """Scaled by sqrt(d) the embeddings have unit variance, like the sinusoidal positions added to them."""
    embed = token_embedding(600, 192)
    scaled = embed.weight[1:] * 192**0.5
    assert 0.9 < float(scaled.std()) < 1.1 and torch.all(embed.weight[0] == 0)
