"""The training loop every task shares: epochs, checkpoints, resume, keep-best averaging, early stopping.

:func:`fit` is what ``speechkit train`` runs for every task: the task reads its data and fills in what the data
decides in the model config, the model is built (and, when no checkpoint exists, initialized from the data), the
resolved config and ``model.yaml`` are written, and :func:`train` runs. Tasks differ only in their
:class:`TrainTask` methods.

Reproducibility: batches come from an epoch-seeded sampler and the global RNG is re-seeded for each batch from
``(seed, epoch, position of the batch)``, so a run resumed from the checkpoint of epoch N trains epoch N+1 exactly
as an uninterrupted run would, and the random numbers of a batch do not depend on which process runs it
(:mod:`speechkit.train.parallel`: torchrun processes and ``accum_grad``).

A task with one loss gives ``loss`` and the loop updates every parameter with it. A task that updates several
parameter groups in turn (a GAN's generator and discriminators) also gives ``param_groups`` and ``step``, and calls
:meth:`Optimizers.step` once per group; everything else (checkpoints, resume, logging) is the same.
"""

from __future__ import annotations

import contextlib
import functools
import math
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import torch
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from torch import nn

from speechkit.config import save_config
from speechkit.errors import SpeechkitError
from speechkit.models.builder import build_model, save_model_config
from speechkit.train import parallel
from speechkit.train.exp_dir import check_request, claim
from speechkit.train.log import TrainLog
from speechkit.utils import checkpoint
from speechkit.utils.memory import trim_heap

console = Console(stderr=True, soft_wrap=True)


@dataclass
class LoopConfig:
    seed: int = 0
    epochs: int = 20
    lr: float = 2e-3
    weight_decay: float = 1e-2
    warmup_steps: int = 300
    final_lr_ratio: float = 0.05
    betas: tuple[float, float] = (0.9, 0.999)
    grad_clip: float = 5.0
    keep_best: int = 3
    patience: int = 6
    log_every: int = 25
    accum_grad: int = 1  # batches per process and optimizer step (their gradients add up)
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"


class Task(Protocol):
    """What a task gives the loop. ``validate`` returns metrics including ``score`` (higher is better)."""

    def train_batches(self, epoch: int, pin_memory: bool = False) -> Iterable[Any]:
        """The epoch's batches; ``pin_memory`` (training on a GPU): in page-locked memory, for faster copies."""

    def num_batches(self, epoch: int) -> int: ...

    def features(self, model: nn.Module, batch: Any, device: torch.device) -> Any: ...

    def loss(self, model: nn.Module, inputs: Any, epoch: int) -> tuple[torch.Tensor, dict[str, float], int]: ...

    def validate(self, model: nn.Module, epoch: int, device: torch.device) -> dict[str, float]: ...

    def start_epoch(self, model: nn.Module, epoch: int) -> None:
        """Called after model.train(): a task may freeze or switch modules to eval mode here."""

    # Optional, for several optimizers (then ``loss`` is not called):
    #   param_groups(model) -> dict[str, list[nn.Parameter]]: one AdamW and LR schedule per named group
    #   step(model, inputs, epoch, optimizers: Optimizers) -> (metrics including "loss", n_utts)


class TrainTask(Task, Protocol):
    """A task ``speechkit train`` can run: ``name`` is the config's ``task:`` and the model's kind, ``config`` the
    recipe config dataclass (with ``exp_dir``, ``model`` and ``train`` fields). The constructor reads the data,
    fills in the fields of ``cfg.model`` that the data decides (token inventories, intent slots) and writes the
    files of the model dir other than the weights and configs (``lang/``)."""

    name: str
    config: type

    def __init__(self, cfg: Any, exp_dir: Path) -> None: ...

    def init_model(self, model: nn.Module) -> None:
        """Set a freshly built model's data statistics (CMVN, mel/pitch/energy normalization)."""

    def describe(self, model: nn.Module) -> str:
        """One line for the log: model size and data."""


def millions(module: nn.Module) -> str:
    """Parameter count in millions, two decimals."""
    return f"{sum(p.numel() for p in module.parameters()) / 1e6:.2f}"


def fit(task_type: type[TrainTask], cfg: Any, device: torch.device, restart: bool = False) -> dict[str, Any]:
    """Train ``task_type``'s model as ``cfg`` describes into ``cfg.exp_dir``, a complete model dir; resume from its
    last epoch checkpoint if there is one (under the same config only; ``restart`` discards it). Nothing in the exp
    dir is touched before its lock is held and the config is checked. Returns :func:`train`'s summary."""
    check_loop_config(cfg.train)
    exp = Path(cfg.exp_dir)
    main = parallel.is_main()
    console.quiet = not main  # one process speaks for all; errors still reach the terminal
    with claim(exp) if main else contextlib.nullcontext(), _scratch_unless(main, exp) as task_dir:
        if main:
            check_request(exp, cfg, restart)
        parallel.barrier()  # the exp dir is checked (and cleared by --restart) before another process reads it
        task = task_type(cfg, task_dir)
        torch.manual_seed(cfg.train.seed)
        model = build_model(task_type.name, cfg.model)
        if not checkpoint.epochs_on_disk(exp / "ckpt"):
            task.init_model(model)
        if main:
            save_config(cfg, exp / "config.yaml")
            save_model_config(exp, task_type.name, cfg.model)
        console.print(task.describe(model))
        return train(task, model, cfg.train, exp, device)


@contextlib.contextmanager
def _scratch_unless(main: bool, exp: Path) -> Iterator[Path]:
    """``exp`` for the first process; a temporary dir for the others, where what their task writes (its copy of
    ``lang/``, plots) goes unseen instead of racing the first process's."""
    if main:
        yield exp
    else:
        with tempfile.TemporaryDirectory(prefix="speechkit-rank") as tmp:
            yield Path(tmp)


def check_loop_config(cfg: LoopConfig) -> None:
    """Refuse settings that would train nothing or diverge at once, before any work."""
    rules = [("epochs", cfg.epochs >= 1, "at least 1"), ("lr", cfg.lr > 0, "positive"),
             ("warmup_steps", cfg.warmup_steps >= 0, "0 or more"), ("keep_best", cfg.keep_best >= 1, "at least 1"),
             ("grad_clip", cfg.grad_clip > 0, "positive"), ("log_every", cfg.log_every >= 1, "at least 1"),
             ("accum_grad", cfg.accum_grad >= 1, "at least 1"),
             ("patience", cfg.patience >= 1, "at least 1"), ("weight_decay", cfg.weight_decay >= 0, "0 or more"),
             ("final_lr_ratio", 0 <= cfg.final_lr_ratio <= 1, "between 0 and 1")]  # fmt: skip
    for name, ok, expected in rules:
        if not ok or (isinstance(getattr(cfg, name), float) and not math.isfinite(getattr(cfg, name))):
            raise SpeechkitError(None, f"train.{name} must be {expected}, found {getattr(cfg, name)}")


def _autocast(device: torch.device, precision: str) -> tuple[contextlib.AbstractContextManager, bool]:
    """The autocast context and whether a GradScaler is needed (fp16 only); CPU trains in fp32."""
    if device.type != "cuda" or precision == "fp32":
        return contextlib.nullcontext(), False
    if precision == "auto":
        precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast("cuda", dtype=dtype), dtype == torch.float16


def _lr_lambda(cfg: LoopConfig, total_steps: int):
    def f(step: int) -> float:
        if step < cfg.warmup_steps:
            return (step + 1) / cfg.warmup_steps
        progress = min(1.0, (step - cfg.warmup_steps) / max(1, total_steps - cfg.warmup_steps))
        return cfg.final_lr_ratio + (1 - cfg.final_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

    return f


class NonFiniteLoss(ArithmeticError):
    """A loss that is NaN or infinite: raised before it can reach the weights."""


class Optimizers:
    """AdamW with the warmup-cosine schedule for each named parameter group, one grad scaler for all of them, and
    the autocast context a task's ``step`` runs its forward passes in."""

    def __init__(self, groups: dict[str, list[nn.Parameter]], cfg: LoopConfig, total_steps: int,
                 device: torch.device) -> None:  # fmt: skip
        self.groups, self.grad_clip = groups, cfg.grad_clip
        self.opts = {name: torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay, betas=cfg.betas)
                     for name, params in groups.items()}  # fmt: skip
        self.scheds = {name: torch.optim.lr_scheduler.LambdaLR(opt, _lr_lambda(cfg, total_steps))
                       for name, opt in self.opts.items()}  # fmt: skip
        self.autocast, use_scaler = _autocast(device, cfg.precision)
        self.scaler = torch.amp.GradScaler("cuda", enabled=use_scaler)
        self.stepped: set[str] = set()
        self.nonfinite = ""

    def zero_grad(self, name: str) -> None:
        self.opts[name].zero_grad(set_to_none=True)

    def backward(self, name: str, loss: torch.Tensor) -> bool:
        """Add ``loss``'s gradients to group ``name``'s; a NaN or infinite loss adds none and returns False (alone,
        the process raises :class:`NonFiniteLoss` at once; with others, at :meth:`update`, in all of them)."""
        if not torch.isfinite(loss.detach()).all():
            self.nonfinite = f"the {name} loss is {loss.item()}"
            if parallel.world() == 1:
                raise NonFiniteLoss(self.nonfinite)
            return False
        self.scaler.scale(loss).backward()
        return True

    def update(self, name: str) -> None:
        """Average group ``name``'s gradients over the processes, clip their norm to ``grad_clip`` and step."""
        params = self.groups[name]
        if not parallel.average_gradients(params, not self.nonfinite):
            raise NonFiniteLoss(self.nonfinite or f"the {name} loss is not finite in another process")
        opt = self.opts[name]
        self.scaler.unscale_(opt)
        nn.utils.clip_grad_norm_(params, self.grad_clip)
        self.scaler.step(opt)
        self.stepped.add(name)

    def step(self, name: str, loss: torch.Tensor) -> None:
        """Backpropagate ``loss`` and update group ``name`` (what a task with several groups calls)."""
        self.zero_grad(name)
        self.backward(name, loss)
        self.update(name)

    def end_step(self) -> None:
        """After a training step: adapt the loss scale and advance the schedules of the groups it updated (a group
        that waits, like a discriminator that starts late, starts its schedule when it starts)."""
        self.scaler.update()
        for name in self.stepped:
            self.scheds[name].step()
        self.stepped.clear()

    def lr(self) -> float:
        return next(iter(self.scheds.values())).get_last_lr()[0]

    def state_dict(self) -> dict[str, Any]:
        """Checkpoint entries; a single group keeps the plain ``optimizer``/``scheduler`` layout."""
        if len(self.opts) == 1:
            (opt,), (sched,) = self.opts.values(), self.scheds.values()
            return {"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}
        return {"optimizer": {n: o.state_dict() for n, o in self.opts.items()},
                "scheduler": {n: s.state_dict() for n, s in self.scheds.items()}}  # fmt: skip

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if len(self.opts) == 1:
            (opt,), (sched,) = self.opts.values(), self.scheds.values()
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
            return
        for name in self.opts:
            self.opts[name].load_state_dict(state["optimizer"][name])
            self.scheds[name].load_state_dict(state["scheduler"][name])


# (model, inputs of one batch, epoch, optimizers, first batch of the step?, last batch of the step?)
Step = Callable[[nn.Module, Any, int, Optimizers, bool, bool], tuple[dict[str, float], int]]


def _loss_step(task: Task, accum: int, model: nn.Module, inputs: Any, epoch: int, optimizers: Optimizers,
               first: bool, last: bool) -> tuple[dict[str, float], int]:  # fmt: skip
    """One batch of a one-loss task's step: its ``loss`` / ``accum`` adds to the single group's gradients, and
    the step's last batch updates the group."""
    (name,) = optimizers.opts
    if first:
        optimizers.zero_grad(name)
    with optimizers.autocast:
        loss, metrics, n_utts = task.loss(model, inputs, epoch)
    optimizers.backward(name, loss / accum)
    if last:
        optimizers.update(name)
    return {"loss": loss.item(), **metrics}, n_utts


def _step_fn(task: Task, cfg: LoopConfig) -> Step:
    """The loop's step for ``task``: its own ``step`` (several parameter groups, one batch a step) or the loss's."""
    if not hasattr(task, "step"):
        return functools.partial(_loss_step, task, cfg.accum_grad)
    if cfg.accum_grad != 1:
        raise SpeechkitError(None, f"train.accum_grad must be 1 for this task (it updates its parts in turn), "
                                   f"found {cfg.accum_grad}")  # fmt: skip
    return lambda model, inputs, epoch, optimizers, first, last: task.step(model, inputs, epoch, optimizers)


def _timed(batches: Iterable[Any]) -> Iterator[tuple[Any, float]]:
    """Yield each batch with the seconds spent waiting for it (data loading)."""
    it = iter(batches)
    while True:
        t0 = time.perf_counter()
        try:
            batch = next(it)
        except StopIteration:
            return
        yield batch, time.perf_counter() - t0


def train(task: Task, model: nn.Module, cfg: LoopConfig, exp_dir: Path, device: torch.device) -> dict[str, Any]:
    """Train ``model`` on ``task`` into ``exp_dir``; resume from its last epoch checkpoint if there is one.

    Writes ``ckpt/epoch<N>.pt`` every epoch (keeping the best ``keep_best`` and the latest), ``train.jsonl``,
    ``curves.png`` and finally ``model.pt``: the average of the best checkpoints. Returns a summary. Under torchrun
    only the first process writes and validates (:mod:`speechkit.train.parallel`).
    """
    ckpt_dir, main = exp_dir / "ckpt", parallel.is_main()
    model.to(device)
    if device.type == "cpu":
        n = torch.get_num_threads()
        procs = f" in each of {parallel.world()} processes" if parallel.world() > 1 else ""
        console.print(f"training on cpu with {n} CPU thread{'s' if n > 1 else ''}{procs}")
    step_fn = _step_fn(task, cfg)
    steps_per_epoch = task.num_batches(1) // cfg.accum_grad
    if steps_per_epoch < 1:
        raise SpeechkitError(None, f"the training data gives fewer batches per epoch than one step takes "
                                   f"({parallel.world()} process(es) x train.accum_grad {cfg.accum_grad}): use "
                                   "fewer processes, a smaller train.accum_grad or smaller batches")  # fmt: skip
    groups = task.param_groups(model) if hasattr(task, "param_groups") else {"model": list(model.parameters())}
    optimizers = Optimizers(groups, cfg, cfg.epochs * steps_per_epoch, device)
    history: list[dict[str, float]] = []  # one validation record per finished epoch
    step, start = 0, 1
    if done := checkpoint.epochs_on_disk(ckpt_dir):
        state = checkpoint.load(checkpoint.epoch_path(ckpt_dir, done[-1]), device)
        model.load_state_dict(state["model"])
        optimizers.load_state_dict(state)
        history, step, start = state["history"], state["step"], state["epoch"] + 1
        console.print(f"[yellow]resuming[/] from {checkpoint.epoch_path(ckpt_dir, done[-1])} (step {step})")
    log = TrainLog(exp_dir, step) if main else None
    timing = {"data": 0.0, "features": 0.0, "model": 0.0, "utts": 0}
    for epoch in range(start, cfg.epochs + 1):
        if _stale(history, cfg.patience):
            console.print(f"early stop: no validation gain in {cfg.patience} epochs")
            break
        torch.manual_seed(cfg.seed * 1000 + epoch)
        model.train()
        task.start_epoch(model, epoch)
        step = _train_epoch(task, step_fn, model, optimizers, cfg, epoch, step, device, log, timing)
        parallel.average_buffers(model)
        model.eval()
        metrics = None
        if main:
            with torch.no_grad():
                metrics = task.validate(model, epoch, device)
        metrics = parallel.from_main(metrics)
        history.append({"epoch": epoch, **metrics})
        console.print(f"epoch {epoch}: " + ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()))
        if log is not None:
            log.add(split="valid", epoch=epoch, step=step, **metrics)
            state = {"model": model.state_dict(), **optimizers.state_dict(), "epoch": epoch, "step": step,
                     "history": history}  # fmt: skip
            checkpoint.save(state, checkpoint.epoch_path(ckpt_dir, epoch))
            _prune(ckpt_dir, history, cfg.keep_best)
            log.plot(exp_dir / "curves.png", ["loss"], [k for k in metrics if k != "score"])
    best = _best_epochs(history, cfg.keep_best)
    if main:
        checkpoint.save({"model": checkpoint.average([checkpoint.epoch_path(ckpt_dir, e) for e in best])},
                        exp_dir / "model.pt")  # fmt: skip
    busy = sum(timing[k] for k in ("data", "features", "model"))
    summary = {"averaged_epochs": best, "best": max(history, key=lambda h: h["score"]), "steps": step}
    if busy > 0:
        summary["data_share"] = (timing["data"] + timing["features"]) / busy
        summary["utts_per_s"] = timing["utts"] * parallel.world() / busy
    return summary


def _train_epoch(task: Task, step_fn: Step, model: nn.Module, optimizers: Optimizers, cfg: LoopConfig, epoch: int,
                 step: int, device: torch.device, log: TrainLog | None, timing: dict[str, float]) -> int:  # fmt: skip
    layout, accum = parallel.Layout.current(cfg.accum_grad), cfg.accum_grad
    columns = [TextColumn(f"[bold]epoch {epoch}/{cfg.epochs}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TimeRemainingColumn()]  # fmt: skip
    with Progress(*columns, console=console) as bar:
        task_id = bar.add_task("train", total=task.num_batches(epoch) // accum, info="")
        window: dict[str, float] = {}
        t_window, n_window, steps_window = time.perf_counter(), 0, 0
        summed: dict[str, float] = {}  # the metrics of the step's batches so far
        bad = None  # this process's batch whose loss was not finite
        batches = task.train_batches(epoch, pin_memory=device.type == "cuda")
        for local, (batch, waited) in enumerate(_timed(batches)):
            first, last = local % accum == 0, local % accum == accum - 1
            torch.manual_seed(parallel.batch_seed(cfg.seed, epoch, layout.position(local)))
            t0 = time.perf_counter()
            inputs = task.features(model, batch, device)
            t1 = time.perf_counter()
            try:
                metrics, n_utts = step_fn(model, inputs, epoch, optimizers, first, last)
                bad = batch if optimizers.nonfinite and bad is None else bad
            except NonFiniteLoss as e:
                raise SpeechkitError(None, f"training stopped at step {step + 1} (epoch {epoch}): {e} on the batch "
                                           f"of {_batch_keys(bad or batch)}; the weights were not updated. Check "
                                           "the data with `speechkit data validate`, or lower train.lr") from None
            t2 = time.perf_counter()
            timing["data"] += waited
            timing["features"] += t1 - t0
            timing["model"] += t2 - t1
            timing["utts"] += n_utts
            n_window += n_utts
            for k, v in metrics.items():
                summed[k] = summed.get(k, 0.0) + v / accum
            if not last:
                continue
            optimizers.end_step()
            trim_heap()  # the step's freed activations would otherwise leave holes that grow with the epoch
            step += 1
            steps_window += 1
            for k, v in summed.items():
                window[k] = window.get(k, 0.0) + v
            summed = {}
            if step % cfg.log_every == 0 or bar.tasks[0].completed + 1 == bar.tasks[0].total:
                avg = parallel.mean_over_processes({**{k: v / steps_window for k, v in window.items()},
                                                    "_utts": n_window})  # fmt: skip
                speed = avg.pop("_utts") * parallel.world() / (time.perf_counter() - t_window)
                if log is not None:
                    log.add(split="train", epoch=epoch, step=step, lr=optimizers.lr(), utts_per_s=speed, **avg)
                info = " ".join(f"{k} {v:.3g}" for k, v in avg.items()) + f" | {speed:.0f} utt/s"
                bar.update(task_id, info=info)
                if not console.is_terminal:  # a log file gets plain lines instead of a live bar
                    console.print(f"epoch {epoch} step {step}: {info}", highlight=False)
                window, t_window, n_window, steps_window = {}, time.perf_counter(), 0, 0
            bar.advance(task_id)
    return step


def _batch_keys(batch: Any, most: int = 8) -> str:
    """The utterance ids of a batch for an error message (collated batches carry them as ``utt``)."""
    keys = batch.get("utt") if isinstance(batch, dict) else None
    if not keys:
        return "a batch without utterance ids"
    more = f" and {len(keys) - most} more" if len(keys) > most else ""
    return "utterances " + ", ".join(keys[:most]) + more


def _best_epochs(history: list[dict[str, float]], n: int) -> list[int]:
    return sorted(int(h["epoch"]) for h in sorted(history, key=lambda h: (-h["score"], -h["epoch"]))[:n])


def _stale(history: list[dict[str, float]], patience: int) -> bool:
    """True when the best score is more than ``patience`` epochs old."""
    if len(history) <= patience:
        return False
    best = max(range(len(history)), key=lambda i: (history[i]["score"], -i))
    return len(history) - 1 - best >= patience


def _prune(ckpt_dir: Path, history: list[dict[str, float]], keep: int) -> None:
    """Delete epoch checkpoints that are neither among the best ``keep`` nor the latest."""
    wanted = set(_best_epochs(history, keep)) | {int(history[-1]["epoch"])}
    for epoch in checkpoint.epochs_on_disk(ckpt_dir):
        if epoch not in wanted:
            checkpoint.epoch_path(ckpt_dir, epoch).unlink()
