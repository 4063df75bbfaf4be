"""Constrained number types shared by every schema, with one message form.

A constraint failure reads ``<value> is not <what was expected>``, e.g.
``1.3 is not a probability (0 to 1)``; :mod:`sim.scenario` prefixes file, line and field.
Numbers are strict about what they take: YAML's ``true`` or ``yes`` and quoted text such as
``"12"`` are refused rather than read as 1 and 12 (a number in quotes is usually a mistake).

Examples
--------
>>> from pydantic import TypeAdapter
>>> TypeAdapter(Probability).validate_python(0.25)
0.25
>>> TypeAdapter(Probability).validate_python(1.3)
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for function-after[...]
  Value error, 1.3 is not a probability (0 to 1) ...
"""

from __future__ import annotations

import math
from typing import Annotated, Callable

from pydantic import AfterValidator, BeforeValidator

__all__ = ["Probability", "PositiveFloat", "NonNegativeFloat", "NonNegativeInt", "PositiveInt"]


def _check(test: Callable[[float], bool], expected: str, label: str) -> AfterValidator:
    """A validator failing with ``<value> is not <expected>``; ``label`` names the type in the docs."""

    def validate(value):
        if not (math.isfinite(value) and test(value)):
            raise ValueError(f"{value:g} is not {expected}")
        return value

    validate.label = label
    return AfterValidator(validate)


def _strict(kind: str) -> BeforeValidator:
    """Refuse true/false and text before pydantic would read them as numbers; ``kind`` names what is expected."""

    def refuse_text_and_true_false(value):
        if isinstance(value, bool):
            raise ValueError(f"{str(value).lower()} is not {kind}")
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                raise ValueError(f"{value!r} is not {kind}") from None
            yaml_exponent = "e" in value.lower() and "." not in value  # YAML reads 1e9 as text, 1.0e9 as a number
            hint = "with a point before the exponent, e.g. 1.0e9" if yaml_exponent else "without quotes"
            raise ValueError(f"{value!r} is text, not {kind} (write it {hint})")
        return value

    return BeforeValidator(refuse_text_and_true_false)


_NUMBER, _WHOLE = _strict("a number"), _strict("a whole number")

Probability = Annotated[
    float, _NUMBER, _check(lambda v: 0.0 <= v <= 1.0, "a probability (0 to 1)", "probability (0 to 1)")
]
PositiveFloat = Annotated[float, _NUMBER, _check(lambda v: v > 0, "positive", "number > 0")]
NonNegativeFloat = Annotated[float, _NUMBER, _check(lambda v: v >= 0, "zero or positive", "number ≥ 0")]
PositiveInt = Annotated[int, _WHOLE, _check(lambda v: v > 0, "a positive whole number", "whole number > 0")]
NonNegativeInt = Annotated[int, _WHOLE, _check(lambda v: v >= 0, "zero or a positive whole number", "whole number ≥ 0")]
