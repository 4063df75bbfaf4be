"""Settings read from the environment, so CI can make notebooks quick without editing them.

- ``SALESPLAY_REPLICATIONS``: replication count every notebook uses instead of its default.

Examples
--------
>>> import os
>>> os.environ.pop("SALESPLAY_REPLICATIONS", None) and None
>>> replications(200)
200
>>> os.environ["SALESPLAY_REPLICATIONS"] = "5"; replications(200)
5
>>> del os.environ["SALESPLAY_REPLICATIONS"]
"""

from __future__ import annotations

import os

__all__ = ["replications"]


def replications(default: int) -> int:
    """``SALESPLAY_REPLICATIONS`` when set (CI lowers it), else ``default``."""
    value = os.environ.get("SALESPLAY_REPLICATIONS")
    if value is None:
        return default
    if not value.strip().isdigit() or int(value) < 1:
        raise ValueError(f"SALESPLAY_REPLICATIONS={value!r} is not a positive whole number")
    return int(value)
