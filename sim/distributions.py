"""The distributions a scenario may name, each sampled from an explicit numpy ``Generator``.

Every distribution knows its theoretical ``mean`` and ``var``, so tests compare samples
with theory, and the reverse funnel (:mod:`sim.targets`) can plan with expected values.
In YAML a distribution is a mapping with a ``dist`` key::

    work_days: {dist: exponential, mean: 0.08}
    wait_days: {dist: lognormal, median: 2, sigma: 0.6}
    deal_value: {dist: lognormal, mean: 30000, sd: 20000}
    collection_days: {dist: gamma, mean: 30, sd: 15}

Examples
--------
>>> import numpy as np
>>> from pydantic import TypeAdapter
>>> d = TypeAdapter(Distribution).validate_python({"dist": "gamma", "mean": 30, "sd": 15})
>>> d.mean, d.var
(30.0, 225.0)
>>> d.sample(np.random.default_rng(1), 3).shape
(3,)
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim import draws
from sim.constraints import NonNegativeFloat, PositiveFloat

__all__ = [
    "Distribution",
    "Fixed",
    "Exponential",
    "LogNormal",
    "Gamma",
    "Triangular",
    "Uniform",
    "Empirical",
]


class _Dist(BaseModel):
    """Base of the distributions: each has ``mean``, ``var``, ``sample(rng, size)`` and ``fill(rng, out)``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _representable(self) -> "_Dist":
        """Parameters whose mean, variance or sampling parameters overflow a float cannot be drawn from."""
        try:
            numbers = [self.mean, self.var, *getattr(self, "shape_scale", ()), *getattr(self, "mu_sigma", ())]
        except TypeError:  # parameters missing: the distribution's own check names them
            return self
        except (OverflowError, ZeroDivisionError, ValueError):
            numbers = [math.inf]
        if not all(math.isfinite(x) for x in numbers):
            raise ValueError("its parameters are too large or too small to compute with")
        return self

    def fill(self, rng: np.random.Generator, out: np.ndarray) -> None:
        """Fill ``out`` with the numbers of ``sample(rng, len(out))``."""
        out[:] = self.sample(rng, len(out))


class Fixed(_Dist):
    """Always the same value (a deterministic time or amount)."""

    dist: Literal["fixed"]
    value: NonNegativeFloat = Field(description="The value every draw takes.")

    @property
    def mean(self) -> float:
        return self.value

    @property
    def var(self) -> float:
        return 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)


class Exponential(_Dist):
    """Memoryless durations; the classic service time of queueing theory."""

    dist: Literal["exponential"]
    mean_: PositiveFloat = Field(alias="mean", description="Mean of the distribution.")

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def var(self) -> float:
        return self.mean_**2

    # The numbers of rng.exponential(mean, size), compiled (sim.draws).
    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return draws.exponential(rng, self.mean_, np.empty(size))

    def fill(self, rng: np.random.Generator, out: np.ndarray) -> None:
        draws.exponential(rng, self.mean_, out)


class LogNormal(_Dist):
    """Right-skewed amounts and durations, given as ``median`` + ``sigma`` or ``mean`` + ``sd``.

    ``sigma`` is the standard deviation of the logarithm; ``mean``/``sd`` are converted
    to it exactly (``sigma² = log(1 + sd²/mean²)``).
    """

    dist: Literal["lognormal"]
    median: PositiveFloat | None = Field(None, description="Median (with `sigma`).")
    sigma: NonNegativeFloat | None = Field(None, description="Standard deviation of log(x) (with `median`).")
    mean_: PositiveFloat | None = Field(None, alias="mean", description="Mean (with `sd`).")
    sd: NonNegativeFloat | None = Field(None, description="Standard deviation (with `mean`).")

    @model_validator(mode="after")
    def _one_parametrisation(self) -> "LogNormal":
        by_median = self.median is not None and self.sigma is not None
        by_mean = self.mean_ is not None and self.sd is not None
        if by_median == by_mean:
            raise ValueError("give either median and sigma, or mean and sd")
        return self

    @property
    def mu_sigma(self) -> tuple[float, float]:
        """Parameters of the underlying normal distribution of log(x)."""
        if self.median is not None:
            return math.log(self.median), float(self.sigma)
        s2 = math.log1p((self.sd / self.mean_) ** 2)
        return math.log(self.mean_) - s2 / 2, math.sqrt(s2)

    @property
    def mean(self) -> float:
        mu, s = self.mu_sigma
        return math.exp(mu + s * s / 2)

    @property
    def var(self) -> float:
        mu, s = self.mu_sigma
        return math.expm1(s * s) * math.exp(2 * mu + s * s)

    # The numbers of rng.lognormal(mu, sigma, size), compiled (sim.draws).
    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return draws.lognormal(rng, *self.mu_sigma, np.empty(size))

    def fill(self, rng: np.random.Generator, out: np.ndarray) -> None:
        draws.lognormal(rng, *self.mu_sigma, out)


class Gamma(_Dist):
    """Durations with a mode away from zero, given by ``mean`` and ``sd``."""

    dist: Literal["gamma"]
    mean_: PositiveFloat = Field(alias="mean", description="Mean.")
    sd: PositiveFloat = Field(description="Standard deviation.")

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def var(self) -> float:
        return self.sd**2

    @property
    def shape_scale(self) -> tuple[float, float]:
        """numpy's parameters: ``shape = (mean / sd)²``, ``scale = sd² / mean``."""
        return (self.mean_ / self.sd) ** 2, self.sd**2 / self.mean_

    # The numbers of rng.gamma(shape, scale, size), compiled (sim.draws).
    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return draws.gamma(rng, *self.shape_scale, np.empty(size))

    def fill(self, rng: np.random.Generator, out: np.ndarray) -> None:
        draws.gamma(rng, *self.shape_scale, out)


class Triangular(_Dist):
    """Three-point estimates (lowest, most likely, highest), as managers give them."""

    dist: Literal["triangular"]
    low: NonNegativeFloat = Field(description="Smallest value.")
    mode: NonNegativeFloat = Field(description="Most likely value.")
    high: NonNegativeFloat = Field(description="Largest value.")

    @model_validator(mode="after")
    def _ordered(self) -> "Triangular":
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError("needs low <= mode <= high and low < high")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    @property
    def var(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, size)


class Uniform(_Dist):
    """Every value between ``low`` and ``high`` equally likely."""

    dist: Literal["uniform"]
    low: NonNegativeFloat = Field(description="Smallest value.")
    high: NonNegativeFloat = Field(description="Largest value.")

    @model_validator(mode="after")
    def _ordered(self) -> "Uniform":
        if not self.low < self.high:
            raise ValueError("needs low < high")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def var(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)


class Empirical(_Dist):
    """Observed values (e.g. from a CRM export), resampled with replacement."""

    dist: Literal["empirical"]
    values: tuple[NonNegativeFloat, ...] = Field(min_length=1, description="Observed values.")

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def var(self) -> float:
        return float(np.var(self.values))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), size)


Distribution = Annotated[
    Union[Fixed, Exponential, LogNormal, Gamma, Triangular, Uniform, Empirical],
    Field(discriminator="dist"),
]
"""Any distribution a scenario may name, chosen by its ``dist`` key."""
