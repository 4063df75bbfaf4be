"""The package ships the files it reads (``sim/data``) and finds them through ``sim.resources``, never by
walking up out of the package into the checkout; a wheel built as ``pip install .`` builds it works
away from the repository. In the checkout ``sim/data`` holds links to ``playbooks/`` and ``data/``, so
each file exists once."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from sim.resources import B2B_PLAYBOOK, FLAT_PLAN, MAVEN_PIPELINE, resource
from tests.conftest import ROOT

SHIPPED = ROOT / "sim" / "data"
LINKS = {"playbooks": ROOT / "playbooks", "maven_crm": ROOT / "data" / "maven_crm"}


@pytest.mark.parametrize("name", sorted(LINKS))
def test_the_shipped_folders_are_the_top_level_ones(name):
    """One source of truth: ``sim/data/NAME`` is a link to the folder users edit, not a copy."""
    assert (SHIPPED / name).is_symlink() and (SHIPPED / name).resolve() == LINKS[name].resolve()
    assert {path.name for path in SHIPPED.iterdir()} == set(LINKS)


def test_the_lessons_files_are_found():
    assert resource(B2B_PLAYBOOK).read_bytes() == (ROOT / "playbooks" / "b2b_saas.yaml").read_bytes()
    assert resource(FLAT_PLAN).is_file() and resource(MAVEN_PIPELINE).is_file()


def test_a_missing_resource_is_named():
    with pytest.raises(FileNotFoundError, match="sim/data/playbooks/nosuch.yaml"):
        resource("playbooks/nosuch.yaml")


def test_no_package_module_reaches_out_of_the_package():
    """``Path(__file__).parents[k]`` leaves ``sim/`` when k exceeds the module's depth below it."""
    offenders = []
    for path in sorted((ROOT / "sim").rglob("*.py")):
        depth = len(path.relative_to(ROOT / "sim").parts) - 1
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "__file__" in line and any(int(k) > depth for k in re.findall(r"parents\[(\d+)\]", line)):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []


INSTALLED_SMOKE = """
import sys
from pathlib import Path
import sim
from sim.incentives import load_plan
from sim.lessons import load_lesson
from sim.lessons import capacity, coaching, forecasting, funnel, incentives, targets
from sim.timing import load_closes
assert Path(sim.__file__).is_relative_to(sys.argv[1]), sim.__file__
for name in ("targets", "funnel", "capacity", "coaching", "forecasting", "incentives"):
    assert load_lesson(name).exercises
assert sim.load(funnel.PLAYBOOK).name and load_plan(incentives.FLAT)
assert len(forecasting.maven().opportunities) and len(load_closes()[0])
print("lessons ok")
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The package built into a wheel as ``pip install .`` builds it and installed into a folder away from
    the checkout (no dependencies: the running environment has them)."""
    base = tmp_path_factory.mktemp("wheel")
    source, wheels, site = base / "source", base / "wheels", base / "site"
    # Built from a copy, links kept as links: the build resolves them as it would in the checkout, and
    # its work files (build/, *.egg-info) never land in the checkout.
    ignore = shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc")
    for folder in ("sim", "playbooks", "data"):
        shutil.copytree(ROOT / folder, source / folder, symlinks=True, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(source)],
        capture_output=True,
        text=True,
        cwd=base,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("salesplay-*.whl")
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--target",
            str(site),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        cwd=base,
    )
    assert install.returncode == 0, install.stderr
    return site


# The wheel is built once per process: its tests stay on one worker under `--dist loadgroup`.
ON_THE_WHEEL = pytest.mark.xdist_group("wheel")


def run_installed(site, *command):
    env = {**os.environ, "PYTHONPATH": str(site), "MPLBACKEND": "Agg"}
    return subprocess.run(command, capture_output=True, text=True, cwd=site.parent, env=env)


@ON_THE_WHEEL
def test_the_salesplay_command_runs_from_the_wheel(installed):
    done = run_installed(installed, str(installed / "bin" / "salesplay"), "--help")
    assert done.returncode == 0 and "validate" in done.stdout, done.stderr


@ON_THE_WHEEL
def test_the_lessons_run_from_the_wheel_outside_the_checkout(installed):
    """Every lesson's text and data is read from the installed files (no simulation: only where files
    are found is in question)."""
    done = run_installed(installed, sys.executable, "-c", INSTALLED_SMOKE, str(installed))
    assert done.returncode == 0 and "lessons ok" in done.stdout, done.stderr


@ON_THE_WHEEL
def test_the_wheel_ships_every_playbook(installed):
    shipped = {
        path.relative_to(installed / "sim" / "data").as_posix()
        for path in (installed / "sim" / "data").rglob("*")
        if path.is_file()
    }
    top_level = {
        f"playbooks/{path.relative_to(ROOT / 'playbooks').as_posix()}"
        for path in (ROOT / "playbooks").rglob("*")
        if path.suffix in {".yaml", ".md"}
    }
    assert top_level <= shipped and MAVEN_PIPELINE in shipped
