"""Write tables meant for people's spreadsheets (CSV and xlsx), safe from formula injection.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and some also
a leading tab or carriage return) as a formula, so a rep named ``=HYPERLINK(...)`` in a
CRM export would become a live link in ``coaching.csv``. Every text cell, column name
and index label that starts so and is not a number gets a ``'`` in front, as OWASP
recommends: it shows as text and never runs. Numbers stay numbers (``-3`` is not escaped).

Examples
--------
>>> escape_cell("=1+2"), escape_cell("-cmd"), escape_cell("inbound"), escape_cell(-3.5), escape_cell("-3.5")
("'=1+2", "'-cmd", 'inbound', -3.5, '-3.5')
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from sim.outputs import write_with

__all__ = ["escape_cell", "escape_frame", "unescape_cell", "write_csv", "write_xlsx"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def escape_cell(value: Any) -> Any:
    """``value``, with a ``'`` prefixed when it is text a spreadsheet would take for a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def unescape_cell(text: str) -> str:
    """The text :func:`escape_cell` was given, for a file of ours read back (``plan.csv`` by ``track``).

    >>> unescape_cell("'=1+2"), unescape_cell("'quoted"), unescape_cell("inbound")
    ('=1+2', "'quoted", 'inbound')
    """
    if text.startswith("'") and text[1:].startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text[1:]):
        return text[1:]
    return text


def _escape_labels(labels: pd.Index) -> pd.Index:
    if isinstance(labels, pd.MultiIndex):
        return pd.MultiIndex.from_tuples(
            [tuple(escape_cell(v) for v in t) for t in labels], names=[escape_cell(n) for n in labels.names]
        )
    return pd.Index([escape_cell(v) for v in labels], name=escape_cell(labels.name))


def escape_frame(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every text cell, column name and index label escaped (see :func:`escape_cell`).

    >>> escape_frame(pd.DataFrame({"=x": ["@a", "b"], "n": [-1, 2]})).to_dict("list")
    {"'=x": ["'@a", 'b'], 'n': [-1, 2]}
    """
    out = table.copy()
    for col in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_datetime64_any_dtype(out[col])):
            out[col] = out[col].map(escape_cell)
    out.columns = _escape_labels(out.columns)
    out.index = _escape_labels(out.index)
    return out


def write_csv(path: str | Path, table: pd.DataFrame, *, index: bool = False) -> Path:
    """Write ``table`` as CSV to ``path``, text escaped against formulas, whole or not at all; return ``path``.

    >>> import tempfile
    >>> path = write_csv(Path(tempfile.mkdtemp()) / "t.csv", pd.DataFrame({"rep": ["=cmd()"], "n": [-1]}))
    >>> path.read_bytes().splitlines()
    [b'rep,n', b"'=cmd(),-1"]
    """
    safe = escape_frame(table)
    # RFC 4180's line ends: the writer then quotes a cell holding a lone carriage return, which
    # would otherwise end the row for every reader
    return write_with(path, lambda tmp: safe.to_csv(tmp, index=index, lineterminator="\r\n"))


def write_xlsx(path: str | Path, tables: dict[str, pd.DataFrame], *, index: bool = False) -> Path:
    """Write one sheet per table (sheet names made legal for Excel), text escaped, whole or not at all."""

    def write(tmp: str) -> None:
        with pd.ExcelWriter(Path(tmp), engine="openpyxl") as writer:  # a str would be judged by its suffix
            for name, table in tables.items():
                sheet = "".join(c for c in str(name) if c not in "[]:*?/\\")[:31]
                escape_frame(table).to_excel(writer, sheet_name=sheet, index=index)

    return write_with(path, write)
