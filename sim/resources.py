"""Files shipped inside the package: the playbooks and the Maven CRM sample.

The lessons must run from an installed package as well as from a checkout, so package code
never reaches up the directory tree for ``playbooks/`` or ``data/``: it asks
:mod:`importlib.resources` for ``sim/data/...``. In the checkout ``sim/data/playbooks`` and
``sim/data/maven_crm`` are links to the top-level folders people open and edit (one copy of
each file); building the package copies the files they point to into the wheel.

Examples
--------
>>> import sim
>>> sim.load(resource(B2B_PLAYBOOK)).name
'B2B SaaS annual plan'
>>> resource("maven_crm/sales_pipeline.csv").name
'sales_pipeline.csv'
"""

from __future__ import annotations

import atexit
from contextlib import ExitStack
from functools import cache
from importlib.resources import as_file, files
from pathlib import Path

__all__ = ["B2B_PLAYBOOK", "FLAT_PLAN", "MAVEN_PIPELINE", "resource"]

B2B_PLAYBOOK = "playbooks/b2b_saas.yaml"
FLAT_PLAN = "playbooks/incentives/flat.yaml"
MAVEN_PIPELINE = "maven_crm/sales_pipeline.csv"

# Files inside a zipped install are extracted for the life of the process and removed at exit.
_EXTRACTED = ExitStack()
atexit.register(_EXTRACTED.close)


@cache
def resource(name: str) -> Path:
    """The path of the shipped file ``name`` (relative to ``sim/data``), readable by any loader.

    Raises ``FileNotFoundError`` naming the file when the package does not ship it.
    """
    target = files("sim").joinpath("data", *name.split("/"))
    if not target.is_file():
        raise FileNotFoundError(f"sim/data/{name}: no such file shipped with the package")
    return _EXTRACTED.enter_context(as_file(target))
