"""The one place models are built and loaded: train, decode, align and synth all come through here.

A model dir holds ``model.yaml`` (``kind`` plus that kind's architecture config), ``model.pt`` (plain tensors,
loaded with ``weights_only=True``) and ``lang/`` (tokens). Loading checks that the weights, the config and the
token inventory agree, so a model is never run against a token set it was not trained on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import yaml
from torch import nn

from speechkit.config import config_from_dict, config_to_dict
from speechkit.errors import SpeechkitError
from speechkit.models.aligner import AlignerModel, AlignerModelConfig
from speechkit.models.ctc import ASRModel, ASRModelConfig
from speechkit.models.fastspeech2 import FastSpeech2, FastSpeech2Config
from speechkit.models.hifigan import HiFiGAN, HiFiGANConfig
from speechkit.models.mt import MTModel, MTModelConfig
from speechkit.models.s2st import S2STModel, S2STModelConfig
from speechkit.models.slu import SLUModel, SLUModelConfig
from speechkit.models.vocos import Vocos, VocosConfig
from speechkit.utils.atomic import write_text_atomic
from speechkit.utils.checkpoint import load, save

KINDS: dict[str, tuple[type, type[nn.Module]]] = {
    "slu": (SLUModelConfig, SLUModel),
    "asr": (ASRModelConfig, ASRModel),
    "hifigan": (HiFiGANConfig, HiFiGAN),
    "vocos": (VocosConfig, Vocos),
    "fastspeech2": (FastSpeech2Config, FastSpeech2),
    "aligner": (AlignerModelConfig, AlignerModel),
    "s2st": (S2STModelConfig, S2STModel),
    "mt": (MTModelConfig, MTModel),
}


def build_model(kind: str, cfg: Any) -> nn.Module:
    """A freshly initialized model of ``kind`` from its architecture config."""
    return KINDS[kind][1](cfg)


def save_model_config(model_dir: Path, kind: str, cfg: Any) -> None:
    write_text_atomic(model_dir / "model.yaml", yaml.safe_dump({"kind": kind, "config": config_to_dict(cfg)},
                                                               sort_keys=False))  # fmt: skip


def save_model(model_dir: str | Path, kind: str, model: nn.Module) -> None:
    """Write ``model.yaml`` (``model.cfg``) and ``model.pt`` (its weights, on the CPU) into ``model_dir``."""
    model_dir = Path(model_dir)
    save_model_config(model_dir, kind, model.cfg)
    save({"model": {k: v.cpu() for k, v in model.state_dict().items()}}, model_dir / "model.pt")


def load_model_config(model_dir: Path) -> tuple[str, Any]:
    """``(kind, config)`` from ``model_dir/model.yaml``."""
    path = Path(model_dir) / "model.yaml"
    if not Path(model_dir).is_dir():
        raise SpeechkitError(model_dir, "model directory not found")
    if not path.is_file():
        raise SpeechkitError(path, "not found: is this a trained model directory?")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise SpeechkitError(path, f"invalid YAML ({str(e).splitlines()[0]})") from None
    kind = raw.get("kind") if isinstance(raw, dict) else None
    if kind not in KINDS:
        raise SpeechkitError(path, f"unknown model kind {kind!r} (known: {', '.join(KINDS)})")
    return kind, config_from_dict(KINDS[kind][0], raw.get("config") or {}, str(path))


def load_model(model_dir: str | Path, device: str | torch.device = "cpu") -> tuple[Any, nn.Module]:
    """Config and model (eval mode, on ``device``) from a model dir; mismatched weights are a user error."""
    model_dir = Path(model_dir)
    kind, cfg = load_model_config(model_dir)
    model = build_model(kind, cfg)
    state = load(model_dir / "model.pt")["model"]
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        first = next((line.strip() for line in str(e).splitlines() if "size mismatch" in line), str(e).splitlines()[0])
        raise SpeechkitError(model_dir / "model.pt", f"weights do not fit model.yaml and lang/ ({first})") from None
    return cfg, model.to(device).eval()
