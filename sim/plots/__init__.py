"""Charts: each function returns a matplotlib ``Figure``; labels may be in any language.

:func:`style` registers the bundled CJK font (WenQuanYi Micro Hei) as a fallback behind the
usual sans-serif font, so names such as 线索获取 render without missing glyphs.

Examples
--------
>>> import matplotlib
>>> style()
>>> "WenQuanYi Micro Hei" in matplotlib.rcParams["font.family"]
True
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import matplotlib
from matplotlib import font_manager

__all__ = ["style", "CJK_FONT"]

CJK_FONT = Path(__file__).resolve().parents[1] / "fonts" / "wqy-microhei.ttc"


@cache
def style() -> None:
    """Use seaborn's clean style with a CJK fallback font (idempotent)."""
    import seaborn as sns

    font_manager.fontManager.addfont(str(CJK_FONT))
    cjk = font_manager.FontProperties(fname=str(CJK_FONT)).get_name()
    sns.set_theme(style="whitegrid", context="notebook")
    # An explicit list of families: matplotlib falls back glyph by glyph along it.
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", cjk]
    matplotlib.rcParams["axes.unicode_minus"] = False
