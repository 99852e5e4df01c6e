"""FastSpeech 2 (Ren et al., 2021): phones to log-mels, non-autoregressively.

Token embedding -> FFT-block encoder -> variance adaptor (durations, pitch, energy; :mod:`.variance`) -> length
regulator -> FFT-block decoder -> linear to mels -> a convolutional postnet that adds a residual. An FFT block is
self-attention plus a 1-d convolutional feed-forward layer, each with a residual and post-LayerNorm.

The model predicts mels z-normalized per bin (statistics are buffers, so the model dir carries them) and
:meth:`FastSpeech2.synthesize` returns them in the log-mel scale of :mod:`speechkit.features.mel`, which every
vocoder consumes. Padding is zeroed before every convolution and masked in attention, so an utterance gives the
same mels alone or in a batch.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from speechkit.features.cmvn import GlobalCMVN
from speechkit.features.mel import LOG_FLOOR, TTS_MEL, MelConfig
from speechkit.models.conformer import padding_mask
from speechkit.models.variance import Controls, VarianceAdaptor, VarianceConfig

PAD = "<pad>"


@dataclass
class FFTConfig:
    """A stack of FFT blocks; the feed-forward layer is a conv of ``kernel_size`` then a 1x1 conv back."""

    layers: int = 4
    heads: int = 2
    ffn_dim: int = 1024
    kernel_size: int = 9
    dropout: float = 0.2


@dataclass
class PostnetConfig:
    layers: int = 5
    channels: int = 512
    kernel_size: int = 5
    dropout: float = 0.5


@dataclass
class FastSpeech2Config:
    """Architecture (defaults: the paper's sizes). ``tokens`` (id order, ``<pad>`` first) and the edge-silence
    flags are filled in from the training data: the front end adds ``sil`` at the start / end when most training
    utterances have it there."""

    mel: MelConfig = TTS_MEL
    d_model: int = 256
    encoder: FFTConfig = field(default_factory=FFTConfig)
    decoder: FFTConfig = field(default_factory=FFTConfig)
    variance: VarianceConfig = field(default_factory=VarianceConfig)
    postnet: PostnetConfig = field(default_factory=PostnetConfig)
    tokens: list[str] = field(default_factory=list)
    leading_sil: bool = True
    trailing_sil: bool = True


def sinusoids(length: int, d: int, device: torch.device) -> Tensor:
    """Transformer positional encodings ``(length, d)``: sines on even and cosines on odd dimensions."""
    pos = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, d, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / d))
    enc = torch.zeros(length, d, device=device)
    enc[:, 0::2] = torch.sin(pos * freq)
    enc[:, 1::2] = torch.cos(pos * freq[: d // 2])
    return enc


class FFTBlock(nn.Module):
    """Self-attention and a convolutional feed-forward layer, each residual with post-LayerNorm.

    Dropout acts on the residual branches only: dropout on the ``(T, T)`` attention weights of frame sequences
    costs about a sixth of a CPU training step and the residual dropout already regularizes.
    """

    def __init__(self, d_model: int, cfg: FFTConfig) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, cfg.heads, batch_first=True)
        self.norm1 = nn.LayerNorm(d_model)
        self.conv1 = nn.Conv1d(d_model, cfg.ffn_dim, cfg.kernel_size, padding=cfg.kernel_size // 2)
        self.conv2 = nn.Conv1d(cfg.ffn_dim, d_model, 1)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """``x`` ``(B, T, d)`` with zeros on padding, ``mask`` ``(B, T)`` True on padding."""
        h = self.attn(x, x, x, key_padding_mask=mask, need_weights=False)[0]
        x = self.norm1(x + self.dropout(h)).masked_fill(mask[..., None], 0.0)
        h = self.conv2(self.conv1(x.transpose(1, 2)).relu()).transpose(1, 2)
        return self.norm2(x + self.dropout(h)).masked_fill(mask[..., None], 0.0)


class FFTStack(nn.Module):
    """Positional encoding plus FFT blocks: ``(B, T, d)``, lengths ``(B,)`` -> ``(B, T, d)``."""

    def __init__(self, d_model: int, cfg: FFTConfig) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(FFTBlock(d_model, cfg) for _ in range(cfg.layers))
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        mask = padding_mask(lengths, x.shape[1])
        x = self.dropout(x + sinusoids(x.shape[1], x.shape[2], x.device)).masked_fill(mask[..., None], 0.0)
        for block in self.blocks:
            x = block(x, mask)
        return x


class Postnet(nn.Module):
    """Tacotron 2's postnet: conv -> BatchNorm -> tanh layers whose output is added to the decoder's mels."""

    def __init__(self, n_mels: int, cfg: PostnetConfig) -> None:
        super().__init__()
        dims = [n_mels] + [cfg.channels] * (cfg.layers - 1) + [n_mels]
        self.convs = nn.ModuleList(nn.Conv1d(a, b, cfg.kernel_size, padding=cfg.kernel_size // 2)
                                   for a, b in itertools.pairwise(dims))  # fmt: skip
        self.norms = nn.ModuleList(nn.BatchNorm1d(b) for b in dims[1:])
        nn.init.zeros_(self.norms[-1].weight)  # starts as the identity: a random residual would only add noise
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, mel: Tensor, mask: Tensor) -> Tensor:
        """``mel`` ``(B, T, n_mels)`` -> the refined mels, zero on padding (``mask`` True)."""
        h = mel.transpose(1, 2)
        keep = (~mask)[:, None, :]
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            h = norm(conv(h * keep))
            h = self.dropout(h if i == len(self.convs) - 1 else h.tanh())
        return (mel + h.transpose(1, 2)).masked_fill(mask[..., None], 0.0)


class MelDecoder(nn.Module):
    """The second half of FastSpeech 2, shared with the speech-to-speech translator's synthesizer: variance adaptor,
    length regulator, FFT-block decoder, linear to z-normalized mels and the postnet. Subclasses build the
    ``(B, N, d)`` token sequence it expands, then call :meth:`build_mel_decoder` (after their own layers, so that
    random initialization draws in the order of the data flow)."""

    def build_mel_decoder(self, cfg: FastSpeech2Config) -> None:
        d, n_mels = cfg.d_model, cfg.mel.n_mels
        self.variance = VarianceAdaptor(d, cfg.variance)
        self.decoder = FFTStack(d, cfg.decoder)
        self.mel_out = nn.Linear(d, n_mels)
        self.postnet = Postnet(n_mels, cfg.postnet)
        self.mel_norm = GlobalCMVN(n_mels)

    def set_feature_stats(self, stats: dict[str, Any]) -> None:
        """The training set's mel, pitch and energy statistics (``tts.features.read_stats``) into the normalization
        buffers of a fresh model."""
        self.mel_norm.set_stats(torch.tensor(stats["mel"]["mean"]), torch.tensor(stats["mel"]["std"]))
        for norm, key in ((self.variance.pitch_norm, "pitch"), (self.variance.energy_norm, "energy")):
            norm.set_stats(torch.tensor([stats[key]["mean"]]), torch.tensor([stats[key]["std"]]))

    def decode_mels(self, x: Tensor, lengths: Tensor, durations: Tensor | None = None, pitch: Tensor | None = None,
                    energy: Tensor | None = None, controls: Controls = Controls()) -> dict[str, Tensor]:  # fmt: skip
        """``x`` ``(B, N, d)`` token states of ``lengths`` ``(B,)``; training passes the targets ``durations``
        (frames), raw ``pitch`` (log-F0) and ``energy``, all ``(B, N)``.

        Returns :meth:`VarianceAdaptor.forward`'s entries plus ``mel`` and ``mel_post`` ``(B, T, n_mels)``
        (z-normalized, zero on padding).
        """
        out = self.variance(x, lengths, durations, pitch, energy, controls)
        mask = padding_mask(out["frame_lengths"], out["frames"].shape[1])
        y = self.decoder(out.pop("frames"), out["frame_lengths"])
        out["mel"] = self.mel_out(y).masked_fill(mask[..., None], 0.0)
        out["mel_post"] = self.postnet(out["mel"], mask)
        return out

    def log_mel(self, out: dict[str, Tensor]) -> dict[str, Tensor]:
        """From :meth:`decode_mels`'s output at inference: ``log_mel`` ``(B, T, n_mels)`` in the log-mel scale
        (padding at the log floor), its ``frame_lengths`` ``(B,)`` and the ``durations`` ``(B, N)`` used."""
        mask = padding_mask(out["frame_lengths"], out["mel_post"].shape[1])
        log_mel = out["mel_post"] / self.mel_norm.istd + self.mel_norm.mean
        log_mel = log_mel.masked_fill(mask[..., None], math.log(LOG_FLOOR))
        return {"log_mel": log_mel, "frame_lengths": out["frame_lengths"], "durations": out["durations"]}


class FastSpeech2(MelDecoder):
    """Token ids in; z-normalized mels (before and after the postnet) and variance predictions out."""

    def __init__(self, cfg: FastSpeech2Config) -> None:
        if len(cfg.tokens) < 2 or cfg.tokens[0] != PAD:
            raise ValueError(f"tokens must start with {PAD!r} and hold at least one phone, got {cfg.tokens[:3]}")
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(len(cfg.tokens), cfg.d_model, padding_idx=0)
        self.encoder = FFTStack(cfg.d_model, cfg.encoder)
        self.build_mel_decoder(cfg)

    def forward(self, tokens: Tensor, lengths: Tensor, durations: Tensor | None = None, pitch: Tensor | None = None,
                energy: Tensor | None = None, controls: Controls = Controls()) -> dict[str, Tensor]:  # fmt: skip
        """``tokens`` ``(B, N)`` ids (0-padded) of ``lengths`` ``(B,)``; the rest as :meth:`MelDecoder.decode_mels`."""
        return self.decode_mels(self.encoder(self.embed(tokens), lengths), lengths, durations, pitch, energy, controls)

    @torch.no_grad()
    def synthesize(self, tokens: Tensor, lengths: Tensor, controls: Controls = Controls()) -> dict[str, Tensor]:
        """Inference: :meth:`MelDecoder.log_mel` of the predicted mels."""
        return self.log_mel(self.forward(tokens, lengths, controls=controls))
