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
import torch.nn.functional as F

from speechkit.config import save_config
from speechkit.data.datadir import Utterance, load_data_dir
from speechkit.decode.ctc import ctc_greedy
from speechkit.lang.tokens import BpeTokenizer, train_bpe
from speechkit.models.builder import build_model, save_model_config
from speechkit.models.ctc import ASRModel, ASRModelConfig
from speechkit.score.asr import align_sentence, asr_scores
from speechkit.train.audio_data import AudioDataConfig, AudioTask
from speechkit.train.loop import LoopConfig, console, train

TOKEN_MODEL = "lang/bpe"
"""Where the token model goes in the experiment dir (``.model`` and ``.vocab`` appended), as in an SLU model dir."""


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
    """CTC loss and validation WER/CER for :func:`speechkit.train.loop.train`; the data is :class:`AudioTask`'s."""

    def __init__(self, cfg: ASRConfig, tokenizer: BpeTokenizer) -> None:
        self.cfg, self.tokenizer = cfg, tokenizer
        dc = cfg.data
        super().__init__(dc, load_data_dir(dc.train), load_data_dir(dc.valid), cfg.model.mel.sample_rate,
                         cfg.train.seed)  # fmt: skip

    def targets(self, utt: Utterance) -> dict[str, list[int]]:
        return {"tokens": self.tokenizer.encode(utt.text)}

    def start_epoch(self, model: ASRModel, epoch: int) -> None:
        """Nothing to switch: every layer trains in every epoch."""

    def loss(self, model: ASRModel, b: dict[str, Any], epoch: int) -> tuple[torch.Tensor, dict[str, float], int]:
        out = model(b["feats"], b["feat_lengths"])
        loss = F.ctc_loss(out["log_probs"].float().transpose(0, 1), b["tokens"], out["lengths"], b["tokens_lengths"],
                          zero_infinity=True)  # fmt: skip
        return loss, {}, len(b["utt"])

    def validate(self, model: ASRModel, epoch: int, device: torch.device) -> dict[str, float]:
        """Greedy-CTC WER and CER (%) on the validation set; the score is -CER (steadier than WER on few words)."""
        results = []
        for idx, _, out in self.validation_outputs(model, device):
            for hyp, i in zip(ctc_greedy(out["log_probs"], out["lengths"]), idx):
                u = self.valid_utts[i]
                results.append(align_sentence(u.utt, u.text, self.tokenizer.decode(hyp)))
        scores = asr_scores(results)
        return {"wer": float(scores["wer"]), "cer": float(scores["cer"]), "score": -float(scores["cer"])}


def train_asr(cfg: ASRConfig, device: torch.device) -> dict[str, Any]:
    """Train the ASR model into ``cfg.exp_dir`` (resuming if it holds checkpoints); return the loop's summary."""
    exp = Path(cfg.exp_dir)
    (exp / "lang").mkdir(parents=True, exist_ok=True)
    texts = [u.text for u in load_data_dir(cfg.data.train)]
    train_bpe(texts, exp / TOKEN_MODEL, cfg.tokens.size, cfg.tokens.type)
    tokenizer = BpeTokenizer(exp / f"{TOKEN_MODEL}.model")
    cfg.model.n_tokens = len(tokenizer)
    task = ASRTask(cfg, tokenizer)
    torch.manual_seed(cfg.train.seed)
    model = build_model("asr", cfg.model)
    if not (exp / "ckpt").is_dir():
        task.init_cmvn(model)
    save_config(cfg, exp / "config.yaml")
    save_model_config(exp, "asr", cfg.model)
    n_params = sum(p.numel() for p in model.parameters()) / 1e6
    console.print(f"ASR model: {n_params:.2f} M parameters, {cfg.model.n_tokens} {cfg.tokens.type} tokens, "
                  f"{len(task.train_utts)} training utterances")  # fmt: skip
    return train(task, model, cfg.train, exp, device)
