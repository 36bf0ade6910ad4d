"""Load the configuration: file (TOML), then ``MDC_*`` environment overrides, then validation.

Every error names the key it is about, in the dotted form a user writes in the file
(``symbols[3].depth_levels: must be 1..50, got 80``).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import UnionType
from typing import (
    Annotated,
    Any,
    Final,
    Literal,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

import msgspec

from mdc.config.schema import Config
from mdc.domain.native import PURE_ENV

ENV_PREFIX: Final = "MDC_"
# Variables with a meaning of their own that are not key paths.
_ENV_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "MDC_API_KEY": ("http", "api_key"),
    "MDC_LOG_LEVEL": ("logging", "level"),
    "MDC_LOG_FORMAT": ("logging", "format"),
    "MDC_DATA": ("storage", "root"),
}
_ENV_IGNORED: Final = frozenset({"MDC_CONFIG", PURE_ENV})
"""Not config keys: the config file's path, and the switch to the Python reference paths."""
_SECRET_KEY = re.compile(r"(key|secret|token|password|passphrase|webhook|dsn)", re.IGNORECASE)
MASK: Final = "****"

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration problem; ``str()`` is the message to show the user."""


def load_config(
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """The validated configuration from ``path`` (or ``$MDC_CONFIG``), env vars and overrides.

    ``overrides`` are dotted keys from the command line (``{"storage.root": "x"}``); they win.
    """
    env = os.environ if env is None else env
    path = path or env.get("MDC_CONFIG") or None
    raw: dict[str, Any] = read_file(Path(path)) if path else {}
    for name, value in sorted(env.items()):
        keys = _env_keys(name)
        if keys is not None:
            _set_path(raw, keys, _parse_env_value(value, keys), origin=name)
    for dotted, value in (overrides or {}).items():
        if value is not None:
            _set_path(raw, tuple(dotted.split(".")), value, origin=f"--{dotted}")
    return convert(raw, Config)


def read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from None
    try:
        return dict(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def convert(raw: Any, type_: type[T], prefix: str = "") -> T:
    """``msgspec.convert`` with errors rewritten to name the key and the value found."""
    try:
        return msgspec.convert(raw, type_, str_keys=True)
    except msgspec.ValidationError as exc:
        raise ConfigError(_describe(str(exc), raw, prefix)) from None


def provider_section(config: Config, name: str, type_: type[T]) -> T:
    """The validated ``[providers.<name>]`` section for a provider's own config struct."""
    return convert(config.providers.get(name, {}), type_, prefix=f"providers.{name}")


def to_dict(config: msgspec.Struct, mask_secrets: bool = True) -> dict[str, Any]:
    """Plain data for display; secrets (``*key*``, ``*secret*``, ``*token*`` …) masked."""
    data: dict[str, Any] = msgspec.to_builtins(config)
    return dict(mask(data)) if mask_secrets else data


def mask(data: Any) -> Any:
    if isinstance(data, dict):
        return {
            k: (MASK if _SECRET_KEY.search(str(k)) and v not in (None, "") else mask(v))
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [mask(v) for v in data]
    return data


def _env_keys(name: str) -> tuple[str, ...] | None:
    if not name.startswith(ENV_PREFIX) or name in _ENV_IGNORED:
        return None
    if name in _ENV_ALIASES:
        return _ENV_ALIASES[name]
    rest = name[len(ENV_PREFIX) :]
    if not rest:
        return None
    return tuple(part.lower() for part in rest.split("__"))


def _parse_env_value(value: str, keys: Sequence[str]) -> Any:
    """JSON/TOML literals (numbers, booleans, arrays) as such; for a list key ``a,b`` (or a
    lone ``a``) is a list; else text."""
    if get_origin(_field_type(keys)) is list and not value.lstrip().startswith("["):
        return [part.strip() for part in value.split(",") if part.strip()]
    try:
        return json.loads(value)
    except ValueError:
        pass
    try:
        return tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        pass
    if "," in value:
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _set_path(raw: dict[str, Any], keys: tuple[str, ...], value: Any, origin: str) -> None:
    node = raw
    for i, key in enumerate(keys[:-1]):
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            dotted = ".".join(keys[: i + 1])
            raise ConfigError(f"{origin}: {dotted} is not a section")
        node = child
    node[keys[-1]] = value


_PATH_RE = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_BOUND_RE = re.compile(r"Expected `(?P<type>\w+)` (?P<op>>=|<=|>|<) (?P<bound>[-\d.e+]+)")
_LENGTH_RE = re.compile(r"Expected `(?P<type>\w+)` of length (?P<op>>=|<=) (?P<bound>\d+)")
_UNITS: Final = {"array": "item", "object": "entry", "str": "character"}


def _describe(message: str, raw: Any, prefix: str) -> str:
    """Turn msgspec's ``Expected `int` <= 50 - at `$.a[3].b` `` into ``a[3].b: must be …``."""
    match = _PATH_RE.search(message)
    path = match.group("path") if match else ""
    body = message[: match.start()] if match else message
    key = (prefix + path) if path.startswith("[") else (prefix + "." + path.lstrip(".")).strip(".")
    found = _lookup(raw, path)
    if body.startswith("Object contains unknown field"):
        field = body.split("`")[1]
        key = f"{key}.{field}" if key else field
        return f"{key}: unknown key"
    if body.startswith("Object missing required field"):
        field = body.split("`")[1]
        key = f"{key}.{field}" if key else field
        return f"{key}: required"
    if not key:  # a check across keys (``__post_init__``) names its keys itself
        return body
    bound = _BOUND_RE.match(body)
    length = _LENGTH_RE.match(body)
    if length:
        unit = _UNITS.get(length.group("type"), "item")
        word = "at least" if length.group("op") == ">=" else "at most"
        plural = "" if length.group("bound") == "1" else "s"
        body = f"must have {word} {length.group('bound')} {unit}{plural}"
    elif bound:
        words = {">=": "at least", "<=": "at most", ">": "greater than", "<": "less than"}
        body = f"must be {words[bound.group('op')]} {bound.group('bound')}"
    elif body.startswith("Expected `"):
        body = "must be " + body.split("`")[1].replace("array", "a list").replace(
            "object", "a table"
        )
    elif body.startswith("Invalid enum value"):
        body = "not one of the allowed values"
    else:
        body = body[0].lower() + body[1:] if body else "invalid"
    allowed = _allowed_values(key)
    shown = f", got {json.dumps(found)}" if found is not _MISSING else ""
    return f"{key or '(top level)'}: {body}{allowed}{shown}"


_MISSING: Final = object()


def _lookup(raw: Any, path: str) -> Any:
    node = raw
    for part in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path):
        name, index = part
        try:
            node = node[int(index)] if index else node[name]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return node


def _allowed_values(key: str) -> str:
    """`` (one of: a, b)`` for keys whose type (or list element type) is a Literal."""
    hint = _field_type(re.sub(r"\[\d+\]", "", key).split("."))
    if get_origin(hint) is list:
        hint = _strip(get_args(hint)[0])
    if get_origin(hint) is Literal:
        return " (one of: " + ", ".join(str(a) for a in get_args(hint)) + ")"
    return ""


def _field_type(keys: Sequence[str]) -> Any:
    """The schema's type at a key path (``Annotated`` and ``None`` stripped), else ``None``."""
    node: Any = Config
    for part in keys:
        if get_origin(node) is list:
            node = _strip(get_args(node)[0])
        if get_origin(node) in (Union, UnionType):
            structs = [
                a for a in get_args(node) if isinstance(a, type) and issubclass(a, msgspec.Struct)
            ]
            node = structs[0] if structs else node
        if not (isinstance(node, type) and issubclass(node, msgspec.Struct)):
            return None
        hints = get_type_hints(node, include_extras=True)
        if part not in hints:
            return None
        node = _strip(hints[part])
    return node


def _strip(hint: Any) -> Any:
    while get_origin(hint) is Annotated:
        hint = get_args(hint)[0]
    if get_origin(hint) in (Union, UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return _strip(args[0])
    return hint
