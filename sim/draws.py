"""Compiled draws from a numpy ``Generator``: the numbers of its methods, to the bit, faster.

numpy's ``Generator.exponential``, ``.lognormal`` and ``.gamma`` call their sampler through a
function pointer for each number, and its normal ziggurat branches on the sign, which the
processor cannot predict. The same algorithms -- numpy's ziggurats with numpy's tables (as numba
ships them) and numpy's Marsaglia--Tsang gamma -- compiled here call the bit generator through
its C interface (``bitgen_t``) and return the same numbers, leaving the generator in the same
state. They run faster than numpy's methods per number, except below a gamma shape of 1, where
``pow`` and ``log`` take the time either way.

Any numpy bit generator works (each has a ``bitgen_t``); tests compare every sampler with
numpy's method, its rare branches included.

Examples
--------
>>> import numpy as np
>>> out = exponential(np.random.default_rng(3), 2.0, np.empty(5))
>>> bool(np.array_equal(out, np.random.default_rng(3).exponential(2.0, 5)))
True
>>> out = gamma(np.random.default_rng(3), 4.0, 0.5, np.empty(5))
>>> bool(np.array_equal(out, np.random.default_rng(3).gamma(4.0, 0.5, 5)))
True
"""

from __future__ import annotations

import ctypes
import math

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

# numpy's ziggurat tables, which numba copies from numpy to compile numpy's samplers itself (a private
# module of numba's: the tests against numpy's methods would show at once if it changed).
from numba.np.random._constants import (
    fe_double,
    fi_double,
    ke_double,
    ki_double,
    we_double,
    wi_double,
    ziggurat_exp_r,
    ziggurat_nor_inv_r,
    ziggurat_nor_r,
)

__all__ = ["exponential", "gamma", "lognormal"]


def exponential(rng: np.random.Generator, scale: float, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` with the numbers of ``rng.exponential(scale, len(out))``; return it."""
    with rng.bit_generator.lock:
        _exponential_fill(_bitgen(rng), scale, out)
    return out


def lognormal(rng: np.random.Generator, mean: float, sigma: float, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` with the numbers of ``rng.lognormal(mean, sigma, len(out))``; return it."""
    with rng.bit_generator.lock:
        _lognormal_fill(_bitgen(rng), mean, sigma, out)
    return out


def gamma(rng: np.random.Generator, shape: float, scale: float, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` with the numbers of ``rng.gamma(shape, scale, len(out))`` (``shape`` and ``scale``
    non-negative); return it."""
    with rng.bit_generator.lock:
        _gamma_fill(_bitgen(rng), shape, scale, out)
    return out


_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


def _bitgen(rng: np.random.Generator) -> int:
    """The address of the generator's ``bitgen_t``: its state, then pointers to ``next_uint64``,
    ``next_uint32``, ``next_double`` and ``next_raw``, each taking the state."""
    return _capsule_pointer(rng.bit_generator.capsule, b"BitGenerator")


def _bitgen_function(slot: int, result: types.Type):
    """A compiled call of the function in pointer ``slot`` of a ``bitgen_t`` on its state."""

    @intrinsic
    def call(typingctx, bitgen):
        def codegen(context, builder, signature, args):
            pointer = ir.IntType(8).as_pointer()
            fields = builder.inttoptr(args[0], pointer.as_pointer())
            state = builder.load(fields)
            function_type = ir.FunctionType(context.get_value_type(result), [pointer])
            address = builder.load(builder.gep(fields, [ir.Constant(ir.IntType(64), slot)]))
            return builder.call(builder.bitcast(address, function_type.as_pointer()), [state])

        return result(bitgen), codegen

    return call


_next_uint64 = _bitgen_function(1, types.uint64)
_next_double = _bitgen_function(3, types.float64)


@numba.njit(cache=True, inline="always")
def _standard_exponential(bitgen):
    """numpy's exponential ziggurat (``random_standard_exponential``)."""
    while True:
        r = _next_uint64(bitgen) >> np.uint64(3)
        layer = r & np.uint64(0xFF)
        r >>= np.uint64(8)
        x = r * we_double[layer]
        if r < ke_double[layer]:  # 98.9% of draws
            return x
        if layer == 0:  # the tail
            return ziggurat_exp_r - math.log1p(-_next_double(bitgen))
        u = _next_double(bitgen)  # a wedge
        if (fe_double[layer - 1] - fe_double[layer]) * u + fe_double[layer] < math.exp(-x):
            return x


@numba.njit(cache=True, inline="always")
def _standard_normal(bitgen):
    """numpy's normal ziggurat (``random_standard_normal``); the sign is applied without a branch."""
    while True:
        r = _next_uint64(bitgen)
        layer = r & np.uint64(0xFF)
        r >>= np.uint64(8)
        negative = r & np.uint64(1)
        magnitude = (r >> np.uint64(1)) & np.uint64(0x000FFFFFFFFFFFFF)
        x = magnitude * wi_double[layer]
        x = -x if negative else x
        if magnitude < ki_double[layer]:  # 99.3% of draws
            return x
        if layer == 0:  # the tail
            while True:
                xx = -ziggurat_nor_inv_r * math.log1p(-_next_double(bitgen))
                yy = -math.log1p(-_next_double(bitgen))
                if yy + yy > xx * xx:
                    return -(ziggurat_nor_r + xx) if (magnitude >> np.uint64(8)) & np.uint64(1) else ziggurat_nor_r + xx
        else:  # a wedge
            u = _next_double(bitgen)
            if (fi_double[layer - 1] - fi_double[layer]) * u + fi_double[layer] < math.exp(-0.5 * x * x):
                return x


@numba.njit(cache=True)
def _standard_gamma(bitgen, shape):
    """numpy's ``random_standard_gamma``: Marsaglia and Tsang's method above shape 1, Johnk's below."""
    if shape == 1.0:
        return _standard_exponential(bitgen)
    if shape == 0.0:
        return 0.0
    if shape < 1.0:
        while True:
            u = _next_double(bitgen)
            v = _standard_exponential(bitgen)
            if u <= 1.0 - shape:
                x = u ** (1.0 / shape)
                if x <= v:
                    return x
            else:
                y = -math.log((1 - u) / shape)
                x = (1.0 - shape + shape * y) ** (1.0 / shape)
                if x <= v + y:
                    return x
    b = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9 * b)
    while True:
        v = 0.0
        while v <= 0.0:
            x = _standard_normal(bitgen)
            v = 1.0 + c * x
        v = v * v * v
        u = _next_double(bitgen)
        if u < 1.0 - 0.0331 * (x * x) * (x * x):
            return b * v
        if math.log(u) < 0.5 * x * x + b * (1.0 - v + math.log(v)):
            return b * v


@numba.njit(cache=True)
def _exponential_fill(bitgen, scale, out):
    for i in range(len(out)):
        out[i] = scale * _standard_exponential(bitgen)


@numba.njit(cache=True)
def _lognormal_fill(bitgen, mean, sigma, out):
    for i in range(len(out)):
        out[i] = math.exp(mean + sigma * _standard_normal(bitgen))


@numba.njit(cache=True)
def _gamma_fill(bitgen, shape, scale, out):
    for i in range(len(out)):
        out[i] = scale * _standard_gamma(bitgen, shape)
