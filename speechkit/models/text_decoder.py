"""An autoregressive Transformer decoder over text units, shared by the MT model and the direct S2ST model.

Ids are :class:`~speechkit.lang.tokens.BpeTokenizer` ids plus one (:data:`PIECE_OFFSET`): 0 is padding and 1
(the tokenizer's CTC blank, which text never holds) marks the start and the end of a sentence (:data:`EOS_ID`).
Decoding is greedy or beam search with a length penalty (GNMT's ``((5 + n) / 6) ** length_penalty``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from speechkit.models.conformer import padding_mask
from speechkit.models.fastspeech2 import sinusoids

PAD_ID, EOS_ID, PIECE_OFFSET = 0, 1, 1


@dataclass
class TextDecoderConfig:
    """The autoregressive linguistic decoder: pre-norm Transformer layers of ``d_model`` with cross-attention."""

    d_model: int = 256
    layers: int = 4
    heads: int = 4
    ffn_dim: int = 1024
    dropout: float = 0.1


def token_embedding(n_ids: int, d_model: int) -> nn.Embedding:
    """An embedding that is multiplied by ``sqrt(d_model)`` before the sinusoidal positions are added, initialized
    with std ``d_model ** -0.5`` as in Vaswani et al.: the scaled vectors then have unit variance like the
    positions. With PyTorch's default (unit std) they would be ``sqrt(d_model)`` times larger and drown the word
    order, which showed as repeated and dropped words. Id 0 is padding."""
    embed = nn.Embedding(n_ids, d_model, padding_idx=PAD_ID)
    nn.init.normal_(embed.weight, std=d_model**-0.5)
    with torch.no_grad():
        embed.weight[PAD_ID].zero_()
    return embed


class DecoderLayer(nn.Module):
    """Pre-norm causal self-attention, cross-attention and feed-forward, each residual; also returns the
    cross-attention output (the context)."""

    def __init__(self, cfg: TextDecoderConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.self_attn = nn.MultiheadAttention(d, cfg.heads, dropout=cfg.dropout, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(d, cfg.heads, dropout=cfg.dropout, batch_first=True)
        self.ffn = nn.Sequential(nn.Linear(d, cfg.ffn_dim), nn.GELU(), nn.Dropout(cfg.dropout),
                                 nn.Linear(cfg.ffn_dim, d))  # fmt: skip
        self.norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(3))
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: Tensor, memory: Tensor, memory_mask: Tensor, causal: Tensor,
                pad: Tensor) -> tuple[Tensor, Tensor]:  # fmt: skip
        h = self.norms[0](x)
        x = x + self.dropout(self.self_attn(h, h, h, attn_mask=causal, key_padding_mask=pad, need_weights=False)[0])
        context = self.cross_attn(self.norms[1](x), memory, memory, key_padding_mask=memory_mask,
                                  need_weights=False)[0]  # fmt: skip
        x = x + self.dropout(context)
        return x + self.dropout(self.ffn(self.norms[2](x))), context

    def step(self, x: Tensor, past: Tensor, memory: Tensor, memory_mask: Tensor) -> tuple[Tensor, Tensor]:
        """Inference for one new position: ``x`` ``(B, 1, d)``, ``past`` the normalized inputs of the earlier
        positions ``(B, t, d)`` (what self-attention reads) -> the output and ``past`` with this position added."""
        h = self.norms[0](x)
        past = torch.cat([past, h], 1)
        x = x + self.self_attn(h, past, past, need_weights=False)[0]
        x = x + self.cross_attn(self.norms[1](x), memory, memory, key_padding_mask=memory_mask, need_weights=False)[0]
        return x + self.ffn(self.norms[2](x)), past


class TextDecoder(nn.Module):
    """Piece ids ``(B, L)`` (begin-of-sentence first) and encoder ``memory`` -> next-piece logits, the last layer's
    states and its attention contexts ``(B, L, d)``."""

    def __init__(self, cfg: TextDecoderConfig, n_ids: int) -> None:
        super().__init__()
        self.embed = token_embedding(n_ids, cfg.d_model)
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.layers))
        self.norm = nn.LayerNorm(cfg.d_model)
        self.out = nn.Linear(cfg.d_model, n_ids)
        self.scale = cfg.d_model**0.5

    def forward(self, ids: Tensor, lengths: Tensor, memory: Tensor,
                memory_mask: Tensor) -> tuple[Tensor, Tensor, Tensor]:  # fmt: skip
        L = ids.shape[1]
        x = self.embed(ids) * self.scale + sinusoids(L, self.embed.embedding_dim, ids.device)
        causal = torch.triu(torch.ones(L, L, dtype=torch.bool, device=ids.device), 1)
        pad = padding_mask(lengths, L)
        context = x
        for layer in self.layers:
            x, context = layer(x, memory, memory_mask, causal, pad)
        x = self.norm(x)
        return self.out(x), x, context

    def _step(self, ids: Tensor, pos: int, cache: list[Tensor], memory: Tensor,
              memory_mask: Tensor) -> tuple[Tensor, list[Tensor]]:  # fmt: skip
        """Log-probabilities of the next id after ``ids`` ``(B,)`` at position ``pos``, and the layers' caches
        (eval mode: :meth:`forward` without dropout, one position at a time)."""
        d = self.embed.embedding_dim
        x = self.embed(ids)[:, None] * self.scale + sinusoids(pos + 1, d, ids.device)[pos]
        new = []
        for layer, past in zip(self.layers, cache):
            x, past = layer.step(x, past, memory, memory_mask)
            new.append(past)
        logits = self.out(self.norm(x))[:, 0].float()
        logits[:, PAD_ID] = float("-inf")  # padding is never a next piece
        return logits.log_softmax(-1), new

    def _empty_cache(self, n: int, memory: Tensor) -> list[Tensor]:
        return [memory.new_zeros(n, 0, self.embed.embedding_dim) for _ in self.layers]

    @torch.no_grad()
    def greedy(self, memory: Tensor, memory_mask: Tensor, max_len: int) -> list[list[int]]:
        """The most likely next id at every step, for a batch; tokenizer ids (end marker removed)."""
        B, device = memory.shape[0], memory.device
        ids = torch.full((B, 1), EOS_ID, dtype=torch.long, device=device)
        done = torch.zeros(B, dtype=torch.bool, device=device)
        cache = self._empty_cache(B, memory)
        for pos in range(max_len):
            logits, cache = self._step(ids[:, -1], pos, cache, memory, memory_mask)
            nxt = logits.argmax(-1).masked_fill(done, PAD_ID)
            ids = torch.cat([ids, nxt[:, None]], 1)
            done |= nxt == EOS_ID
            if done.all():
                break
        return [_tokenizer_ids(row) for row in ids[:, 1:].tolist()]

    @torch.no_grad()
    def beam_search(self, memory: Tensor, memory_mask: Tensor, max_len: int, beam: int = 4,
                    length_penalty: float = 0.6) -> list[list[int]]:  # fmt: skip
        """Beam search, one utterance at a time (its ``beam`` hypotheses form the batch); tokenizer ids of the best
        finished hypothesis by log-probability over the length penalty."""
        return [self._beam_one(memory[i : i + 1], memory_mask[i : i + 1], max_len, beam, length_penalty)
                for i in range(len(memory))]  # fmt: skip

    def _beam_one(self, memory: Tensor, memory_mask: Tensor, max_len: int, beam: int, alpha: float) -> list[int]:
        device = memory.device
        ids = torch.full((1, 1), EOS_ID, dtype=torch.long, device=device)
        scores = torch.zeros(1, device=device)
        finished: list[tuple[float, list[int]]] = []
        cache = self._empty_cache(1, memory)
        for step in range(1, max_len + 1):
            n = len(ids)
            logp, cache = self._step(ids[:, -1], step - 1, cache, memory.expand(n, -1, -1), memory_mask.expand(n, -1))
            total = (scores[:, None] + logp).flatten()
            top, flat = total.topk(min(beam, len(total)))
            rows, nxt = flat // logp.shape[1], flat % logp.shape[1]
            keep = []
            for score, row, token in zip(top.tolist(), rows.tolist(), nxt.tolist()):
                if token == EOS_ID:
                    finished.append((score / ((5 + step) / 6) ** alpha, ids[row, 1:].tolist()))
                else:
                    keep.append((score, row, token))
            best_open = max((s for s, _, _ in keep), default=float("-inf")) / ((5 + max_len) / 6) ** alpha
            if not keep or (len(finished) >= beam and max(f for f, _ in finished) >= best_open):
                break
            scores = torch.tensor([s for s, _, _ in keep], device=device)
            rows = [r for _, r, _ in keep]
            ids = torch.cat([ids[rows], torch.tensor([[t] for _, _, t in keep], device=device)], 1)
            cache = [c[rows] for c in cache]
        if not finished:
            finished = [(float(s), row[1:]) for s, row in zip(scores.tolist(), ids.tolist())]
        return _tokenizer_ids(max(finished, key=lambda f: f[0])[1] + [EOS_ID])


def _tokenizer_ids(row: list[int]) -> list[int]:
    """Decoder ids up to the end marker, as tokenizer ids."""
    row = row[: row.index(EOS_ID)] if EOS_ID in row else [i for i in row if i != PAD_ID]
    return [i - PIECE_OFFSET for i in row]
