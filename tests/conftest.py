"""Shared fixtures: tiny mini corpora synthesized once per test session, a tiny FSC recipe dir, and helpers that
run the `speechkit` command line in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from speechkit.corpora.fsc import prepare_fsc
from speechkit.data.table import scan_table
from speechkit.lang.prepare import prepare_lang
from speechkit.mini.cvss import build_mini_cvss
from speechkit.mini.fsc import build_mini_fsc
from speechkit.mini.ljspeech import build_mini_ljspeech

KENLM_BIN = Path(__file__).resolve().parents[1] / "tools" / "kenlm" / "bin"


def _kenlm_program(name: str) -> Path:
    """``name`` from PATH or tools/kenlm/bin. Missing is a failure, not a skip: CI builds it."""
    found = shutil.which(name) or shutil.which(name, path=str(KENLM_BIN))
    if found is None:
        pytest.fail(f"KenLM's {name} not found on PATH or in {KENLM_BIN}: run bash tools/install_kenlm.sh")
    return Path(found)


@pytest.fixture(scope="session")
def lmplz() -> Path:
    return _kenlm_program("lmplz")


@pytest.fixture(scope="session")
def build_binary() -> Path:
    return _kenlm_program("build_binary")


@pytest.fixture(scope="session")
def query() -> Path:
    return _kenlm_program("query")


# A tiny SLU model for the tiny FSC corpus: tests shorten its schedule with overrides such as train.epochs=1.
TINY_SLU = """task: slu
exp_dir: exp/slu
data: {max_seconds: 20, max_utts: 8, cache_audio: false}
model:
  encoder: {d_model: 32, num_heads: 2, ffn_dim: 64, num_layers: 2, kernel_size: 7, dropout: 0.0}
  phone_layer: 1
  intent_hidden: 32
train: {epochs: 3, pretrain_epochs: 1, warmup_steps: 5, log_every: 1, keep_best: 2, lr: 0.003}
"""
# The sizes of a tiny FastSpeech 2 (the TTS model's and the direct S2ST model's synthesizer)
TINY_FFT = """  d_model: 32
  encoder: {layers: 1, heads: 2, ffn_dim: 64, kernel_size: 3, dropout: 0.0}
  decoder: {layers: 1, heads: 2, ffn_dim: 64, kernel_size: 3, dropout: 0.0}
  variance: {channels: 32, dropout: 0.0}
  postnet: {layers: 2, channels: 32}
"""
# A tiny FastSpeech 2 for the tiny LJSpeech corpus (3 epochs, a plot every 5 steps).
TINY_FASTSPEECH2 = """task: fastspeech2
exp_dir: exp/tts
data: {max_frames: 1500, max_utts: 4}
model:
""" + TINY_FFT + """train: {epochs: 3, warmup_steps: 4, log_every: 1, keep_best: 2, lr: 0.003, plot_every: 5}
"""
# A tiny direct S2ST model trained from scratch, and tiny configs of every model of the S2ST recipe
# (egs/cvss/s2st1), whose direct model starts from the tiny cascade's parts; two epochs each: they run, not learn.
TINY_S2ST_DIRECT = """task: s2st
exp_dir: exp/s2st
data:
  target_train: data/train_en
  target_valid: data/dev_en
  train_feats: exp/feats/train_en
  valid_feats: exp/feats/dev_en
  max_seconds: 30
  max_utts: 8
  cache_audio: false
tokens: {source: {type: char}, target: {type: bpe, size: 100}}
model:
  encoder: {d_model: 32, num_heads: 2, ffn_dim: 64, num_layers: 2, kernel_size: 7, dropout: 0.0,
            subsampling_channels: 8}
  adapter_layers: 1
  decoder: {d_model: 32, layers: 1, heads: 2, ffn_dim: 64, dropout: 0.0}
  synth:
""" + textwrap.indent(TINY_FFT, "  ") + """  max_pieces: 20
train: {epochs: 2, warmup_steps: 4, log_every: 1, keep_best: 2, lr: 0.003}
"""


def _tiny_asr(name: str, suffix: str) -> str:
    """A tiny ASR config trained on ``data/train{suffix}`` (the judge on English, the cascade's on Spanish)."""
    return f"""task: asr
exp_dir: exp/{name}
data: {{train: data/train{suffix}, valid: data/dev{suffix}, max_seconds: 30, max_utts: 8, cache_audio: false}}
tokens: {{type: bpe, size: 100}}
model:
  encoder: {{d_model: 32, num_heads: 2, ffn_dim: 64, num_layers: 2, kernel_size: 7, subsampling_channels: 8}}
train: {{epochs: 2, warmup_steps: 2, log_every: 1}}
"""


TINY_S2ST_CONFS = {
    "conf/direct.yaml": TINY_S2ST_DIRECT.replace("train: {", "train: {init_encoder: exp/asr_es, init_decoder: exp/mt, "
                                                 "init_synth: exp/tts, "),
    "conf/asr_en.yaml": _tiny_asr("asr_en", "_en"),
    "conf/asr_es.yaml": _tiny_asr("asr_es", ""),
    "conf/mt.yaml": """task: mt
exp_dir: exp/mt
data: {max_tokens: 300, max_utts: 8}
tokens: {source: {type: bpe, size: 100}, target: {type: bpe, size: 100}}
model:
  encoder_layers: 1
  decoder: {d_model: 32, layers: 1, heads: 2, ffn_dim: 64, dropout: 0.0}
  max_pieces: 20
train: {epochs: 2, warmup_steps: 2, log_every: 1}
""",
    "conf/tts.yaml": """task: fastspeech2
exp_dir: exp/tts
data:
  train: data/train_en
  valid: data/dev_en
  train_feats: exp/feats/train_en
  valid_feats: exp/feats/dev_en
  max_frames: 1500
  max_utts: 4
model:
""" + TINY_FFT + """train: {epochs: 2, warmup_steps: 4, log_every: 1, keep_best: 2, lr: 0.003}
""",
}
MINI_CVSS_TINY = "--train-pairs 24 --dev-pairs 6 --test-pairs 6 --train-speakers 2 --dev-speakers 1 --test-speakers 1"

Cli = Callable[..., "subprocess.CompletedProcess[str]"]
EGS = Path(__file__).parents[1] / "egs"
TOOLS = Path(__file__).parents[1] / "tools"


def _environ(env: dict[str, str]) -> dict[str, str] | None:
    return {**os.environ, **env} if env else None


def _run_speechkit(*args: str | Path, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """`speechkit ARGS...` in a subprocess with its output captured as text; keyword arguments other than ``cwd``
    override environment variables, e.g. ``OMP_NUM_THREADS="1"`` or ``PATH=...``."""
    return subprocess.run(["speechkit", *map(str, args)], capture_output=True, text=True, check=False, cwd=cwd,
                          env=_environ(env))  # fmt: skip


@pytest.fixture(scope="session")
def cli() -> Cli:
    """Runs the installed `speechkit` command: ``cli("train", "--recipe", path, cwd=..., VAR="value")``."""
    return _run_speechkit


def _killed_then_rerun(args: list[str | Path], out: Path, at: float,
                       **env: str) -> tuple[subprocess.CompletedProcess[str], bool]:
    """Runs `speechkit ARGS`, SIGKILLs its whole process group (its --nj workers too) ``at`` seconds in, then runs
    it again to the end. Returns the second run and whether the first was killed; checks that no temporary of the
    killed run is left beside or under OUT."""
    proc = subprocess.Popen(["speechkit", *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=_environ(env), start_new_session=True)  # fmt: skip
    try:
        proc.wait(timeout=at)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    res = _run_speechkit(*args, **env)
    leftovers = [p for p in out.parent.rglob("*") if p.name.endswith((".tmp", ".old"))]
    assert not leftovers, leftovers
    return res, proc.returncode == -signal.SIGKILL


@pytest.fixture(scope="session")
def killed_then_rerun() -> Callable[..., tuple[subprocess.CompletedProcess[str], bool]]:
    """See :func:`_killed_then_rerun`."""
    return _killed_then_rerun


def _train_killed_then_resumed(recipe: Path, exp_dir: str = "exp/killed", *options: str, **env: str) -> Path:
    """Trains RECIPE into EXP_DIR (with extra train OPTIONS), SIGKILLs the run's process group (torchrun's workers
    too) once epoch 2 is under way, checks that only the epoch-1 checkpoint is there, then trains again and checks
    that it resumed. Returns the exp dir of the finished run."""
    exp = recipe / exp_dir
    shutil.rmtree(exp, ignore_errors=True)
    args = ["train", "--recipe", str(recipe), *options, f"exp_dir={exp_dir}"]
    proc = subprocess.Popen(["speechkit", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=_environ(env), start_new_session=True)  # fmt: skip
    log = exp / "train.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:  # wait until epoch 2 is under way
        if log.is_file() and any(json.loads(x)["epoch"] == 2 for x in log.read_text().splitlines()):
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (exp / "ckpt" / "epoch1.pt").is_file() and not (exp / "model.pt").exists()
    res = _run_speechkit(*args, **env)
    assert res.returncode == 0 and "resuming" in res.stderr, res.stderr
    return exp


@pytest.fixture(scope="session")
def train_killed_then_resumed() -> Callable[..., Path]:
    """``train_killed_then_resumed(recipe, "exp/killed", *options, VAR="value")``: see _train_killed_then_resumed."""
    return _train_killed_then_resumed


@pytest.fixture(scope="session")
def tiny_slu_yaml() -> str:
    """:data:`TINY_SLU`, for tests that write their own recipe dirs."""
    return TINY_SLU


@pytest.fixture(scope="session")
def tiny_fastspeech2_yaml() -> str:
    """:data:`TINY_FASTSPEECH2`, for tests that write their own recipe dirs."""
    return TINY_FASTSPEECH2


@pytest.fixture(scope="session")
def tiny_s2st_direct() -> str:
    """:data:`TINY_S2ST_DIRECT`: a tiny direct model config without pretrained parts."""
    return TINY_S2ST_DIRECT


@pytest.fixture(scope="session")
def tiny_s2st_confs() -> dict[str, str]:
    """:data:`TINY_S2ST_CONFS`, to write over a copy of egs/cvss/s2st1's conf/."""
    return TINY_S2ST_CONFS


@pytest.fixture(scope="session")
def mini_cvss_tiny_opts() -> str:
    """``run.sh --mini-opts`` for a mini CVSS corpus of 24/6/6 pairs and 2/1/1 speakers."""
    return MINI_CVSS_TINY


@pytest.fixture(scope="session")
def tiny_fsc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mini FSC corpus with 2/1/1 speakers saying 8 phrasings each."""
    root = tmp_path_factory.mktemp("corpora") / "mini_fsc"
    build_mini_fsc(root, seed=3, nj=1, speakers=(2, 1, 1), phrasings_per_speaker=8)
    return root


def uniform_arpa(words: list[str], path: Path) -> Path:
    """An ARPA bigram file giving every word the same probability: enough to drive the decoder."""
    lines = ["\\data\\", f"ngram 1={len(words) + 3}", "ngram 2=1", "", "\\1-grams:", "-99\t<s>\t0", "-1\t</s>\t0",
             "-2\t<unk>\t0", *(f"-1\t{w}\t0" for w in words), "", "\\2-grams:", f"-0.5\t<s> {words[0]}", "",
             "\\end\\", ""]  # fmt: skip
    path.write_text("\n".join(lines))
    return path


@pytest.fixture(scope="session")
def uniform_lm() -> Callable[[list[str], Path], Path]:
    """``uniform_lm(words, path)``: see :func:`uniform_arpa`."""
    return uniform_arpa


@pytest.fixture(scope="session")
def slu_with_lm(tiny_recipe: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tiny FSC recipe with a one-epoch model in exp/slu and an LM of its words in lm.arpa."""
    recipe = tmp_path_factory.mktemp("decode") / "recipe"
    shutil.copytree(tiny_recipe, recipe)
    res = _run_speechkit("train", "--recipe", recipe, "train.epochs=1", "train.keep_best=1")
    assert res.returncode == 0, res.stderr
    words = sorted({line.key for line in scan_table(recipe / "data" / "lang" / "lexicon.txt")})
    uniform_arpa(words, recipe / "lm.arpa")
    return recipe


@pytest.fixture(scope="session")
def tiny_lj(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mini LJSpeech corpus of its first 12 sentences."""
    root = tmp_path_factory.mktemp("corpora") / "mini_lj"
    build_mini_ljspeech(root, seed=0, nj=1, limit=12)
    return root


@pytest.fixture(scope="session")
def tiny_cvss(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mini CVSS corpus (``cv/`` and ``cvss/``) of 24/6/6 sentence pairs and 2/1/1 Spanish speakers."""
    root = tmp_path_factory.mktemp("corpora") / "mini_cvss"
    build_mini_cvss(root, seed=0, nj=1, sizes=(24, 6, 6), speakers=(2, 1, 1))
    return root


@pytest.fixture(scope="session")
def tiny_recipe(tiny_fsc: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A recipe dir with prepared data and lang for the tiny FSC corpus, and conf/train.yaml (:data:`TINY_SLU`).
    Shared by the session: tests copy it before they write exp/ into it."""
    recipe = tmp_path_factory.mktemp("recipe")
    prepare_fsc(tiny_fsc, recipe / "data")
    prepare_lang(recipe / "data" / "train" / "text", recipe / "data" / "lang", bpe_size=40)
    (recipe / "conf").mkdir()
    (recipe / "conf" / "train.yaml").write_text(TINY_SLU)
    return recipe


def _copy_recipe(recipe: str, dest: Path, confs: dict[str, str]) -> Path:
    """``egs/<recipe>`` and ``egs/utils`` copied under ``dest`` (no data/, exp/ or RESULTS.md), each of ``confs``
    (``conf/x.yaml`` -> text) written over the recipe's own; returns the copied recipe dir."""
    shutil.copytree(EGS / "utils", dest / "egs" / "utils")
    skip = shutil.ignore_patterns("data", "exp", "downloads", "RESULTS.md")
    copy = shutil.copytree(EGS / recipe, dest / "egs" / recipe, ignore=skip)
    for name, text in confs.items():
        (copy / name).unlink(missing_ok=True)  # a symlink (conf/train.yaml) is replaced, not written through
        (copy / name).write_text(text)
    return copy


def _run_recipe(recipe: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``bash run.sh ARGS`` in ``recipe`` with one torch thread (tiny models: threads only add overhead)."""
    return subprocess.run(["bash", str(recipe / "run.sh"), *args], capture_output=True, text=True, check=False,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})  # fmt: skip


@pytest.fixture(scope="session")
def copy_recipe() -> Callable[[str, Path, dict[str, str]], Path]:
    """``copy_recipe("fsc/slu1", dest, {"conf/train.yaml": TINY})``: see :func:`_copy_recipe`."""
    return _copy_recipe


@pytest.fixture(scope="session")
def run_recipe() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_recipe(recipe_dir, "--stage", "3")``: ``bash run.sh ARGS`` with one torch thread."""
    return _run_recipe


@pytest.fixture(scope="session")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A one-node Slurm cluster for the session (tools/slurm_localhost.sh): starts slurmctld and slurmd on this
    machine; yields the environment (``SLURM_CONF``) that reaches them."""
    if shutil.which("slurmctld") is None or shutil.which("sbatch") is None:
        pytest.fail("Slurm is not installed: run tools/install_slurm.sh as root (CI does)")
    where = tmp_path_factory.mktemp("slurm")
    res = subprocess.run(["bash", str(TOOLS / "slurm_localhost.sh"), "start", str(where)], capture_output=True,
                         text=True, check=False)  # fmt: skip
    assert res.returncode == 0, res.stderr
    yield {"SLURM_CONF": str(where / "slurm.conf")}
    subprocess.run(["bash", str(TOOLS / "slurm_localhost.sh"), "stop", str(where)], check=False)
