"""Config loading: typed dataclasses from YAML plus command-line overrides, strict keys and types, round trip."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Optional

import pytest

from speechkit.config import COMMAND_LINE, config_to_dict, load_config, save_config
from speechkit.errors import SpeechkitError


@dataclass
class EncoderConfig:
    num_layers: int = 4
    dim: int = 256
    dropout: float = 0.1


@dataclass
class ModelConfig:
    kind: Literal["conformer", "transformer"] = "conformer"
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    decoder: EncoderConfig = field(default_factory=lambda: EncoderConfig(num_layers=2))
    postnet: Optional[EncoderConfig] = None
    dims: list[int] = field(default_factory=lambda: [80, 256])


@dataclass
class TrainConfig:
    lr: float = 1e-3
    max_steps: int = 1000
    amp: bool = False
    betas: tuple[float, ...] = (0.9, 0.98)
    window: tuple[int, int] = (0, 10)
    loss_weights: dict[str, float] = field(default_factory=lambda: {"mel": 1.0, "duration": 1.0})
    init_from: Path | None = None
    lang: str = "en"


@dataclass
class Config:
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


@dataclass
class Required:
    vocab_size: int
    name: str = "x"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conf.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str, overrides: list[str] = ()) -> SpeechkitError:
    with pytest.raises(SpeechkitError) as info:
        load_config(Config, write(tmp_path, text), overrides)
    return info.value


def test_nested_yaml_fills_typed_fields_and_keeps_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "model:\n  kind: transformer\n  encoder:\n    num_layers: 12\n  dims: [40, 40]\n"
        "train:\n  lr: 2\n  betas: [0.8, 0.9]\n  init_from: exp/base/model.pt\n",
    )
    cfg = load_config(Config, path)
    assert cfg.model.kind == "transformer"
    assert cfg.model.encoder == EncoderConfig(num_layers=12, dim=256, dropout=0.1)
    assert cfg.model.decoder == EncoderConfig(num_layers=2)  # untouched section: its own factory's default
    assert cfg.model.dims == [40, 40]
    assert cfg.train.lr == 2.0 and isinstance(cfg.train.lr, float)
    assert cfg.train.betas == (0.8, 0.9)
    assert cfg.train.init_from == Path("exp/base/model.pt")
    assert cfg.train.max_steps == 1000 and cfg.train.loss_weights == {"mel": 1.0, "duration": 1.0}


def test_partial_section_updates_the_fields_default_not_the_class_default(tmp_path: Path) -> None:
    cfg = load_config(Config, write(tmp_path, "model:\n  decoder:\n    dim: 64\n"))
    assert cfg.model.decoder == EncoderConfig(num_layers=2, dim=64)


def test_no_file_and_empty_file_give_defaults(tmp_path: Path) -> None:
    assert load_config(Config, None) == Config()
    assert load_config(Config, write(tmp_path, "# nothing set\n")) == Config()


def test_scientific_notation_is_a_number(tmp_path: Path) -> None:
    cfg = load_config(Config, write(tmp_path, "train:\n  lr: 1e-3\n  max_steps: 1e5\n  lang: 1e5\n"))
    assert cfg.train.lr == pytest.approx(1e-3)
    assert cfg.train.max_steps == 100000 and isinstance(cfg.train.max_steps, int)
    assert cfg.train.lang == "1e5"  # a str field keeps the text


def test_only_true_and_false_are_booleans(tmp_path: Path) -> None:
    cfg = load_config(Config, write(tmp_path, "train:\n  amp: true\n  lang: no\n"))
    assert cfg.train.amp is True and cfg.train.lang == "no"


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    path = write(tmp_path, "model:\n  encoder:\n    nlayers: 6\n")
    with pytest.raises(SpeechkitError) as info:
        load_config(Config, path)
    assert info.value.path == str(path)
    assert info.value.problem == "unknown key 'model.encoder.nlayers' (did you mean 'model.encoder.num_layers'?)"


def test_unknown_key_without_a_close_match_lists_the_known_ones(tmp_path: Path) -> None:
    assert error_of(tmp_path, "optimizer: {}\n").problem == "unknown key 'optimizer' (known keys: model, train)"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("train:\n  lr: abc\n", "key 'train.lr': expected float, got 'abc'"),
        ("train:\n  max_steps: 2.5\n", "key 'train.max_steps': expected int, got 2.5"),
        ("train:\n  amp: yes\n", "key 'train.amp': expected true or false, got 'yes'"),
        ("train:\n  amp: 1\n", "key 'train.amp': expected true or false, got 1"),
        ("train:\n  lang: 3\n", "key 'train.lang': expected str, got 3"),
        ("train:\n  lr: true\n", "key 'train.lr': expected float, got True"),
        ("model:\n  dims: [80, x]\n", "key 'model.dims[1]': expected int, got 'x'"),
        ("model:\n  dims: 80\n", "key 'model.dims': expected a list, got 80"),
        ("train:\n  window: [1, 2, 3]\n", "key 'train.window': expected a list of 2 items, got [1, 2, 3]"),
        ("train:\n  loss_weights: {mel: high}\n", "key 'train.loss_weights.mel': expected float, got 'high'"),
        ("model:\n  encoder: 4\n", "key 'model.encoder': expected a mapping of keys, got 4"),
        ("- model\n", "top level: expected a mapping of keys, got ['model']"),
    ],
)
def test_wrong_types_name_the_key_and_value(tmp_path: Path, text: str, problem: str) -> None:
    error = error_of(tmp_path, text)
    assert error.path == str(tmp_path / "conf.yaml") and error.problem == problem


def test_literal_is_checked(tmp_path: Path) -> None:
    assert load_config(Config, write(tmp_path, "model:\n  kind: transformer\n")).model.kind == "transformer"
    error = error_of(tmp_path, "model:\n  kind: tranformer\n")
    assert error.problem == "key 'model.kind': expected one of 'conformer', 'transformer', got 'tranformer'"


def test_required_field_must_be_given(tmp_path: Path) -> None:
    assert load_config(Required, write(tmp_path, "vocab_size: 31\n")).vocab_size == 31
    with pytest.raises(SpeechkitError, match="missing key 'vocab_size'"):
        load_config(Required, write(tmp_path, "name: y\n"))


def test_overrides_apply_after_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "train:\n  lr: 0.1\n  amp: true\n")
    cfg = load_config(
        Config,
        path,
        [
            "model.encoder.num_layers=8",
            "model.dims=[1, 2, 3]",
            "train.amp=false",
            "train.lr=5e-4",
            "train.betas=[0.5, 0.6]",
            "train.loss_weights.duration=0.5",
            "model.postnet.dim=32",
            "train.init_from=exp/a/model.pt",
        ],
    )
    assert cfg.model.encoder.num_layers == 8 and cfg.model.encoder.dim == 256
    assert cfg.model.dims == [1, 2, 3]
    assert cfg.train.amp is False
    assert cfg.train.lr == pytest.approx(5e-4)
    assert cfg.train.betas == (0.5, 0.6)
    assert cfg.train.loss_weights == {"mel": 1.0, "duration": 0.5}  # one entry set, the others kept
    assert cfg.model.postnet == EncoderConfig(dim=32)  # an Optional section switched on from its defaults
    assert cfg.train.init_from == Path("exp/a/model.pt")
    assert load_config(Config, path, ["model.encoder={dim: 8}"]).model.encoder == EncoderConfig(dim=8)
    assert load_config(Config, None, ["train.init_from=null"]).train.init_from is None


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        ("model.encoder.nlayers=6", "unknown key 'model.encoder.nlayers' (did you mean 'model.encoder.num_layers'?)"),
        ("train.lr.value=1", "unknown key 'train.lr.value' ('train.lr' has no sub-keys)"),
        ("train.lr=abc", "key 'train.lr': expected float, got 'abc'"),
        ("model.kind=rnn", "key 'model.kind': expected one of 'conformer', 'transformer', got 'rnn'"),
        ("train.lr", "override 'train.lr' is not of the form key.sub=value"),
        ("train..lr=1", "override 'train..lr=1' is not of the form key.sub=value"),
    ],
)
def test_bad_overrides_blame_the_command_line(tmp_path: Path, override: str, problem: str) -> None:
    with pytest.raises(SpeechkitError) as info:
        load_config(Config, None, [override])
    assert info.value.path == COMMAND_LINE and info.value.problem == problem


def test_unparsable_override_value_is_one_line() -> None:
    with pytest.raises(SpeechkitError) as info:
        load_config(Config, None, ["model.dims=[1, 2"])
    assert info.value.path == COMMAND_LINE
    assert info.value.problem.startswith("override 'model.dims=[1, 2': invalid YAML at line 1")
    assert "\n" not in str(info.value)


def test_yaml_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    error = error_of(tmp_path, "train:\n  lr: 0.1\n   amp: true\n")
    assert error.path == str(tmp_path / "conf.yaml")
    assert error.problem.startswith("invalid YAML at line 3, column 7: ")
    assert "\n" not in str(error)


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    error = error_of(tmp_path, "train:\n  lr: 0.1\n  lr: 0.2\n")
    assert error.problem == "invalid YAML at line 3, column 3: duplicate key 'lr'"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpeechkitError, match="config file not found"):
        load_config(Config, tmp_path / "absent.yaml")


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    cfg = load_config(
        Config,
        None,
        [
            "model.postnet.num_layers=1",
            "train.lr=1e-7",
            "train.init_from=exp/base/model.pt",
            "train.lang=no",
            "train.loss_weights={pitch: 0.1}",
        ],
    )
    out = tmp_path / "exp" / "config.yaml"
    save_config(cfg, out)
    assert load_config(Config, out) == cfg
    assert [p.name for p in out.parent.iterdir()] == ["config.yaml"]  # no temporary left behind
    text = out.read_text(encoding="utf-8")
    assert "!!" not in text and "dims: [80, 256]" in text
    plain = config_to_dict(cfg)
    assert plain["train"]["init_from"] == "exp/base/model.pt" and plain["train"]["betas"] == [0.9, 0.98]
