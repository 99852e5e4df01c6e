"""The aligner's acoustic model: log-mel at a 5 ms hop, CMVN, a few convolutions, HMM-state posteriors per frame.

No time subsampling: every mel frame gets a distribution over the ``n_phones * n_states`` HMM states, because
boundaries are wanted to a few milliseconds. The network sees little context on purpose (by default +-2 frames,
so +-22 ms of audio with the 25 ms window): it is trained on its own Viterbi alignments, and a model that sees
far (a BiLSTM, a deep conv stack) learns to reproduce wherever those put the boundaries, flat-start errors
included, while a local one can only say what each frame sounds like, so realignment moves boundaries to where
the sound changes. On the mini LJSpeech corpus (reference phone sequences, 3-5 rounds) the mean boundary error
was 32 ms with convolutions and a BiLSTM, 22 ms with four k=5 convolutions (+-8 frames), 13 ms with this. Emission scores for Viterbi are scaled likelihoods, log posterior
minus ``prior_scale`` times log prior; the priors (state shares of the last training alignment) and the CMVN
statistics are buffers, so the weights file alone carries everything the network needs.

A model directory holds ``config.yaml`` (:class:`AlignerConfig`), ``model.pt`` (``{"model": state_dict}``, plain
tensors: loads with ``weights_only=True``) and ``phones.txt`` (the acoustic phones, one per line, ``sil`` first).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor, nn

from speechkit.align.config import AlignerConfig
from speechkit.align.graph import SIL
from speechkit.config import config_from_dict, save_config
from speechkit.errors import SpeechkitError
from speechkit.features.cmvn import GlobalCMVN, frame_mask
from speechkit.features.mel import LogMel
from speechkit.utils import checkpoint
from speechkit.utils.atomic import write_text_atomic


class AlignerModel(nn.Module):
    """Waves to features (:meth:`features`), features to HMM-state logits (:meth:`forward`), logits to emission
    scores (:meth:`emissions`)."""

    def __init__(self, cfg: AlignerConfig, phones: Sequence[str]) -> None:
        super().__init__()
        if not phones or phones[0] != SIL:
            raise ValueError(f"the phone list must start with {SIL!r}, got {list(phones)[:3]}")
        self.cfg, self.phones = cfg, list(phones)
        self.n_classes = len(self.phones) * cfg.n_states
        self.mel = LogMel(cfg.features.mel())
        self.cmvn = GlobalCMVN(cfg.features.n_mels)
        dims = [cfg.features.n_mels] + [cfg.net.channels] * len(cfg.net.kernels)
        self.convs = nn.ModuleList(
            nn.Sequential(nn.Conv1d(a, b, k, padding=k // 2), nn.BatchNorm1d(b), nn.ReLU())
            for a, b, k in zip(dims, dims[1:], cfg.net.kernels))
        self.out = nn.Conv1d(dims[-1], self.n_classes, 1)
        self.register_buffer("log_prior", torch.full((self.n_classes,), -torch.log(torch.tensor(self.n_classes))))

    @torch.no_grad()
    def features(self, wavs: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Log-mels ``(B, F, n_mels)`` and frame counts ``(B,)`` of zero-padded waves ``(B, samples)``."""
        return self.mel(wavs, lengths)

    def forward(self, feats: Tensor, lengths: Tensor) -> Tensor:
        """HMM-state logits ``(B, F, n_classes)`` of raw log-mels; frames past ``lengths`` are padding."""
        x = self.cmvn(feats, lengths).transpose(1, 2)
        valid = frame_mask(lengths, feats.shape[1])[:, None, :]
        for conv in self.convs:
            x = conv(x) * valid  # zero padding between layers too, as each utterance alone would see it
        return self.out(x).transpose(1, 2)

    def emissions(self, logits: Tensor) -> Tensor:
        """Scaled log-likelihoods ``(..., n_classes + 1)``; the extra last column scores ``spn`` as the best
        speech state of the frame (a filler that matches any speech)."""
        scores = logits.log_softmax(-1) - self.cfg.prior_scale * self.log_prior
        return torch.cat([scores, scores[..., self.cfg.n_states :].amax(-1, keepdim=True)], -1)


def save_aligner(model: AlignerModel, model_dir: str | Path) -> None:
    """Write config, weights and phone list into ``model_dir`` (each file atomically)."""
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    save_config(model.cfg, model_dir / "config.yaml")
    write_text_atomic(model_dir / "phones.txt", "".join(p + "\n" for p in model.phones))
    checkpoint.save({"model": {k: v.cpu() for k, v in model.state_dict().items()}}, model_dir / "model.pt")


def load_aligner(model_dir: str | Path, device: str | torch.device = "cpu") -> AlignerModel:
    """The aligner saved in ``model_dir``, in eval mode; a missing or mismatched file is a user error."""
    import yaml

    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise SpeechkitError(model_dir, "aligner model directory not found (train one with --train)")
    for name in ("config.yaml", "phones.txt", "model.pt"):
        if not (model_dir / name).is_file():
            raise SpeechkitError(model_dir / name, "not found: is this an aligner model directory?")
    try:
        raw = yaml.safe_load((model_dir / "config.yaml").read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise SpeechkitError(model_dir / "config.yaml", f"invalid YAML ({str(e).splitlines()[0]})") from None
    cfg = config_from_dict(AlignerConfig, raw or {}, str(model_dir / "config.yaml"))
    phones = (model_dir / "phones.txt").read_text(encoding="utf-8").split()
    if not phones or phones[0] != SIL:
        raise SpeechkitError(model_dir / "phones.txt", f"the phone list must start with {SIL!r}")
    model = AlignerModel(cfg, phones)
    try:
        model.load_state_dict(checkpoint.load(model_dir / "model.pt")["model"])
    except (RuntimeError, KeyError) as e:
        raise SpeechkitError(model_dir / "model.pt", f"weights do not fit config.yaml and phones.txt ({e})") from None
    return model.to(device).eval()
