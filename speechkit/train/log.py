"""Training logs: JSON lines (machine-readable) plus a PNG of the curves, both rewritten atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from speechkit.utils.atomic import atomic_path, write_text_atomic


class TrainLog:
    """Appends records to ``train.jsonl``; :meth:`plot` draws loss and validation curves to ``curves.png``.

    On resume, records after the checkpoint's step are dropped so the log matches the weights.
    """

    def __init__(self, exp_dir: Path, resume_step: int) -> None:
        self.path = exp_dir / "train.jsonl"
        self.records: list[dict[str, Any]] = []
        if self.path.is_file():
            for line in self.path.read_text().splitlines():
                rec = json.loads(line)
                if rec["step"] <= resume_step:
                    self.records.append(rec)
        self._flush()

    def add(self, **record: Any) -> None:
        self.records.append(record)
        self._flush()

    def _flush(self) -> None:
        write_text_atomic(self.path, "".join(json.dumps(r) + "\n" for r in self.records))

    def plot(self, png: Path, train_keys: list[str], valid_keys: list[str]) -> None:
        """Training losses against step, validation metrics against epoch."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
        train = [r for r in self.records if r["split"] == "train"]
        valid = [r for r in self.records if r["split"] == "valid"]
        for key in train_keys:
            ax1.plot([r["step"] for r in train if key in r], [r[key] for r in train if key in r], label=key)
        for key in valid_keys:
            ax2.plot([r["epoch"] for r in valid if key in r], [r[key] for r in valid if key in r], "o-", label=key)
        ax1.set(xlabel="step", title="training", yscale="log")
        ax2.set(xlabel="epoch", title="validation")
        for ax in (ax1, ax2):
            if ax.get_legend_handles_labels()[0]:  # a task may have no validation metric besides its score
                ax.legend()
            ax.grid(alpha=0.3)
        fig.tight_layout()
        with atomic_path(png) as tmp:
            fig.savefig(tmp, format="png", dpi=90)
        plt.close(fig)
