"""Typed variable specs and the checks a value must pass before it reaches Jinja.

Values are checked by hand rather than through pydantic on every render: it keeps
rendering cheap, and the messages can say which template and variable is wrong.
"""

from __future__ import annotations

import json
import math
from abc import abstractmethod
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_FROZEN = ConfigDict(extra="forbid", frozen=True)
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


class _Spec(BaseModel):
    model_config = _FROZEN

    description: str = ""
    required: bool | None = Field(None, description="Defaults to true when no default is given.")

    @property
    def is_required(self) -> bool:
        return self.required if self.required is not None else self.default_value() is None

    def default_value(self) -> Any:
        return getattr(self, "default", None)

    def empty_value(self) -> Any:
        """What an optional variable without a default renders as."""
        return None

    @abstractmethod
    def check(self, value: Any, *, from_text: bool = False) -> Any:
        """Return the value in its canonical type or raise ValueError saying why."""

    @model_validator(mode="after")
    def _default_is_valid(self) -> _Spec:
        default = self.default_value()
        if default is not None:
            if self.required:
                raise ValueError("a variable with a default cannot also be required: true")
            try:
                self.check(default)
            except ValueError as exc:
                raise ValueError(f"default {default!r} is invalid: {exc}") from None
        return self


def _check_length(text: str, min_length: int | None, max_length: int | None) -> None:
    if max_length is not None and len(text) > max_length:
        raise ValueError(f"is {len(text)} characters long, more than max_length {max_length}")
    if min_length is not None and len(text) < min_length:
        raise ValueError(f"is {len(text)} characters long, less than min_length {min_length}")


def _check_range(value: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and value < minimum:
        raise ValueError(f"{value} is below minimum {minimum}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{value} is above maximum {maximum}")


class StringVariable(_Spec):
    type: Literal["string"]
    default: str | None = None
    min_length: int | None = Field(None, ge=0)
    max_length: int | None = Field(None, ge=1)

    def empty_value(self) -> Any:
        return ""

    def check(self, value: Any, *, from_text: bool = False) -> Any:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {type(value).__name__}")
        _check_length(value, self.min_length, self.max_length)
        return value


class IntegerVariable(_Spec):
    type: Literal["integer"]
    default: int | None = None
    minimum: int | None = None
    maximum: int | None = None

    def check(self, value: Any, *, from_text: bool = False) -> Any:
        if from_text and isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise ValueError(f"expected an integer, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer, got {type(value).__name__}")
        _check_range(value, self.minimum, self.maximum)
        return value


class NumberVariable(_Spec):
    type: Literal["number"]
    default: float | None = None
    minimum: float | None = None
    maximum: float | None = None

    def check(self, value: Any, *, from_text: bool = False) -> Any:
        if from_text and isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise ValueError(f"expected a number, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {value!r}")
        _check_range(value, self.minimum, self.maximum)
        return value


class BooleanVariable(_Spec):
    type: Literal["boolean"]
    default: bool | None = None

    def empty_value(self) -> Any:
        return False

    def check(self, value: Any, *, from_text: bool = False) -> Any:
        if from_text and isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in _TRUE | _FALSE:
                return lowered in _TRUE
            raise ValueError(f"expected true or false, got {value!r}")
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {type(value).__name__}")
        return value


class EnumVariable(_Spec):
    type: Literal["enum"]
    values: list[str] = Field(min_length=1)
    default: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _unique_values(cls, data: Any) -> Any:
        values = data.get("values") if isinstance(data, dict) else None
        if isinstance(values, list) and len(set(map(str, values))) != len(values):
            raise ValueError("enum values must be unique")
        return data

    def check(self, value: Any, *, from_text: bool = False) -> Any:
        if value not in self.values:
            raise ValueError(f"{value!r} is not one of {', '.join(self.values)}")
        return value


class ListVariable(_Spec):
    type: Literal["list"]
    items: Literal["string", "integer", "number"] = "string"
    values: list[str | int | float] | None = Field(
        None, description="Allowed items, when the list picks from a fixed set (of the items' type)."
    )
    default: list[Any] | None = None
    min_items: int | None = Field(None, ge=0)
    max_items: int | None = Field(None, ge=1)
    max_length: int | None = Field(None, ge=1, description="Longest allowed string item.")

    def empty_value(self) -> Any:
        return []

    def check(self, value: Any, *, from_text: bool = False) -> Any:
        if from_text and isinstance(value, str):
            value = _parse_list_text(value)
        if not isinstance(value, list | tuple):
            raise ValueError(f"expected a list, got {type(value).__name__}")
        count = len(value)
        if self.max_items is not None and count > self.max_items:
            raise ValueError(f"has {count} items, more than max_items {self.max_items}")
        if self.min_items is not None and count < self.min_items:
            raise ValueError(f"has {count} items, fewer than min_items {self.min_items}")
        return [self._check_item(i, item, from_text) for i, item in enumerate(value)]

    @model_validator(mode="after")
    def _values_match_items(self) -> ListVariable:
        if self.values is not None:
            try:
                typed = [self._item_spec().check(v, from_text=True) for v in self.values]
            except ValueError as exc:
                raise ValueError(f"values must be {self.items}s: {exc}") from None
            object.__setattr__(self, "values", typed)
        return self

    def _item_spec(self) -> _Spec:
        cached = self.__dict__.get("_item_spec_cache")
        if cached is None:
            if self.items == "integer":
                cached = IntegerVariable(type="integer")
            elif self.items == "number":
                cached = NumberVariable(type="number")
            else:
                cached = StringVariable(type="string", max_length=self.max_length)
            self.__dict__["_item_spec_cache"] = cached
        return cached

    def _check_item(self, index: int, item: Any, from_text: bool) -> Any:
        try:
            item = self._item_spec().check(item, from_text=from_text)
        except ValueError as exc:
            raise ValueError(f"item {index}: {exc}") from None
        if self.values is not None and item not in self.values:
            raise ValueError(f"item {index}: {item!r} is not one of {', '.join(map(str, self.values))}")
        return item


def _parse_list_text(text: str) -> Any:
    """Command-line lists: a JSON array, or comma-separated items."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ValueError(f"is not a valid JSON list: {exc.msg}") from None
        except RecursionError:
            raise ValueError("is a JSON list nested too deeply") from None
    return [part.strip() for part in stripped.split(",") if part.strip()]


class ImageVariable(_Spec):
    type: Literal["image"]
    role: Literal["image", "mask"] = "image"
    default: str | None = Field(None, description="Path relative to the project root.")

    def check(self, value: Any, *, from_text: bool = False) -> Any:
        if isinstance(value, bytes | bytearray):
            if not value:
                raise ValueError("is empty")
            return bytes(value)
        if isinstance(value, str | Path) and str(value):
            return value
        if _is_pil_image(value):  # what an app often has in hand: sent as the PNG of its pixels
            import io

            buffer = io.BytesIO()
            value.save(buffer, format="PNG")
            return buffer.getvalue()
        raise ValueError(f"expected a file path, bytes or a PIL image, got {type(value).__name__}")


def _is_pil_image(value: Any) -> bool:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a dependency
        return False
    return isinstance(value, Image.Image)


VariableSpec = Annotated[
    StringVariable | IntegerVariable | NumberVariable | BooleanVariable | EnumVariable | ListVariable | ImageVariable,
    Field(discriminator="type"),
]
