"""Stages as jobs: decode and align split into --nj parts, run here or through Slurm, merge to what one process writes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from speechkit.data.table import read_table, write_table
from speechkit.errors import SpeechkitError
from speechkit.jobs.backend import Cmd
from speechkit.jobs.run import with_options
from speechkit.jobs.split import merge_outputs, split_data_dir


def files(root: Path) -> dict[str, bytes]:
    """Every output file under ``root`` by relative path, the job logs left out (they hold timings)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).parts[0] != "log"}  # fmt: skip


def decode(cli, recipe: Path, out: Path, *extra: str, **env: str):
    res = cli("decode", "--model", recipe / "exp" / "slu", "--data", recipe / "data" / "test", "--out", out, *extra,
              **env)  # fmt: skip
    assert res.returncode == 0, res.stderr
    return res


LM = ["--beam", "8", "--nbest", "3", "--format", "ctm"]


def test_decode_jobs_write_what_one_process_writes(slu_with_lm: Path, tmp_path: Path, cli) -> None:
    lm = ["--lm", str(slu_with_lm / "lm.arpa"), *LM]
    for extra in ([], lm):
        decode(cli, slu_with_lm, tmp_path / "one", *extra)
        res = decode(cli, slu_with_lm, tmp_path / "two", "--nj", "2", *extra)
        assert "with 2 jobs" in res.stdout
        one, two = files(tmp_path / "one"), files(tmp_path / "two")
        assert one == two and {"text", "utt2intent"} <= set(one), sorted(set(one) ^ set(two))
        assert {p.name for p in (tmp_path / "two" / "log").iterdir()} == {"decode.1.log", "decode.1.rc",
                                                                          "decode.2.log", "decode.2.rc"}
    assert {"nbest", "ctm"} <= set(one)


def test_decode_and_align_through_slurm_write_what_local_jobs_write(slu_with_lm: Path, aligner: tuple[Path, Path],
                                                                     tmp_path: Path, cli, slurm) -> None:  # fmt: skip
    lm = ["--lm", str(slu_with_lm / "lm.arpa"), *LM]
    decode(cli, slu_with_lm, tmp_path / "local", "--nj", "2", *lm)
    res = decode(cli, slu_with_lm, tmp_path / "slurm", "--nj", "2", "--cmd", "slurm --mem 1G", *lm, **slurm)
    assert files(tmp_path / "local") == files(tmp_path / "slurm")
    assert "on " in (tmp_path / "slurm" / "log" / "decode.2.log").read_text()  # the batch script's "# job 2 on HOST"
    assert "with 2 jobs" in res.stdout
    data, model = aligner
    for name, extra, env in (("align_local", [], {}), ("align_slurm", ["--cmd", "slurm"], slurm)):
        res = cli("align", "--data", data / "train", "--out", tmp_path / name, "--model", model, "--nj", "2", *extra,
                  **env)  # fmt: skip
        assert res.returncode == 0 and "in 2 jobs" in res.stderr, res.stderr
    one = cli("align", "--data", data / "train", "--out", tmp_path / "align_one", "--model", model)
    assert one.returncode == 0, one.stderr
    a, b, c = (files(tmp_path / n) for n in ("align_one", "align_local", "align_slurm"))
    assert a == b == c and {"durations", "phones", "frame_range"} <= set(a)
    assert sum(n.endswith(".TextGrid") for n in a) == len(read_table(data / "train" / "wav.scp"))


def test_a_failing_job_is_named_with_its_log_and_nothing_is_merged(slu_with_lm: Path, tmp_path: Path, cli) -> None:
    data = tmp_path / "data"
    shutil.copytree(slu_with_lm / "data" / "test", data)
    wavs = read_table(data / "wav.scp")
    last = list(wavs)[-1]
    bad = tmp_path / "nan.wav"
    sf.write(bad, np.full(8000, np.nan, dtype=np.float32), 16000, subtype="FLOAT")
    write_table(data / "wav.scp", {**wavs, last: str(bad)})
    (data / "utt2dur").unlink(missing_ok=True)
    res = cli("decode", "--model", slu_with_lm / "exp" / "slu", "--data", data, "--out", tmp_path / "out", "--nj", "2")
    assert res.returncode == 1
    line = res.stderr.strip().splitlines()[-1]
    assert line.startswith(f"error: {tmp_path / 'out' / 'log' / 'decode.2.log'}: decode job 2 of 2 failed with exit "
                           "status 1: error: "), line  # fmt: skip
    assert "nan.wav" in line
    assert not (tmp_path / "out" / "text").exists()


def test_cmd_parses_backends_and_maps_gpus_to_gres() -> None:
    assert Cmd.parse("local") == Cmd("local", [])
    assert Cmd.parse("slurm --gpu 2 --mem 4G -p gpu") == Cmd("slurm", ["--gres=gpu:2", "--mem", "4G", "-p", "gpu"])
    assert Cmd.parse("slurm --gpu=1").options == ["--gres=gpu:1"]
    for bad, says in (("pbs", "must start with local or slurm"), ("local --mem 4G", "local takes no options"),
                      ("slurm --gpu many", "--gpu takes a number")):  # fmt: skip
        with pytest.raises(SpeechkitError, match=says):
            Cmd.parse(bad)


def test_job_commands_replace_options_in_either_spelling() -> None:
    argv = ["decode", "--model", "m", "--data=d", "--nj", "4", "--beam", "8"]
    assert with_options(argv, {"--data": "p/1", "--nj": "1", "--cmd": "local"}) == [
        "decode", "--model", "m", "--beam", "8", "--data", "p/1", "--nj", "1", "--cmd", "local"]  # fmt: skip


def test_split_keeps_each_tables_lines_of_a_share_and_merge_restores_the_order(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    utts = [f"spk{s}-u{i}" for s in (1, 2) for i in range(3)]
    write_table(data / "wav.scp", {u: f"/x/{u}.wav" for u in utts})
    write_table(data / "text", {u: "hello there" for u in utts})
    write_table(data / "utt2spk", {u: u.split("-")[0] for u in utts})
    write_table(data / "spk2gender", {"spk1": "f", "spk2": "m"})
    parts = split_data_dir(data, 4, tmp_path / "split")
    shares = [list(read_table(p / "wav.scp")) for p in parts]
    assert shares == [utts[0:1], utts[1:3], utts[3:4], utts[4:6]]
    assert read_table(parts[1] / "spk2utt") == {"spk1": "spk1-u1 spk1-u2"}
    assert read_table(parts[3] / "spk2gender") == {"spk2": "m"} and list(read_table(parts[3] / "text")) == utts[4:6]
    assert len(split_data_dir(data, 100, tmp_path / "many")) == len(utts)  # no empty parts
    merge_outputs(parts, tmp_path / "merged")
    for name in ("wav.scp", "text", "utt2spk"):
        assert (tmp_path / "merged" / name).read_bytes() == (data / name).read_bytes()
