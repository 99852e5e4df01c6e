"""Text-to-text translation: a Transformer encoder over source pieces and the shared autoregressive decoder.

The cascade's middle stage (ASR -> MT -> TTS). Source ids are :class:`~speechkit.lang.tokens.BpeTokenizer` ids
(0 is padding, since text never holds the CTC blank); target ids are those of :mod:`speechkit.models.text_decoder`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from speechkit.models.conformer import padding_mask
from speechkit.models.fastspeech2 import sinusoids
from speechkit.models.text_decoder import PIECE_OFFSET, TextDecoder, TextDecoderConfig, token_embedding


@dataclass
class MTModelConfig:
    """Architecture: the encoder's layers share the decoder's width, heads and feed-forward size.
    ``n_source_pieces``/``n_target_pieces`` (tokenizer ids, blank included) are filled in from the data."""

    encoder_layers: int = 4
    decoder: TextDecoderConfig = field(default_factory=TextDecoderConfig)
    n_source_pieces: int = 0
    n_target_pieces: int = 0
    max_pieces: int = 60


class MTModel(nn.Module):
    """Source ids in, next-target-id logits out; :meth:`translate` decodes."""

    def __init__(self, cfg: MTModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.decoder
        self.embed = token_embedding(cfg.n_source_pieces, d.d_model)
        layer = nn.TransformerEncoderLayer(d.d_model, d.heads, d.ffn_dim, d.dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, cfg.encoder_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d.d_model)
        self.text_decoder = TextDecoder(d, cfg.n_target_pieces + PIECE_OFFSET)

    def encode(self, src: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """``src`` ``(B, S)`` ids of ``lengths`` -> ``memory`` ``(B, S, d)`` and its padding mask."""
        mask = padding_mask(lengths, src.shape[1])
        x = self.embed(src) * self.embed.embedding_dim**0.5 + sinusoids(src.shape[1], self.embed.embedding_dim,
                                                                       src.device)  # fmt: skip
        return self.norm(self.encoder(x, src_key_padding_mask=mask)), mask

    def forward(self, src: Tensor, src_lengths: Tensor, inputs: Tensor, input_lengths: Tensor) -> Tensor:
        """Teacher-forced logits ``(B, L, n_ids)`` of the decoder ``inputs`` (start marker first)."""
        memory, mask = self.encode(src, src_lengths)
        return self.text_decoder(inputs, input_lengths, memory, mask)[0]

    @torch.no_grad()
    def translate(self, src: Tensor, lengths: Tensor, beam: int = 4) -> list[list[int]]:
        """Target tokenizer ids of each source (beam search; greedy with ``beam`` 1)."""
        memory, mask = self.encode(src, lengths)
        if beam > 1:
            return self.text_decoder.beam_search(memory, mask, self.cfg.max_pieces, beam)
        return self.text_decoder.greedy(memory, mask, self.cfg.max_pieces)
