"""The ASR task: a Conformer-CTC recognizer over characters (or small BPE / unigram pieces).

It exists to measure the intelligibility of synthesized speech (``speechkit score tts --asr-model``), so it is
trained on the same corpus as the TTS model. Test sentences hold words the training set never has, so the default
units are characters: every word can be spelled. The token model is a sentencepiece model trained on the training
text at the start (deterministically), so the recipe needs no separate lang stage. The experiment dir is a complete
model dir: ``config.yaml``, ``model.yaml``, ``model.pt`` and ``lang/bpe.model``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch

from speechkit.data.datadir import Utterance, load_data_dir
from speechkit.lang.tokens import trained_tokenizer
from speechkit.models.ctc import ASRModel, ASRModelConfig
from speechkit.score.asr import asr_scores
from speechkit.train.audio_data import AudioDataConfig, AudioTask, ctc_loss
from speechkit.train.loop import LoopConfig, millions

TOKEN_MODEL = "lang/bpe.model"
"""Where the token model goes in the experiment dir (with its ``.vocab``), as in an SLU model dir."""


@dataclass
class TokenConfig:
    """Sentencepiece units: ``char`` (one per character; ``size`` unused), or ``bpe`` / ``unigram`` of ``size``."""

    type: Literal["char", "bpe", "unigram"] = "char"
    size: int = 100


@dataclass
class ASRConfig:
    task: str = "asr"
    exp_dir: str = "exp/asr"
    data: AudioDataConfig = field(default_factory=AudioDataConfig)
    tokens: TokenConfig = field(default_factory=TokenConfig)
    model: ASRModelConfig = field(default_factory=ASRModelConfig)
    train: LoopConfig = field(default_factory=LoopConfig)


class ASRTask(AudioTask):
    """CTC loss and validation WER/CER; the data is :class:`AudioTask`'s. Trains the token model into the experiment
    dir first and sizes the output layer by it."""

    name = "asr"
    config = ASRConfig

    def __init__(self, cfg: ASRConfig, exp: Path) -> None:
        self.cfg, dc = cfg, cfg.data
        train_utts = load_data_dir(dc.train)
        self.tokenizer = trained_tokenizer([u.text for u in train_utts], exp / TOKEN_MODEL, cfg.tokens.size,
                                           cfg.tokens.type)  # fmt: skip
        cfg.model.n_tokens = len(self.tokenizer)
        super().__init__(dc, train_utts, load_data_dir(dc.valid), cfg.model.mel.sample_rate, cfg.train.seed,
                         cfg.train.accum_grad)

    def describe(self, model: ASRModel) -> str:
        return (f"ASR model: {millions(model)} M parameters, {self.cfg.model.n_tokens} {self.cfg.tokens.type} tokens, "
                f"{len(self.train_utts)} training utterances")  # fmt: skip

    def targets(self, utt: Utterance) -> dict[str, list[int]]:
        return {"tokens": self.tokenizer.encode(utt.text)}

    def start_epoch(self, model: ASRModel, epoch: int) -> None:
        """Nothing to switch: every layer trains in every epoch."""

    def loss(self, model: ASRModel, b: dict[str, Any], epoch: int) -> tuple[torch.Tensor, dict[str, float], int]:
        out = model(b["feats"], b["feat_lengths"])
        return ctc_loss(out["log_probs"], out["lengths"], b["tokens"], b["tokens_lengths"]), {}, len(b["utt"])

    def validate(self, model: ASRModel, epoch: int, device: torch.device) -> dict[str, float]:
        """Greedy-CTC WER and CER (%) on the validation set; the score is -CER (steadier than WER on few words)."""
        results = []
        for idx, _, out in self.validation_outputs(model, device):
            results += self.greedy_results(idx, out["log_probs"], out["lengths"], self.tokenizer.decode)
        scores = asr_scores(results)
        return {"wer": float(scores["wer"]), "cer": float(scores["cer"]), "score": -float(scores["cer"])}
