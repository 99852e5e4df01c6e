"""Conformer-CTC: the recognition front end and encoder that ASR and SLU share, and the plain ASR model.

Log-mel features -> CMVN -> SpecAugment (training only) -> 4x conv subsampling -> Conformer layers.
:class:`ConformerCTC` holds that stack; :class:`ASRModel` adds one CTC output layer over the top layer and
:class:`speechkit.models.slu.SLUModel` adds phone, BPE and intent heads. The attribute names of the stack
(``logmel``, ``cmvn``, ``specaug``, ``subsample``, ``encoder``) are the prefixes of the weights on disk, so they are
part of the model-dir format.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from speechkit.features.cmvn import GlobalCMVN, accumulate_stats
from speechkit.features.mel import LogMel, MelConfig
from speechkit.features.specaug import SpecAugment
from speechkit.models.conformer import ConformerEncoder
from speechkit.models.subsampling import Conv2dSubsampling


@dataclass
class EncoderConfig:
    d_model: int = 144
    num_heads: int = 4
    ffn_dim: int = 576
    num_layers: int = 6
    kernel_size: int = 15
    dropout: float = 0.1
    subsampling_channels: int = 64


@dataclass
class SpecAugConfig:
    freq_masks: int = 2
    freq_width: int = 15
    time_masks: int = 2
    time_width: float = 0.05


class ConformerCTC(nn.Module):
    """Waveforms to encoder layers; subclasses add the output heads and ``forward``."""

    def __init__(self, mel: MelConfig, encoder: EncoderConfig, specaug: SpecAugConfig) -> None:
        super().__init__()
        self.logmel = LogMel(mel)
        self.cmvn = GlobalCMVN(mel.n_mels)
        self.specaug = SpecAugment(specaug.freq_masks, specaug.freq_width, specaug.time_masks, specaug.time_width)
        self.subsample = Conv2dSubsampling(mel.n_mels, encoder.d_model, encoder.subsampling_channels, encoder.dropout)
        self.encoder = ConformerEncoder(encoder.d_model, encoder.num_heads, encoder.ffn_dim, encoder.num_layers,
                                        encoder.kernel_size, encoder.dropout)  # fmt: skip

    @torch.no_grad()
    def features(self, wavs: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Normalized log-mels (B, T, n_mels) and their lengths; augmented in training mode."""
        feats, flens = self.logmel(wavs, lengths)
        feats = self.cmvn(feats, flens)
        return self.specaug(feats, flens), flens

    @torch.no_grad()
    def init_cmvn(self, batches: Iterable[tuple[Tensor, Tensor]]) -> None:
        """Set the CMVN statistics from ``(wavs (B, T), lengths (B,))`` batches of unaugmented training audio."""
        self.cmvn.set_stats(*accumulate_stats(self.logmel(wavs, lengths) for wavs, lengths in batches))

    def encode(self, feats: Tensor, lengths: Tensor, keep: set[int]) -> tuple[dict[int, Tensor], Tensor]:
        """``feats`` from :meth:`features` -> ``{layer: (B, T', d)}`` for the 1-based layers in ``keep``, and the
        subsampled lengths ``(B,)``."""
        x, xlens = self.subsample(feats, lengths)
        return self.encoder(x, xlens, keep), xlens


@dataclass
class ASRModelConfig:
    """Architecture; ``n_tokens`` (CTC outputs, blank included) is filled in from the token model."""

    mel: MelConfig = field(default_factory=MelConfig)
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    specaug: SpecAugConfig = field(default_factory=SpecAugConfig)
    n_tokens: int = 0


class ASRModel(ConformerCTC):
    """Waveforms in, CTC log-probabilities over the tokens (id 0 the blank) out.

    Example::

        model = ASRModel(ASRModelConfig(n_tokens=30)).eval()
        wavs, lengths = torch.randn(2, 16000), torch.tensor([16000, 12000])
        out = model(*model.features(wavs, lengths))  # out["log_probs"] (2, 24, 30), out["lengths"] [24, 17]
    """

    def __init__(self, cfg: ASRModelConfig) -> None:
        super().__init__(cfg.mel, cfg.encoder, cfg.specaug)
        self.cfg = cfg
        self.head = nn.Linear(cfg.encoder.d_model, cfg.n_tokens)

    def forward(self, feats: Tensor, lengths: Tensor) -> dict[str, Tensor]:
        """``feats`` from :meth:`features` -> ``log_probs`` (B, T', n_tokens) and their ``lengths`` (B,)."""
        top = self.cfg.encoder.num_layers
        layers, xlens = self.encode(feats, lengths, {top})
        return {"log_probs": self.head(layers[top]).log_softmax(-1), "lengths": xlens}


def ctc_greedy(log_probs: torch.Tensor, lengths: torch.Tensor, blank: int = 0) -> list[list[int]]:
    """Best-path labels: per-frame argmax, repeats merged, blanks removed.

    ``log_probs`` (B, T, V), ``lengths`` (B,) -> one list of token ids per utterance.
    """
    best = log_probs.argmax(-1).cpu()
    out = []
    for seq, n in zip(best, lengths.tolist()):
        seq = torch.unique_consecutive(seq[:n])
        out.append(seq[seq != blank].tolist())
    return out
