"""Data-parallel training: torchrun processes (gloo on CPU, nccl on GPU) and gradient accumulation, one rule for both.

A training step consumes a *group* of ``world x accum_grad`` consecutive batches of the epoch's batch order (the
sampler's, the same in every process): process ``r`` takes batches ``r*accum_grad ... (r+1)*accum_grad - 1`` of
the group, accumulates their gradients (each loss divided by ``accum_grad``), and the processes average their
gradients (one all-reduce) before the optimizer step. Every batch's random numbers (dropout, SpecAugment) come from
``(seed, epoch, position of the batch in the epoch)``, not from the process that happens to run it. So ``--nproc N``
with ``accum_grad k`` trains what one process trains with ``accum_grad N*k``: the same batches, the same masks,
the same updates (to float rounding); a test checks it. A tail of fewer batches than a group is left out of the
epoch, as PyTorch's ``drop_last``.

Only the first process (rank 0) writes the exp dir (checkpoints, logs, configs) and validates; it sends the
validation metrics to the others so that all make the same early-stopping and keep-best decisions. Every process
reads the checkpoints to resume, so a multi-node run needs the exp dir on a shared file system (as ESPnet's and
SpeechBrain's do).

Example (what ``speechkit train --nproc 2`` runs)::

    torchrun --standalone --nproc-per-node 2 -m speechkit train --recipe egs/fsc/slu1
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import Sampler


def world() -> int:
    return dist.get_world_size() if dist.is_initialized() else 1


def rank() -> int:
    return dist.get_rank() if dist.is_initialized() else 0


def is_main() -> bool:
    return rank() == 0


@contextlib.contextmanager
def session(device: torch.device) -> Iterator[torch.device]:
    """Join the torchrun process group when torchrun started this process (``WORLD_SIZE`` > 1) and yield the
    device this process trains on: ``cuda:LOCAL_RANK`` for ``cuda``, else ``device``. Without torchrun, a no-op."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        yield device
        return
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    try:
        yield device
    finally:
        dist.destroy_process_group()


def _comm_device() -> torch.device:
    """Where tensors for a collective live: NCCL only moves CUDA tensors."""
    return torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")


def barrier() -> None:
    if world() > 1:
        dist.barrier()


@dataclass(frozen=True)
class Layout:
    """Which batches of each step this process runs: ``accum`` consecutive ones of every group of ``world x
    accum``."""

    world: int = 1
    rank: int = 0
    accum: int = 1

    @classmethod
    def current(cls, accum: int) -> Layout:
        return cls(world(), rank(), accum)

    @property
    def group(self) -> int:
        return self.world * self.accum

    def steps(self, n_batches: int) -> int:
        return n_batches // self.group

    def position(self, local: int) -> int:
        """The position in the epoch's batch order of this process's ``local``-th batch."""
        step, j = divmod(local, self.accum)
        return step * self.group + self.rank * self.accum + j


class ShardedBatches(Sampler[list[int]]):
    """This process's batches of a batch sampler (one with ``set_epoch``), in the order of its steps."""

    def __init__(self, batches: Any, layout: Layout) -> None:
        self.batches, self.layout = batches, layout

    def set_epoch(self, epoch: int) -> None:
        self.batches.set_epoch(epoch)

    def __iter__(self) -> Iterator[list[int]]:
        everything = list(self.batches)
        for local in range(len(self)):
            yield everything[self.layout.position(local)]

    def __len__(self) -> int:
        return self.layout.steps(len(self.batches)) * self.layout.accum


def shard(batches: Any, accum: int) -> Any:
    """The batches of ``batches`` (a batch sampler with ``set_epoch``) this process trains on, ``accum`` per step."""
    layout = Layout.current(accum)
    return batches if layout.group == 1 else ShardedBatches(batches, layout)


def batch_seed(seed: int, epoch: int, position: int) -> int:
    """The RNG seed of the batch at ``position`` of ``epoch``'s order: independent of the process that runs it."""
    return int(np.random.SeedSequence((seed, epoch, position)).generate_state(1, np.uint64)[0] >> 1)


def average_gradients(params: list[nn.Parameter], ok: bool) -> bool:
    """Average the gradients of ``params`` over the processes (one all-reduce; a parameter that has a gradient in
    any process gets one in all) and return whether every process's losses were finite."""
    if world() == 1:
        return ok
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flags = [float(p.grad is not None) for p in params] + [float(not ok)]
    flat = torch.cat([g.reshape(-1).float() for g in grads] + [torch.tensor(flags, device=grads[0].device)])
    dist.all_reduce(flat)
    has, offset = flat[-len(flags) :].tolist(), 0
    for i, (p, g) in enumerate(zip(params, grads)):
        if has[i] > 0:
            p.grad = (flat[offset : offset + g.numel()] / world()).view_as(p).to(p.dtype)
        offset += g.numel()
    return has[-1] == 0


def mean_over_processes(values: dict[str, float]) -> dict[str, float]:
    """The mean of each value over the processes (the same keys in all of them)."""
    if world() == 1:
        return values
    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=_comm_device())
    dist.all_reduce(t)
    means = dict(zip(keys, (t / world()).tolist()))
    return {k: means[k] for k in values}


def from_main(value: Any) -> Any:
    """Rank 0's ``value`` in every process (a picklable object, e.g. validation metrics)."""
    if world() == 1:
        return value
    box = [value if is_main() else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def average_buffers(model: nn.Module) -> None:
    """Average the floating-point buffers (batch-norm running statistics) over the processes, which saw different
    batches, so that the model rank 0 validates and saves is the one all of them hold."""
    if world() == 1:
        return
    for buf in model.buffers():
        if buf.is_floating_point():
            dist.all_reduce(buf)
            buf /= world()
