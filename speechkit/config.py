"""Typed recipe configs: ``conf/*.yaml`` plus ``key.sub=value`` overrides, loaded into dataclasses.

A recipe declares its settings as nested dataclasses with defaults. :func:`load_config` fills them from YAML and
then from the command line, checking every key and value, so a typo (``nlayers``) or a wrong type stops the run
instead of silently training with a default. :func:`save_config` writes the resolved config, which
:func:`load_config` reads back to an equal object; that file is ``exp/<name>/config.yaml``.

Merging rules: a mapping given for a dataclass sets only the keys it names (the rest keep their current values);
every other value, lists and dicts included, replaces what was there. ``a.b=v`` on the command line sets one key,
and may also name one entry of a dict field (``train.loss_weights.duration=0.5``).

Example::

    @dataclass
    class TrainConfig:
        lr: float = 1e-3
        epochs: int = 10

    @dataclass
    class Config:
        train: TrainConfig = field(default_factory=TrainConfig)

    cfg = load_config(Config, Path("conf/train.yaml"), ["train.lr=5e-4"])
    save_config(cfg, exp_dir / "config.yaml")
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
import types
import typing
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar, Union

import yaml

from speechkit.errors import SpeechkitError
from speechkit.utils.atomic import write_text_atomic

T = TypeVar("T")

COMMAND_LINE = "command line"
"""The ``path`` of a :class:`SpeechkitError` raised by an override."""

_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MERGE_TAG = "tag:yaml.org,2002:merge"
# PyYAML follows YAML 1.1, whose floats need a dot: ``1e-3`` arrives as a string. Numeric fields accept it.
_SCIENTIFIC = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+")


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, made strict where YAML 1.1 surprises people.

    Only ``true``/``false`` are booleans (``lang: no`` stays the string ``'no'``), dates stay strings, and a key
    repeated in one mapping is an error instead of the last one silently winning.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE_TAG:
                key = self.construct_object(key_node)
                if key in seen:
                    raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


class _Dumper(yaml.SafeDumper):
    """Writes a list of scalars on one line (``dims: [256, 256]``), the way people write it in ``conf/*.yaml``."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.SequenceNode:
    flow = not any(isinstance(v, (list, dict)) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def load_config(cls: type[T], path: str | Path | None = None, overrides: Sequence[str] = ()) -> T:
    """Build ``cls`` (a dataclass) from its defaults, then the YAML file ``path``, then ``overrides`` in order.

    Each override is ``key.sub=value`` with ``value`` read as YAML (``train.lr=1e-3``, ``model.dims=[256,256]``,
    ``train.amp=true``). Raises :class:`SpeechkitError` naming the file (or ``command line``) for unreadable YAML,
    an unknown key (with the closest known keys) or a value of the wrong type.
    """
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"load_config needs a dataclass type, got {cls!r}")
    data: Any = {}
    source = COMMAND_LINE
    if path is not None:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SpeechkitError(path, "config file not found") from None
        except (OSError, UnicodeDecodeError) as e:
            raise SpeechkitError(path, f"cannot read config ({e})") from None
        data = _parse_yaml(text, source)
    cfg = config_from_dict(cls, {} if data is None else data, source)
    for override in overrides:
        cfg = _apply_override(cfg, override)
    return cfg


def config_from_dict(cls: type[T], data: Any, source: str) -> T:
    """Build ``cls`` from already-parsed YAML data with the same checks as :func:`load_config`."""
    return _coerce(cls, data, None, "", source)


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """``cfg`` as plain YAML data: dicts, lists, str/int/float/bool/None (tuples become lists, paths strings)."""
    return _plain(cfg)


def save_config(cfg: Any, path: str | Path) -> None:
    """Write the resolved ``cfg`` as YAML, atomically so an interrupted run never leaves half a config."""
    text = yaml.dump(config_to_dict(cfg), Dumper=_Dumper, sort_keys=False, allow_unicode=True)
    write_text_atomic(path, text)


def _parse_yaml(text: str, source: str, what: str = "") -> Any:
    """YAML ``text``; a syntax error becomes one line with its line and column, not a trace through yaml."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = "" if mark is None else f" at line {mark.line + 1}, column {mark.column + 1}"
        raise SpeechkitError(source, f"{what}invalid YAML{where}: {getattr(e, 'problem', None) or e}") from None


def _apply_override(cfg: T, override: str) -> T:
    """``cfg`` with one ``key.sub=value`` override applied."""
    key, sep, text = override.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(parts):
        raise SpeechkitError(COMMAND_LINE, f"override '{override}' is not of the form key.sub=value")
    value = _parse_yaml(text, COMMAND_LINE, f"override '{override}': ")
    return _set(type(cfg), cfg, parts, value, "")


def _set(tp: Any, current: Any, parts: list[str], value: Any, key: str) -> Any:
    """``current`` (annotated ``tp``, reached by dotted ``key``) with the entry at ``parts`` set to ``value``."""
    if not parts:
        return _coerce(tp, value, current, key, COMMAND_LINE)
    tp = _optional_inner(tp) or tp
    name, rest = parts[0], parts[1:]
    sub = _join(key, name)
    if dataclasses.is_dataclass(tp):
        if current is None:  # an Optional section that is off: start it from its defaults
            current = _coerce(tp, {}, None, key, COMMAND_LINE)
        schema = _schema(tp)
        if name not in schema:
            raise _unknown_key(COMMAND_LINE, ".".join([sub, *rest]), key, name, schema)
        field_type, _ = schema[name]
        changed = _set(field_type, getattr(current, name), rest, value, sub)
        return _construct(COMMAND_LINE, key, lambda: dataclasses.replace(current, **{name: changed}))
    if typing.get_origin(tp) is dict:
        key_type, value_type = typing.get_args(tp)
        raw = name if key_type is str else _parse_yaml(name, COMMAND_LINE, f"key '{sub}': ")
        entry = _coerce(key_type, raw, None, sub, COMMAND_LINE)
        entries = dict(current or {})
        entries[entry] = _set(value_type, entries.get(entry), rest, value, sub)
        return entries
    raise SpeechkitError(COMMAND_LINE, f"unknown key '{'.'.join([sub, *rest])}' ('{key}' has no sub-keys)")


def _coerce(tp: Any, value: Any, base: Any, key: str, source: str) -> Any:
    """``value`` read from YAML, checked and converted to annotation ``tp``.

    ``base`` is the current value: a mapping given for a dataclass updates it (None: start from the defaults).
    """
    if dataclasses.is_dataclass(tp):
        return _coerce_dataclass(tp, value, base, key, source)
    inner = _optional_inner(tp)
    if inner is not None:
        return None if value is None else _coerce(inner, value, base, key, source)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Literal:
        if any(type(value) is type(a) and value == a for a in args):
            return value
        raise _bad_value(source, key, f"one of {', '.join(map(repr, args))}", value)
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise _bad_value(source, key, "a list", value)
        item_types = [args[0]] * len(value)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            if len(value) != len(args):
                raise _bad_value(source, key, f"a list of {len(args)} items", value)
            item_types = list(args)
        items = [_coerce(t, v, None, f"{key}[{i}]", source) for i, (t, v) in enumerate(zip(item_types, value))]
        return items if origin is list else tuple(items)
    if origin is dict:
        if not isinstance(value, dict):
            raise _bad_value(source, key, "a mapping", value)
        key_type, value_type = args
        return {
            _coerce(key_type, k, None, _join(key, k), source): _coerce(value_type, v, None, _join(key, k), source)
            for k, v in value.items()
        }
    return _coerce_scalar(tp, value, key, source)


def _coerce_dataclass(cls: type, value: Any, base: Any, key: str, source: str) -> Any:
    if not isinstance(value, dict):
        raise _bad_value(source, key, "a mapping of keys", value)
    schema = _schema(cls)
    given = {}
    for name, item in value.items():
        sub = _join(key, name)
        if name not in schema:
            raise _unknown_key(source, sub, key, str(name), schema)
        field_type, field = schema[name]
        current = getattr(base, name) if base is not None else _default(field)
        given[name] = _coerce(field_type, item, None if current is dataclasses.MISSING else current, sub, source)
    if base is None:
        for name, (_, field) in schema.items():
            if name not in given and _default(field) is dataclasses.MISSING:
                raise SpeechkitError(source, f"missing key '{_join(key, name)}'")
    return _construct(source, key, lambda: cls(**given) if base is None else dataclasses.replace(base, **given))


def _construct(source: str, key: str, make: Callable[[], T]) -> T:
    """``make()``, with the ValueError a dataclass's ``__post_init__`` raises for a value out of range reported as
    bad input from ``source`` at ``key``."""
    try:
        return make()
    except ValueError as e:
        raise SpeechkitError(source, f"key '{key}': {e}" if key else str(e)) from None


def _coerce_scalar(tp: Any, value: Any, key: str, source: str) -> Any:
    """bool only from true/false; int and float also from scientific notation; int only when integral."""
    if tp is bool:
        if isinstance(value, bool):
            return value
        expected = "true or false"
    elif tp is int:
        number = _number(value)
        if isinstance(number, int) or (isinstance(number, float) and number.is_integer()):
            return int(number)
        expected = "int"
    elif tp is float:
        number = _number(value)
        if number is not None:
            return float(number)
        expected = "float"
    elif tp is str:
        if isinstance(value, str):
            return value
        expected = "str"
    elif tp is Path:
        if isinstance(value, str):
            return Path(value)
        expected = "a path"
    else:
        raise TypeError(f"config key '{key}': unsupported annotation {tp!r}")
    raise _bad_value(source, key, expected, value)


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and _SCIENTIFIC.fullmatch(value):
        return float(value)
    return None


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


@functools.cache
def _schema(cls: type) -> dict[str, tuple[Any, dataclasses.Field[Any]]]:
    """Init fields of ``cls`` with their annotations resolved (``from __future__ import annotations`` stores text)."""
    hints = typing.get_type_hints(cls)
    return {f.name: (hints[f.name], f) for f in dataclasses.fields(cls) if f.init}


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def _optional_inner(tp: Any) -> Any:
    """``X`` for ``Optional[X]`` / ``X | None``, else None. Other unions are not config types."""
    if typing.get_origin(tp) not in (Union, types.UnionType):
        return None
    inner = [a for a in typing.get_args(tp) if a is not type(None)]
    if len(inner) != 1 or len(typing.get_args(tp)) != 2:
        raise TypeError(f"unsupported config annotation {tp!r}: only Optional unions are allowed")
    return inner[0]


def _join(key: str, name: Any) -> str:
    return f"{key}.{name}" if key else str(name)


def _bad_value(source: str, key: str, expected: str, value: Any) -> SpeechkitError:
    where = f"key '{key}'" if key else "top level"
    return SpeechkitError(source, f"{where}: expected {expected}, got {value!r}")


def _unknown_key(source: str, key: str, parent: str, name: str, known: Collection[str]) -> SpeechkitError:
    close = difflib.get_close_matches(name, list(known), n=3)
    if close:
        hint = "did you mean " + " or ".join(f"'{_join(parent, c)}'" for c in close) + "?"
    else:
        hint = "known keys: " + ", ".join(_join(parent, k) for k in known)
    return SpeechkitError(source, f"unknown key '{key}' ({hint})")
