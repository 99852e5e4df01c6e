"""Log-mel spectrograms of one utterance drawn one above the other: how a TTS run is looked at, not just scored.

Training draws the target above the prediction (``exp/<tts>/plots``); ``score tts`` draws a real recording above
its synthesis (``SYN/mel_<utt>.png``). Each panel is z-normalized on its own, so loudness does not hide shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from speechkit.utils.atomic import atomic_path


def plot_mels(png: Path, utt: str, mels: Sequence[np.ndarray], titles: Sequence[str]) -> None:
    """One panel per ``(frames, n_mels)`` log-mel, titled ``utt: title``; written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(mels), 1, figsize=(10, 2.5 * len(mels)), squeeze=False)
    for ax, mel, title in zip(axes[:, 0], mels, titles):
        z = (mel - mel.mean()) / max(float(mel.std()), 1e-5)
        ax.imshow(z.T, origin="lower", aspect="auto", vmin=-3, vmax=3)
        ax.set(title=f"{utt}: {title}", ylabel="mel bin")
    axes[-1, 0].set_xlabel("frame")
    fig.tight_layout()
    with atomic_path(png) as tmp:
        fig.savefig(tmp, format="png", dpi=80)
    plt.close(fig)
