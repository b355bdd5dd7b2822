"""A TOML table read key by key, each mistake a :class:`ConfigError` naming the key."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any

from syndicate.errors import ConfigError


class Table:
    """A TOML table that remembers its dotted name and which keys were read."""

    def __init__(self, data: Mapping[str, Any], name: str) -> None:
        self._data = data
        self._name = name
        self._seen: set[str] = set()

    def key(self, key: str) -> str:
        return f"{self._name}.{key}" if self._name else key

    def raw(self, key: str) -> Any:
        self._seen.add(key)
        return self._data.get(key)

    def table(self, key: str) -> Table:
        value = self.raw(key)
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise ConfigError(f"{self.key(key)}: must be a table, got {type_name(value)}")
        return Table(value, self.key(key))

    def string(self, key: str, default: str | None = None, *, required: bool = False) -> str:
        value = self.raw(key)
        if value is None:
            if required or default is None:
                raise ConfigError(f"{self.key(key)}: required, missing")
            return default
        if not isinstance(value, str):
            raise ConfigError(f"{self.key(key)}: must be a string, got {type_name(value)}")
        if required and not value.strip():
            raise ConfigError(f"{self.key(key)}: must not be empty")
        return value

    def optional_string(self, key: str) -> str | None:
        if self.raw(key) is None:
            return None
        return self.string(key)

    def number(self, key: str, default: float | None = None) -> float:
        value = self.raw(key)
        if value is None:
            if default is None:
                raise ConfigError(f"{self.key(key)}: required, missing")
            return default
        # bool is an int subclass in Python; `min_quality = true` is a mistake, not 1.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{self.key(key)}: must be a number, got {type_name(value)}")
        if not math.isfinite(value):
            raise ConfigError(f"{self.key(key)}: must be a finite number, got {value}")
        return value

    def integer(self, key: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{self.key(key)}: must be an integer, got {type_name(value)}")
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and at most {maximum}" if maximum is not None else ""
            raise ConfigError(f"{self.key(key)}: must be at least {minimum}{upper}, got {value}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ConfigError(f"{self.key(key)}: must be true or false, got {type_name(value)}")
        return value

    def string_list(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{self.key(key)}: must be a list of strings")
        return tuple(value)

    def check_unknown(self) -> None:
        """Refuse any key not read so far: call it after reading every known key, so
        the keys read are exactly the valid ones (and the suggestions for a typo)."""
        unknown = sorted(set(self._data) - self._seen)
        if unknown:
            raise ConfigError(f"{self.key(unknown[0])}: unknown key{self._hint(unknown[0])}")

    def _hint(self, typo: str) -> str:
        close = difflib.get_close_matches(typo, sorted(self._seen), n=1)
        return f" (did you mean {self.key(close[0])}?)" if close else ""


def type_name(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "a list", dict: "a table"}
    return names.get(type(value), type(value).__name__)
