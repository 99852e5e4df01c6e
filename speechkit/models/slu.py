"""Conformer-CTC spoken language understanding model after Lugosch et al. (2019).

The front end and encoder are :class:`speechkit.models.ctc.ConformerCTC`'s (log-mel, CMVN, SpecAugment, 4x
subsampling, Conformer layers). A phone CTC head reads a lower layer and a BPE CTC head the top layer (the
"pretrained lower layers"); the intent head pools the top layer over time with learned attention and predicts each
slot (action, object, location). With
``intent_from_words`` it also reads a soft bag of words: each BPE unit's highest posterior over time, so the
intent head sees directly which words the CTC layer heard (what Lugosch et al.'s intent module gets from the
word-level layer), instead of having to rediscover them from the pooled encoder state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from speechkit.features.mel import MelConfig
from speechkit.models.conformer import padding_mask
from speechkit.models.ctc import ConformerCTC, EncoderConfig, SpecAugConfig


@dataclass
class SLUModelConfig:
    """Architecture; ``n_phones``, ``n_bpe`` and ``slots`` are filled in from the lang dir and training data."""

    mel: MelConfig = field(default_factory=MelConfig)
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    specaug: SpecAugConfig = field(default_factory=SpecAugConfig)
    phone_layer: int = 3
    intent_hidden: int = 256
    intent_from_words: bool = True
    n_phones: int = 0
    n_bpe: int = 0
    slots: dict[str, list[str]] = field(default_factory=dict)


class AttentionPool(nn.Module):
    """Weighted mean over valid frames with learned scores: (B, T, d) -> (B, d)."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.score = nn.Linear(d, 1)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        scores = self.score(x).squeeze(-1).masked_fill(padding_mask(lengths, x.shape[1]), float("-inf"))
        return torch.einsum("bt,btd->bd", scores.softmax(dim=1), x)


class SLUModel(ConformerCTC):
    """Waveforms in; phone and BPE CTC log-probabilities and per-slot intent logits out."""

    def __init__(self, cfg: SLUModelConfig) -> None:
        super().__init__(cfg.mel, cfg.encoder, cfg.specaug)
        enc = cfg.encoder
        self.cfg = cfg
        self.phone_head = nn.Linear(enc.d_model, cfg.n_phones)
        self.bpe_head = nn.Linear(enc.d_model, cfg.n_bpe)
        self.pool = AttentionPool(enc.d_model)
        d_intent = enc.d_model + (cfg.n_bpe - 1 if cfg.intent_from_words else 0)
        self.slot_heads = nn.ModuleDict(
            {
                slot: nn.Sequential(nn.Linear(d_intent, cfg.intent_hidden), nn.SiLU(),
                                    nn.Linear(cfg.intent_hidden, len(values)))  # fmt: skip
                for slot, values in cfg.slots.items()
            }
        )

    def lower_layers(self) -> list[nn.Module]:
        """The modules pretrained with CTC, which ``freeze_encoder`` keeps fixed while the intent head trains."""
        return [self.subsample, self.encoder, self.phone_head, self.bpe_head]

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor) -> dict[str, torch.Tensor]:
        """``feats`` from :meth:`features`. Returns log-probs ``phone`` (B, T', P), ``bpe`` (B, T', V), their
        ``lengths`` (B,), and ``intent_<slot>`` logits (B, n_values)."""
        layers, xlens = self.encode(feats, lengths, {self.cfg.phone_layer, self.cfg.encoder.num_layers})
        top = layers[self.cfg.encoder.num_layers]
        out = {
            "phone": self.phone_head(layers[self.cfg.phone_layer]).log_softmax(-1),
            "bpe": self.bpe_head(top).log_softmax(-1),
            "lengths": xlens,
        }
        pooled = self.pool(top, xlens)
        if self.cfg.intent_from_words:
            posteriors = out["bpe"][..., 1:].exp().masked_fill(padding_mask(xlens, top.shape[1]).unsqueeze(-1), 0.0)
            pooled = torch.cat([pooled, posteriors.amax(dim=1)], dim=-1)
        out.update({f"intent_{slot}": head(pooled) for slot, head in self.slot_heads.items()})
        return out
