"""Benchmarks, run by ``make bench`` (``python -m benchmarks``); never part of the test suite.

Each ``benchmarks/bench_*.py`` module has a ``main()`` that prints its figures beside the
baseline it is judged against, as medians of several runs.
"""
