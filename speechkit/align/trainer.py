"""Train an aligner from scratch on a data directory: flat start, then Viterbi training, like Kaldi's and MFA's.

1. Flat start: each utterance's low-energy edges are silence and the rest is shared evenly among the HMM states
   of its words' first pronunciations.
2. Train the frame classifier on those state targets (cross-entropy), for ``epochs[i]`` epochs.
3. Realign: Viterbi through each utterance's full graph (every pronunciation, optional silence between words),
   scoring each frame by its state log posterior less ``prior_scale`` times the log prior; the new path gives the next targets. Repeat 2-3.

The network keeps its weights from one round to the next (only the targets change), so later rounds need few
epochs. Nothing here reads reference alignments.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from rich.console import Console
from torch import Tensor

from speechkit.align.aligner import fitted_graph, iter_slots, viterbi_paths
from speechkit.align.config import AlignerConfig, TrainConfig
from speechkit.align.features import FeatureStore, padded
from speechkit.align.graph import SPN_PHONE, Graph, Slot
from speechkit.align.transcripts import PhoneIndex
from speechkit.config import save_config
from speechkit.data.audio import audio_info
from speechkit.data.batching import DurationBatchSampler
from speechkit.data.datadir import Utterance, load_data_dir
from speechkit.features.cmvn import accumulate_stats
from speechkit.lang.lexicon import SIL, Lexicon, phone_set
from speechkit.models.aligner import AlignerModel
from speechkit.models.builder import build_model, save_model
from speechkit.utils.atomic import atomic_dir
from speechkit.utils.memory import trim_heap
from speechkit.utils.parallel import progress_bar

KIND = "aligner"
"""The aligner's model kind in ``model.yaml``."""
IGNORE = -100
"""Target of frames that train nothing (``spn``)."""
TARGET_DTYPE = torch.int16
"""Frame targets are kept for the whole corpus between realignments: two bytes a frame (classes are few)."""


def flat_start(feats: Tensor, slots: Sequence[Slot], model: AlignerModel, energy: float) -> Tensor:
    """Frame targets ``(F,)``: silence where the mean log-mel is below ``energy`` of its range at the edges,
    the words' first pronunciations' states evenly over the frames between."""
    n_states, loudness = model.cfg.n_states, feats.mean(1)
    loud = (loudness > loudness.min() + energy * (loudness.max() - loudness.min())).nonzero()[:, 0]
    first, end = (int(loud[0]), int(loud[-1]) + 1) if len(loud) else (0, len(feats))
    tokens = [t for s in slots if not s.optional for t in s.alternatives[0]]
    if end - first < len(tokens) * n_states:
        first, end = 0, len(feats)
    sil = model.phones.index(SIL)
    targets = torch.full((len(feats),), sil * n_states + n_states // 2, dtype=TARGET_DTYPE)
    edges = np.linspace(first, end, len(tokens) * n_states + 1).round().astype(int)
    for i, tok in enumerate(tokens):
        for j in range(n_states):
            k = i * n_states + j
            targets[edges[k] : edges[k + 1]] = IGNORE if tok.phone == SPN_PHONE else tok.phone * n_states + j
    return targets


def path_targets(path: np.ndarray, graph: Graph, n_classes: int) -> Tensor:
    """Frame targets from a state path (``spn`` frames ignored)."""
    columns = torch.from_numpy(graph.column[path])
    return torch.where(columns < n_classes, columns, IGNORE).to(TARGET_DTYPE)


def set_priors(model: AlignerModel, targets: Sequence[Tensor]) -> None:
    """State priors from target counts (add-one smoothed), into the model's ``log_prior`` buffer."""
    counts = torch.ones(model.n_classes, dtype=torch.float64)
    for t in targets:
        counts += torch.bincount(t[t >= 0].long(), minlength=model.n_classes)
    model.log_prior.copy_((counts / counts.sum()).log().float())


def train_epoch(model: AlignerModel, opt: torch.optim.Optimizer, feats: Sequence[Tensor], targets: Sequence[Tensor],
                sampler: DurationBatchSampler, device: str | torch.device, advance: Callable[[int], None]) -> float:
    """One pass of cross-entropy training; returns the mean loss per batch."""
    model.train()
    total, batches = 0.0, 0
    for batch in sampler:
        x, lengths = padded([feats[i] for i in batch], device)
        y = torch.nn.utils.rnn.pad_sequence([targets[i] for i in batch], batch_first=True, padding_value=IGNORE)
        loss = F.cross_entropy(model(x, lengths).flatten(0, 1), y.to(device).flatten().long(), ignore_index=IGNORE)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        total, batches = total + loss.item(), batches + 1
        trim_heap()
        advance(len(batch))
    return total / max(batches, 1)


def train_aligner(model: AlignerModel, utts: Sequence[Utterance], slots: Iterable[Sequence[Slot]], cfg: TrainConfig,
                  seed: int = 0, device: str | torch.device = "cpu", console: Console | None = None,
                  workdir: str | Path | None = None) -> AlignerModel:  # fmt: skip
    """Train ``model`` (freshly built) on ``utts`` spoken as ``slots`` with the schedule ``cfg``; see the module
    docstring. ``slots`` are read once, in order (a generator keeps the corpus's out of memory). The features wait
    on disk in a temporary file under ``workdir`` (default: the system's temporary folder). Returns the model in
    eval mode with priors from the final alignment."""
    with tempfile.TemporaryDirectory(prefix=".aligner-feats.", dir=workdir) as tmp:
        feats = FeatureStore.build(model.to(device), utts, Path(tmp) / "feats.f32", device)
        try:
            return _train(model, utts, slots, cfg, seed, device, console or Console(stderr=True, soft_wrap=True), feats)
        finally:
            feats.close()


def _train(model: AlignerModel, utts: Sequence[Utterance], slots: Iterable[Sequence[Slot]], cfg: TrainConfig,
           seed: int, device: str | torch.device, console: Console, feats: FeatureStore) -> AlignerModel:  # fmt: skip
    torch.manual_seed(seed)
    random.seed(seed)
    t0 = time.time()
    mean, std = accumulate_stats(padded([f], "cpu") for f in feats)
    model.cmvn.set_stats(mean.float().to(device), std.float().to(device))
    graphs: list[Graph] = []
    targets: list[Tensor] = []
    for u, s, f in zip(utts, slots, feats):  # slots may be a generator: none are kept, only the states
        graphs.append(replace(fitted_graph(u, s, model, len(f)), tokens=()))
        targets.append(flat_start(f, s, model, cfg.flat_start_energy))
    console.print(f"features of {len(utts)} utterances ({sum(feats.lengths)} frames) in {time.time() - t0:.0f} s")
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    sampler = DurationBatchSampler(feats.lengths, cfg.batch_frames, seed=seed)
    epoch = 0
    with progress_bar() as bar:
        for round_ in range(cfg.rounds):
            for _ in range(cfg.epochs_of(round_)):
                task = bar.add_task(f"round {round_ + 1}/{cfg.rounds} epoch {epoch + 1}", total=len(utts))
                sampler.set_epoch(epoch)
                loss = train_epoch(model, opt, feats, targets, sampler, device, partial(bar.advance, task))
                bar.update(task, description=f"round {round_ + 1}/{cfg.rounds} epoch {epoch + 1} loss {loss:.3f}")
                epoch += 1
            set_priors(model, targets)
            task = bar.add_task(f"round {round_ + 1}/{cfg.rounds} realign", total=len(utts))
            advance = partial(bar.advance, task)
            for i, path in viterbi_paths(model, feats, graphs, device, cfg.batch_frames * 4, advance):
                targets[i] = path_targets(path, graphs[i], model.n_classes)
    set_priors(model, targets)
    console.print(f"trained in {time.time() - t0:.0f} s")
    return model.eval()


def train_new_aligner(data_dir: str | Path, model_dir: str | Path, cfg: AlignerConfig, lexicon: Lexicon | None = None,
                      seed: int = 0, device: str | torch.device = "cpu") -> AlignerModel:
    """Train an aligner on ``data_dir`` (its ``text`` through ``lexicon``, CMUdict + G2P by default) and save it
    to ``model_dir`` (replaced atomically): a model dir of kind ``aligner``, plus the training ``config.yaml``. The
    same ``seed`` and thread count give the same model. Example::

        model = train_new_aligner("data/train", "exp/align/model", AlignerConfig(), seed=0)
    """
    data_dir = Path(data_dir)
    utts = load_data_dir(data_dir)
    features = cfg.model.features
    if features.sample_rate is None:
        features.sample_rate = audio_info(utts[0].wav).samplerate
    cfg.model.phones = [SIL, *phone_set(stress=False)]
    torch.manual_seed(seed)
    model = build_model(KIND, cfg.model)
    phones, lexicon = PhoneIndex(model.phones), lexicon or Lexicon.cmudict()
    for _ in iter_slots(utts, data_dir, phones, lexicon, None):  # a bad transcript fails before any work
        pass
    slots = iter_slots(utts, data_dir, phones, lexicon, None)
    Path(model_dir).parent.mkdir(parents=True, exist_ok=True)
    train_aligner(model, utts, slots, cfg.train, seed, device, workdir=Path(model_dir).parent)
    with atomic_dir(model_dir) as tmp:
        save_model(tmp, KIND, model)
        save_config(cfg, tmp / "config.yaml")
    return model
