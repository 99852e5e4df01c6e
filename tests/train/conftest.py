"""A tiny FSC recipe working dir (data/, data/lang, conf/) built once per session, and a tiny model config."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from speechkit.corpora.fsc import prepare_fsc
from speechkit.lang.prepare import prepare_lang

TINY = """task: slu
exp_dir: exp/slu
data: {max_seconds: 20, max_utts: 8, cache_audio: false}
model:
  encoder: {d_model: 32, num_heads: 2, ffn_dim: 64, num_layers: 2, kernel_size: 7, dropout: 0.0}
  phone_layer: 1
  intent_hidden: 32
train: {epochs: 3, pretrain_epochs: 1, warmup_steps: 5, log_every: 1, keep_best: 2, lr: 0.003}
"""


@pytest.fixture(scope="session")
def tiny_recipe(tiny_fsc: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A recipe dir with prepared data and lang for the tiny FSC corpus, and conf/train.yaml (tiny model)."""
    recipe = tmp_path_factory.mktemp("recipe")
    prepare_fsc(tiny_fsc, recipe / "data")
    prepare_lang(recipe / "data" / "train" / "text", recipe / "data" / "lang", bpe_size=40)
    (recipe / "conf").mkdir()
    (recipe / "conf" / "train.yaml").write_text(TINY)
    return recipe


@pytest.fixture()
def recipe(tiny_recipe: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny recipe dir (tests write exp/ into it)."""
    dest = tmp_path / "recipe"
    shutil.copytree(tiny_recipe, dest)
    return dest
