"""TTS scoring: MCD (parity with SPTK's freqt, zero on itself, monotone in distortion, DTW over different lengths),
F0 RMSE on known sines, duration errors, and `speechkit score tts` end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from speechkit.cli import app
from speechkit.corpora.ljspeech import prepare_ljspeech
from speechkit.data.audio import read_audio, write_audio
from speechkit.data.datadir import load_data_dir
from speechkit.data.table import read_table, write_table
from speechkit.features.pitch import f0
from speechkit.lang.tokens import BpeTokenizer, train_bpe
from speechkit.lm.kneser_ney import train_arpa
from speechkit.models.builder import build_model, save_model_config
from speechkit.models.ctc import ASRModelConfig, EncoderConfig
from speechkit.score.mcd import MCD_CONST, MCEP, dtw_path, mcd, mel_cepstrum
from speechkit.score.tts import f0_rmse_cents, score_tts
from speechkit.utils import checkpoint

SR = MCEP.sample_rate
runner = CliRunner()

# pysptk 1.0.1: mcep(x[768:1792] * 32768 * sptk.hamming(1024), 34, 0.45, eps=1e-6, etype=1), ESPnet's call, of the
# harmonic wave x of the test below (computed once; pysptk needs a C build and pkg_resources, so CI does not run it)
MCEP_REFERENCE = [
    4.8966502067, 4.0001707793, -1.6758520328, 0.5721281072, 0.4334662188, -0.7959195147, 0.1945206284,
    0.0319622335, -0.5282296108, 0.0533131196, -0.1969932333, -0.3528097329, 0.0144727895, -0.3581663747,
    -0.2799099345, 0.0234292084, -0.4218752381, -0.2805960081, 0.007930346, -0.382301997, -0.2663624413,
    -0.0422476731, -0.2756282251, -0.1618236822, -0.0757178948, -0.1716098795, -0.0220914523, -0.118817919,
    -0.1983282225, -0.0045881385, -0.192264363, -0.2754666486, -0.0081306735, -0.1246725115, -0.2058214266,
]


@pytest.fixture(scope="module")
def lj_data(tiny_lj: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Data dirs of the tiny LJSpeech corpus with half of its 12 utterances in test."""
    out = tmp_path_factory.mktemp("lj_data")
    prepare_ljspeech(tiny_lj, out, dev=0.0, test=0.5)
    return out


@pytest.fixture(scope="module")
def wav(lj_data: Path) -> np.ndarray:
    return read_audio(load_data_dir(lj_data / "test")[0].wav, SR)


def test_mel_cepstrum_matches_sptk_mcep_as_espnet_calls_it() -> None:
    n = np.arange(4096)
    x = sum(np.sin(2 * np.pi * 150 * k * n / SR) / k for k in range(1, 30)) * 0.05 + 0.01 * np.sin(2 * np.pi * 3000 * n / SR)
    c = mel_cepstrum(x)
    assert c.shape == ((4096 - 1024) // 256 + 1, 35)
    np.testing.assert_allclose(c[3], MCEP_REFERENCE, atol=1e-8)  # frame 3 is samples [768, 1792)


def test_mcd_counts_gain_as_espnet_does(wav: np.ndarray) -> None:
    """c0 is included: half the amplitude is ln 2 in c0, (10 / ln 10) * sqrt(2) * ln 2 = 4.26 dB everywhere."""
    assert mcd(wav, 0.5 * wav).mcd == pytest.approx(MCD_CONST * np.log(2), abs=0.05)


def test_mcd_of_a_wave_against_itself_is_zero(wav: np.ndarray) -> None:
    result = mcd(wav, wav)
    assert result.mcd == 0.0
    assert np.array_equal(result.ref_frames, result.syn_frames)  # the diagonal


def test_mcd_grows_with_distortion(wav: np.ndarray) -> None:
    noise = np.random.default_rng(0).standard_normal(len(wav))
    values = [mcd(wav, wav + level * noise).mcd for level in (0.0003, 0.001, 0.003, 0.01, 0.03)]
    assert values == sorted(values) and len(set(values)) == len(values), values
    assert 0 < values[0] < 1.0


def test_dtw_aligns_different_lengths(wav: np.ndarray, lj_data: Path) -> None:
    cut, extra = len(wav) // 2 // 256 * 256, 40 * 256
    slower = np.r_[wav[:cut], wav[cut - extra : cut], wav[cut:]]  # 40 frames said twice: longer, same spectra
    result = mcd(wav, slower)
    n_ref, n_syn = len(mel_cepstrum(wav)), len(mel_cepstrum(slower))
    assert n_syn > n_ref
    assert (result.ref_frames[0], result.syn_frames[0]) == (0, 0)
    assert (result.ref_frames[-1], result.syn_frames[-1]) == (n_ref - 1, n_syn - 1)
    steps = np.diff(np.stack([result.ref_frames, result.syn_frames]), axis=1)
    assert set(map(tuple, steps.T)) <= {(0, 1), (1, 0), (1, 1)}
    other = read_audio(load_data_dir(lj_data / "test")[1].wav, SR)
    assert result.mcd < 0.1 * mcd(wav, other).mcd  # only the frames at the seam differ


def test_dtw_path_follows_the_cheap_cells() -> None:
    cost = np.array([[0, 9, 9, 9], [9, 0, 0, 9], [9, 9, 9, 0]], float)
    rows, cols = dtw_path(cost)
    assert list(zip(rows.tolist(), cols.tolist())) == [(0, 0), (1, 1), (1, 2), (2, 3)]


def test_f0_rmse_of_known_sines() -> None:
    t = np.arange(SR) / SR
    ref = f0(0.5 * np.sin(2 * np.pi * 200 * t), SR, 256)
    up = f0(0.5 * np.sin(2 * np.pi * 200 * 2 ** (50 / 1200) * t), SR, 256)  # 50 cents higher
    frames = np.arange(len(ref))
    assert f0_rmse_cents(ref, ref, frames, frames) == 0.0
    assert f0_rmse_cents(ref, up, frames, frames) == pytest.approx(50, abs=3)
    assert f0_rmse_cents(ref, np.zeros_like(ref), frames, frames) is None  # nothing voiced in both


def _synth_dir(lj_data: Path, dest: Path, pad_s: float = 0.0, keep: int | None = None) -> Path:
    """A fake synthesis dir: each test recording with a little noise and ``pad_s`` seconds of silence appended."""
    rng = np.random.default_rng(1)
    for u in load_data_dir(lj_data / "test")[:keep]:
        x = read_audio(u.wav, SR)
        write_audio(dest / f"{u.utt}.wav", np.r_[x + 0.002 * rng.standard_normal(len(x)), np.zeros(int(pad_s * SR))],
                    SR)  # fmt: skip
    return dest


def test_duration_errors(lj_data: Path, tmp_path: Path) -> None:
    ref = tmp_path / "ref"
    utts = load_data_dir(lj_data / "test")
    ref.mkdir()
    for name in ("wav.scp", "text", "utt2spk", "spk2utt"):
        (ref / name).write_bytes((lj_data / "test" / name).read_bytes())
    syn = _synth_dir(lj_data, tmp_path / "syn", pad_s=0.5)
    write_table(ref / "durations", {utts[0].utt: "3 4 5", utts[1].utt: "2 2"})
    write_table(syn / "durations", {utts[0].utt: "4 4 3", utts[1].utt: "2 2 2"})  # second: token counts differ
    scores = score_tts(ref, syn)
    assert scores["dur_err_s"] == pytest.approx(0.5, abs=1e-3)
    assert scores["phone_dur_err_frames"] == 1.0 and scores["n_dur_utts"] == 1
    assert 0 < scores["mcd"] < 15 and scores["f0_rmse_cents"] < 20  # c0 counts the 0.5 s of appended silence


def _random_asr_model(model_dir: Path, texts: list[str]) -> Path:
    """An untrained character ASR model dir: enough to check that transcripts are made and scored."""
    train_bpe(texts, model_dir / "lang" / "bpe", 0, "char")
    enc = EncoderConfig(d_model=16, num_heads=2, ffn_dim=32, num_layers=1, kernel_size=3, subsampling_channels=8)
    cfg = ASRModelConfig(encoder=enc, n_tokens=len(BpeTokenizer(model_dir / "lang" / "bpe.model")))
    save_model_config(model_dir, "asr", cfg)
    checkpoint.save({"model": build_model("asr", cfg).state_dict()}, model_dir / "model.pt")
    return model_dir


def test_score_tts_cli_writes_scores_json_and_results(lj_data: Path, tmp_path: Path) -> None:
    syn = _synth_dir(lj_data, tmp_path / "syn", keep=4)
    model = _random_asr_model(tmp_path / "asr", [u.text for u in load_data_dir(lj_data / "test")])
    results = tmp_path / "RESULTS.md"
    args = ["score", "tts", "--ref-data", str(lj_data / "test"), "--syn", str(syn), "--asr-model", str(model),
            "--results", str(results)]  # fmt: skip
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    scores = json.loads((syn / "scores.json").read_text())
    assert set(scores) == {"mcd", "f0_rmse_cents", "dur_err_s", "wer_syn", "cer_syn", "wer_ref", "cer_ref", "n_utts",
                           "n_missing"}  # fmt: skip
    assert scores["n_utts"] == 4 and scores["n_missing"] == 2
    assert all(np.isfinite(v) for v in scores.values())
    assert (syn / "asr_syn" / "text").is_file() and (syn / "asr_ref" / "text").is_file()
    first = next(u.utt for u in load_data_dir(lj_data / "test") if (syn / f"{u.utt}.wav").is_file())
    assert [p.name for p in syn.glob("mel_*.png")] == [f"mel_{first}.png"]
    assert (syn / f"mel_{first}.png").read_bytes()[:4] == b"\x89PNG"
    header = (syn / "tts_per_utt.txt").read_text().splitlines()[0]
    assert "order 34 alpha 0.45" in header and "c0 included" in header
    assert "mcd=" in results.read_text() and "wer_syn=" in results.read_text()


def test_score_tts_without_synthesis_is_one_clear_line(lj_data: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    args = ["score", "tts", "--ref-data", str(lj_data / "test"), "--syn", str(tmp_path / "empty")]
    proc = subprocess.run([sys.executable, "-c", "from speechkit.cli import main; main()", *args],
                          capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'empty'}: holds no <utt>.wav for any utterance of {lj_data / 'test'}"
    ]


def test_score_tts_judge_with_an_lm_decodes_as_decode_does(lj_data: Path, tmp_path: Path) -> None:
    texts = [u.text for u in load_data_dir(lj_data / "test")]
    model = _random_asr_model(tmp_path / "asr", texts)
    (tmp_path / "lm.txt").write_text("\n".join(texts) + "\n")
    lm = tmp_path / "lm.arpa"
    train_arpa([tmp_path / "lm.txt"], 2, lm)
    tune = tmp_path / "tune.json"
    tune.write_text(json.dumps({"best": {"alpha": 2.0, "beta": 1.0}}))
    syn = _synth_dir(lj_data, tmp_path / "syn", keep=4)
    base = ["score", "tts", "--ref-data", str(lj_data / "test"), "--syn", str(syn), "--asr-model", str(model)]
    assert runner.invoke(app, base).exit_code == 0
    greedy = read_table(syn / "asr_ref" / "text", allow_empty=True)
    out = runner.invoke(app, [*base, "--lm", str(lm), "--alpha-beta-from", str(tune)])
    assert out.exit_code == 0, out.output
    judged = read_table(syn / "asr_ref" / "text", allow_empty=True)
    decoded = tmp_path / "dec"
    args = ["decode", "--model", str(model), "--data", str(lj_data / "test"), "--lm", str(lm), "--alpha-beta-from",
            str(tune), "--out", str(decoded)]  # fmt: skip
    assert runner.invoke(app, args).exit_code == 0
    assert judged == read_table(decoded / "text", allow_empty=True) and judged != greedy


@pytest.mark.parametrize("extra", [["--lm", "x.arpa"], ["--alpha-beta-from", "t.json"]])
def test_score_tts_lm_needs_tuned_weights(lj_data: Path, tmp_path: Path, extra: list[str]) -> None:
    args = ["score", "tts", "--ref-data", str(lj_data / "test"), "--syn", str(tmp_path), "--asr-model",
            str(tmp_path), *extra]  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", "from speechkit.cli import main; main()", *args],
                          capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.strip() == "error: --lm and --alpha-beta-from go together, with --asr-model"
