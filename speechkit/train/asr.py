"""The ASR task: a Conformer-CTC recognizer over characters (or small BPE / unigram pieces).

It exists to measure the intelligibility of synthesized speech (``speechkit score tts --asr-model``), so it is
trained on the same corpus as the TTS model. Test sentences hold words the training set never has, so the default
units are characters: every word can be spelled. The token model is a sentencepiece model trained on the training
text at the start (deterministically), so the recipe needs no separate lang stage. The experiment dir is a complete
model dir: ``config.yaml``, ``model.yaml``, ``model.pt`` and ``lang/bpe.model``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from speechkit.config import save_config
from speechkit.data.batching import DurationBatchSampler, read_durations
from speechkit.data.datadir import Utterance, load_data_dir
from speechkit.data.dataset import AudioDataset, collate
from speechkit.decode.ctc import ctc_greedy
from speechkit.lang.tokens import BpeTokenizer, train_bpe
from speechkit.models.builder import build_model, save_model_config
from speechkit.models.ctc import ASRModel, ASRModelConfig
from speechkit.score.asr import align_sentence, asr_scores
from speechkit.train.loop import LoopConfig, console, train

TOKEN_MODEL = "lang/bpe"
"""Where the token model goes in the experiment dir (``.model`` and ``.vocab`` appended), as in an SLU model dir."""


@dataclass
class ASRDataConfig:
    train: str = "data/train"
    valid: str = "data/dev"
    max_seconds: float = 200.0
    max_utts: int = 64
    speed_perturb: list[float] = field(default_factory=lambda: [0.9, 1.0, 1.1])
    cache_audio: bool = True
    num_workers: int = 0


@dataclass
class TokenConfig:
    """Sentencepiece units: ``char`` (one per character; ``size`` unused), or ``bpe`` / ``unigram`` of ``size``."""

    type: Literal["char", "bpe", "unigram"] = "char"
    size: int = 100


@dataclass
class ASRConfig:
    task: str = "asr"
    exp_dir: str = "exp/asr"
    data: ASRDataConfig = field(default_factory=ASRDataConfig)
    tokens: TokenConfig = field(default_factory=TokenConfig)
    model: ASRModelConfig = field(default_factory=ASRModelConfig)
    train: LoopConfig = field(default_factory=LoopConfig)


class ASRTask:
    """Data, CTC loss and validation WER/CER for :func:`speechkit.train.loop.train`."""

    def __init__(self, cfg: ASRConfig, tokenizer: BpeTokenizer) -> None:
        self.cfg, self.tokenizer = cfg, tokenizer
        dc, sr, seed = cfg.data, cfg.model.mel.sample_rate, cfg.train.seed
        self.train_utts, self.valid_utts = load_data_dir(dc.train), load_data_dir(dc.valid)
        self.train_set = AudioDataset(self.train_utts, self.targets, sr, dc.speed_perturb, seed, dc.cache_audio)
        self.valid_set = AudioDataset(self.valid_utts, self.targets, sr, [1.0], seed, dc.cache_audio)
        durations = read_durations(dc.train)
        self.sampler = DurationBatchSampler([durations[u.utt] for u in self.train_utts], dc.max_seconds, dc.max_utts,
                                            seed)  # fmt: skip
        valid_durations = read_durations(dc.valid)
        self.valid_batches = list(DurationBatchSampler([valid_durations[u.utt] for u in self.valid_utts],
                                                       dc.max_seconds, dc.max_utts, seed=0, shuffle=False))  # fmt: skip

    def targets(self, utt: Utterance) -> dict[str, list[int]]:
        return {"tokens": self.tokenizer.encode(utt.text)}

    def num_batches(self, epoch: int) -> int:
        return len(self.sampler)

    def train_batches(self, epoch: int) -> DataLoader:
        self.sampler.set_epoch(epoch)
        self.train_set.set_epoch(epoch)
        return DataLoader(self.train_set, batch_sampler=self.sampler, collate_fn=collate,
                          num_workers=self.cfg.data.num_workers)  # fmt: skip

    def start_epoch(self, model: ASRModel, epoch: int) -> None:
        """Nothing to switch: every layer trains in every epoch."""

    def features(self, model: ASRModel, batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
        batch = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
        batch["feats"], batch["feat_lengths"] = model.features(batch["wav"], batch["wav_lengths"])
        return batch

    def loss(self, model: ASRModel, b: dict[str, Any], epoch: int) -> tuple[torch.Tensor, dict[str, float], int]:
        out = model(b["feats"], b["feat_lengths"])
        loss = F.ctc_loss(out["log_probs"].float().transpose(0, 1), b["tokens"], out["lengths"], b["tokens_lengths"],
                          zero_infinity=True)  # fmt: skip
        return loss, {}, len(b["utt"])

    def validate(self, model: ASRModel, epoch: int, device: torch.device) -> dict[str, float]:
        """Greedy-CTC WER and CER (%) on the validation set; the score is -CER (steadier than WER on few words)."""
        results = []
        for idx in self.valid_batches:
            b = self.features(model, collate([self.valid_set[i] for i in idx]), device)
            out = model(b["feats"], b["feat_lengths"])
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
        plain = AudioDataset(task.train_utts[:1000], lambda u: {}, cfg.model.mel.sample_rate)
        model.init_cmvn(_wav_batches(plain))
    save_config(cfg, exp / "config.yaml")
    save_model_config(exp, "asr", cfg.model)
    n_params = sum(p.numel() for p in model.parameters()) / 1e6
    console.print(f"ASR model: {n_params:.2f} M parameters, {cfg.model.n_tokens} {cfg.tokens.type} tokens, "
                  f"{len(task.train_utts)} training utterances")  # fmt: skip
    return train(task, model, cfg.train, exp, device)


def _wav_batches(dataset: AudioDataset, size: int = 64) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """``(wavs, lengths)`` batches of (up to 1000) unperturbed training utterances, for the CMVN statistics."""
    for start in range(0, len(dataset), size):
        b = collate([dataset[i] for i in range(start, min(start + size, len(dataset)))])
        yield b["wav"], b["wav_lengths"]
