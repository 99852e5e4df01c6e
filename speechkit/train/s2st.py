"""The direct speech-to-speech translation task (:mod:`speechkit.models.s2st`): source speech to target text units
and target speech, trained jointly.

Data: the source-side data dir (``wav.scp``, ``text.<src>``, ``text.<tgt>``) and the target side's (the same keys,
with ``phones``/``durations`` from ``speechkit align`` and the TTS features of ``speechkit prep tts-features``).
Losses: cross-entropy of the next piece (label-smoothed), CTC of the source transcript, and FastSpeech 2's
five acoustic losses (:func:`speechkit.train.tts.losses`) on the synthesizer, weighted by the ``train.*_weight``
keys. Validation: the same losses teacher-forced, and the BLEU of greedy translations of the validation set
(sacrebleu, normalized as ``score s2st`` does), which is the score.

The experiment dir is a complete model dir: ``model.yaml``, ``model.pt`` and the sentencepiece models
``lang/source.model`` and ``lang/target.model``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import Dataset

from speechkit.data.datadir import Utterance, load_data_dir
from speechkit.data.dataset import AudioDataset
from speechkit.data.dataset import collate as collate_audio
from speechkit.errors import SpeechkitError
from speechkit.lang.lexicon import Lexicon, word_of_tokens
from speechkit.lang.tokens import BpeTokenizer, trained_tokenizer
from speechkit.models.builder import load_model, load_model_config
from speechkit.models.s2st import SOURCE_UNITS, TARGET_UNITS, S2STModel, S2STModelConfig
from speechkit.models.text_decoder import EOS_ID, PIECE_OFFSET
from speechkit.score.s2st import bleu_chrf
from speechkit.train.asr import TokenConfig
from speechkit.train.audio_data import AudioDataConfig, AudioTask, ctc_loss
from speechkit.train.loop import LoopConfig, millions
from speechkit.train.tts import TTSDataset, edge_silence, losses, token_inventory
from speechkit.train.tts import collate as collate_acoustic
from speechkit.tts.features import ALIGNMENT_FILES, read_stats
from speechkit.utils.memory import trimmed


@dataclass
class S2STDataConfig(AudioDataConfig):
    """Source-side data dirs, their target sides (aligned) and the target TTS features; the text tables."""

    target_train: str = "data/train_en"
    target_valid: str = "data/dev_en"
    train_feats: str = "exp/feats/train_en"
    valid_feats: str = "exp/feats/dev_en"
    source_text: str = "text.es"
    target_text: str = "text.en"


@dataclass
class S2STTokens:
    """Source units (CTC on the transcript) and target units (what the linguistic decoder writes)."""

    source: TokenConfig = field(default_factory=lambda: TokenConfig("char"))
    target: TokenConfig = field(default_factory=lambda: TokenConfig("bpe", 600))


@dataclass
class S2STTrainConfig(LoopConfig):
    """Loss weights, and the model dirs whose weights start a fresh model (as speech translation recipes start
    from pretrained parts; each must have the sizes of the part it starts): ``init_encoder``, an ASR model of the
    source speech (front end, CMVN, encoder, and its CTC head when its units are the source units);
    ``init_decoder``, an MT model with the same target units (its decoder); ``init_synth``, a FastSpeech 2 model of
    the target speech with the same phones (all of it: the synthesizer then starts as that TTS, its conditioning on
    the decoder starting at zero). Training then tunes the whole model end to end."""

    init_encoder: str = ""
    init_decoder: str = ""
    init_synth: str = ""
    ce_weight: float = 1.0
    ctc_weight: float = 0.3
    acoustic_weight: float = 1.0
    label_smoothing: float = 0.1


@dataclass
class S2STConfig:
    task: str = "s2st"
    exp_dir: str = "exp/s2st"
    data: S2STDataConfig = field(default_factory=S2STDataConfig)
    tokens: S2STTokens = field(default_factory=S2STTokens)
    model: S2STModelConfig = field(default_factory=S2STModelConfig)
    train: S2STTrainConfig = field(default_factory=S2STTrainConfig)


class S2STDataset(Dataset[dict[str, Any]]):
    """Item ``i``: the source audio item (speed-perturbed, with ``source`` units, ``pieces``, ``piece_words``) and
    the acoustic item of :class:`~speechkit.train.tts.TTSDataset` (target phones, durations, pitch, energy, mel)
    with ``phone_words``."""

    def __init__(self, audio: AudioDataset, acoustic: TTSDataset, phone_words: list[list[int]]) -> None:
        self.audio, self.acoustic, self.phone_words = audio, acoustic, phone_words

    def __len__(self) -> int:
        return len(self.audio)

    def set_epoch(self, epoch: int) -> None:
        self.audio.set_epoch(epoch)

    def __getitem__(self, i: int) -> dict[str, Any]:
        acoustic = self.acoustic[i]
        acoustic["phone_words"] = torch.tensor(self.phone_words[i])
        return {"audio": self.audio[i], "acoustic": acoustic}


def collate(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The audio batch of :func:`speechkit.data.dataset.collate` (``wav``, ``source``, ``pieces``,
    ``piece_words``...) merged with the acoustic batch of :func:`speechkit.train.tts.collate` and ``phone_words``
    (padded with -1)."""
    batch = collate_audio([it["audio"] for it in items])
    acoustic = [it["acoustic"] for it in items]
    batch.update({k: v for k, v in collate_acoustic(acoustic).items() if k != "utt"})
    batch["phone_words"] = torch.nn.utils.rnn.pad_sequence([a["phone_words"] for a in acoustic], batch_first=True,
                                                           padding_value=-1)  # fmt: skip
    batch["piece_words"] = batch["piece_words"].masked_fill(
        torch.arange(batch["piece_words"].shape[1])[None] >= batch["piece_words_lengths"][:, None], -1)
    return batch


class S2STTask(AudioTask):
    """Data, losses and validation of the direct model (see the module docstring)."""

    name = "s2st"
    config = S2STConfig

    def __init__(self, cfg: S2STConfig, exp_dir: Path) -> None:
        self.cfg, dc, mc = cfg, cfg.data, cfg.model
        texts = [dc.source_text, dc.target_text]
        train_utts, valid_utts = load_data_dir(dc.train, extra=texts), load_data_dir(dc.valid, extra=texts)
        units = ((SOURCE_UNITS, dc.source_text, cfg.tokens.source), (TARGET_UNITS, dc.target_text, cfg.tokens.target))
        self.source, self.target = (trained_tokenizer([u.extra[text] for u in train_utts], exp_dir / name, tc.size,
                                                      tc.type) for name, text, tc in units)  # fmt: skip
        mc.n_source_units, mc.n_pieces = len(self.source), len(self.target)
        targets = {split: {u.utt: u for u in load_data_dir(d, extra=ALIGNMENT_FILES)}
                   for split, d in (("train", dc.target_train), ("valid", dc.target_valid))}  # fmt: skip
        train_targets = [_target_of(targets["train"], u, dc.target_train) for u in train_utts]
        valid_targets = [_target_of(targets["valid"], u, dc.target_valid) for u in valid_utts]
        mc.synth.tokens = token_inventory(train_targets)
        mc.synth.leading_sil, mc.synth.trailing_sil = edge_silence(train_targets)
        self.stats = read_stats(dc.train_feats, mc.synth.mel)
        super().__init__(dc, train_utts, valid_utts, mc.mel.sample_rate, cfg.train.seed, cfg.train.accum_grad)
        lexicon = Lexicon.cmudict()
        for name, utts, tgt, feats in (("train_set", train_utts, train_targets, dc.train_feats),
                                       ("valid_set", valid_utts, valid_targets, dc.valid_feats)):  # fmt: skip
            acoustic = TTSDataset(tgt, Path(feats), mc.synth.tokens, self.stats["pitch"]["mean"])
            setattr(self, name, S2STDataset(getattr(self, name), acoustic, [_phone_words(lexicon, t) for t in tgt]))

    def targets(self, utt: Utterance) -> dict[str, list[int]]:
        dc = self.cfg.data
        ids = self.target.encode(utt.extra[dc.target_text])
        return {"source": self.source.encode(utt.extra[dc.source_text]),
                "pieces": [i + PIECE_OFFSET for i in ids] + [EOS_ID],
                "piece_words": self.target.word_index(ids) + [-1]}  # fmt: skip

    def collate_batch(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """:func:`collate`: the audio and the acoustic halves."""
        return collate(items)

    def init_model(self, model: S2STModel, max_utts: int = 1000, batch_size: int = 64) -> None:
        """Parts from the ``train.init_*`` model dirs (without ``init_encoder``, source CMVN from the training
        audio); the synthesizer's mel, pitch and energy statistics."""
        tc = self.cfg.train
        if tc.init_encoder:
            same = self._units(tc.init_encoder, "lang/bpe.model") == self.source.token_list().symbols
            _load_part(model, tc.init_encoder, "asr", {"logmel.": "logmel.", "cmvn.": "cmvn.",
                                                       "subsample.": "subsample.", "encoder.": "encoder.",
                                                       **({"head.": "ctc_head."} if same else {})})  # fmt: skip
        else:
            super().init_model(model, max_utts, batch_size)
        if tc.init_decoder:
            if self._units(tc.init_decoder, TARGET_UNITS) != self.target.token_list().symbols:
                raise SpeechkitError(Path(tc.init_decoder) / TARGET_UNITS, "train.init_decoder: its target units "
                                     "are not this model's (train both with the same tokens.target on the same text)")
            _load_part(model, tc.init_decoder, "mt", {"text_decoder.": "text_decoder."})
        if tc.init_synth:
            tokens = load_model_config(Path(tc.init_synth))[1].tokens
            if tokens != self.cfg.model.synth.tokens:
                raise SpeechkitError(tc.init_synth, "train.init_synth: its phone inventory is not this model's "
                                     "(train it on the same aligned target speech)")  # fmt: skip
            _load_part(model, tc.init_synth, "fastspeech2", {"": "synth."})
        model.synth.set_feature_stats(self.stats)

    @staticmethod
    def _units(model_dir: str, name: str) -> list[str]:
        return BpeTokenizer(Path(model_dir) / name).token_list().symbols

    def describe(self, model: S2STModel) -> str:
        return (f"S2ST model: {millions(model)} M parameters (synthesizer {millions(model.synth)} M), "
                f"{len(self.train_utts)} training pairs, {len(self.target)} target units")  # fmt: skip

    def start_epoch(self, model: S2STModel, epoch: int) -> None:
        """Nothing to switch: every part trains in every epoch."""

    def _losses(self, model: S2STModel, b: dict[str, Any]) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        out = model(b["feats"], b["feat_lengths"], b)
        tc = self.cfg.train
        parts = {"ce": F.cross_entropy(out["logits"].float().transpose(1, 2), b["pieces"], ignore_index=0,
                                       label_smoothing=tc.label_smoothing),
                 "ctc": ctc_loss(out["ctc"], out["lengths"], b["source"], b["source_lengths"])}  # fmt: skip
        parts.update(losses(model.synth, out, b))
        return parts, out

    def loss(self, model: S2STModel, b: dict[str, Any], epoch: int) -> tuple[Tensor, dict[str, float], int]:
        parts, _ = self._losses(model, b)
        tc = self.cfg.train
        acoustic = sum(v for k, v in parts.items() if k not in ("ce", "ctc"))
        total = tc.ce_weight * parts["ce"] + tc.ctc_weight * parts["ctc"] + tc.acoustic_weight * acoustic
        return total, {k: v.item() for k, v in parts.items()}, len(b["utt"])

    def validate(self, model: S2STModel, epoch: int, device: torch.device) -> dict[str, float]:
        """Teacher-forced losses and the BLEU of greedy translations on the validation set; the score is BLEU."""
        totals: dict[str, float] = {}
        refs, hyps = {}, {}
        for idx in trimmed(self.valid_batches):
            b = self.features(model, self.collate_batch([self.valid_set[i] for i in idx]), device)
            parts, _ = self._losses(model, b)
            for k, v in parts.items():
                totals[k] = totals.get(k, 0.0) + v.item() * len(idx)
            pieces, _ = model.translate(b["feats"], b["feat_lengths"])
            for i, ids in zip(idx, pieces):
                u = self.valid_utts[i]
                refs[u.utt], hyps[u.utt] = u.extra[self.cfg.data.target_text], self.target.decode(ids)
        metrics = {k: v / len(refs) for k, v in totals.items()}
        metrics["bleu"], metrics["chrf"], _ = bleu_chrf(refs, hyps)
        metrics["score"] = metrics["bleu"]
        return metrics


def _load_part(model: S2STModel, model_dir: str, kind: str, prefixes: dict[str, str]) -> None:
    """Copy the weights of the ``kind`` model in ``model_dir`` whose names start with a key of ``prefixes`` into
    ``model``, renamed to the value's prefix; a missing or differently shaped weight is a user error."""
    found, _ = load_model_config(Path(model_dir))
    if found != kind:
        raise SpeechkitError(model_dir, f"is a {found} model; a {kind} model dir is needed here")
    own = model.state_dict()
    state = {}
    for name, value in load_model(model_dir)[1].state_dict().items():
        prefix = next((p for p in prefixes if name.startswith(p)), None)
        if prefix is None:
            continue
        ours = prefixes[prefix] + name[len(prefix) :]
        if ours not in own or own[ours].shape != value.shape:
            raise SpeechkitError(model_dir, f"its {name} does not fit this model's {ours} (give the part the sizes "
                                 "of the model it starts from)")  # fmt: skip
        state[ours] = value
    model.load_state_dict(state, strict=False)


def _target_of(targets: dict[str, Utterance], u: Utterance, data_dir: str) -> Utterance:
    """The target-side utterance of source utterance ``u``; the two sides must hold the same keys."""
    if u.utt not in targets:
        raise SpeechkitError(data_dir, f"has no utterance {u.utt!r} of the source side (align it and import the "
                             "durations first)")  # fmt: skip
    return targets[u.utt]


def _phone_words(lexicon: Lexicon, u: Utterance) -> list[int]:
    words = word_of_tokens(lexicon, u.text.split(), u.extra["phones"].split())
    if words is None:
        raise SpeechkitError(u.wav, f"utterance {u.utt}: its phones do not spell its words with the lexicon")
    return words
