"""The package as production installs it runs the system.

The image runs `pip install .` and starts `python -m services.<name>` from the installed copy,
with no checkout beside it. Here the same: a wheel is built from a copy of the checkout,
installed with the pins into a new virtual environment outside the repository, and the four
services are started from that installation, in a working directory outside the repository,
against the embedded broker and database; one report goes from submitted to classified.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from deploy.local.stack import REPO, SERVICES, Stack, running_stack
from services.classifier.model import MODEL_FILE
from tests.integration.helpers import submit, wait_for_stage

# The virtual environment is built within the first test's time.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


def _run(argv: list[str | Path], cwd: Path) -> str:
    done = subprocess.run(
        [str(part) for part in argv], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{argv[:3]} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a new virtual environment holding only the wheel and its pinned
    dependencies (from the index or pip's cache, as `pip install` finds them)."""
    assert MODEL_FILE.exists(), "no classifier model to package: build it with `make model`"
    root = tmp_path_factory.mktemp("installed")
    # A copy, so the build leaves nothing in the checkout (setuptools writes build/ and
    # *.egg-info beside the sources, and a stale build/ would leak into the next wheel).
    source = root / "source"
    source.mkdir()
    shutil.copy(REPO / "pyproject.toml", source)
    shutil.copytree(
        REPO / "services",
        source / "services",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"),
    )
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", venv], root)
    pip = [venv / "bin" / "python", "-m", "pip", "--disable-pip-version-check", "--quiet"]
    _run([*pip, "wheel", "--no-deps", "--wheel-dir", root / "dist", source], root)
    (wheel,) = (root / "dist").glob("tipline-*.whl")
    _run([*pip, "install", "--no-compile", "-c", REPO / "constraints.txt", wheel], root)
    return venv / "bin" / "python"


@pytest.fixture(scope="module")
def installed_stack(
    installed: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, Path]]:
    workdir = tmp_path_factory.mktemp("workdir")
    with running_stack(tmp_path_factory.mktemp("logs-installed"), services=False) as stack:
        # PYTHONPATH emptied: nothing may reach the checkout's code.
        for name in SERVICES:
            stack.start_service(name, {"PYTHONPATH": ""}, python=str(installed), cwd=workdir)
        for name in SERVICES:
            stack.wait_ready(name, timeout=180)
        yield stack, workdir


def test_the_installed_package_carries_its_code_and_data_and_not_the_training_tools(
    installed: Path, tmp_path: Path
):
    found = _run(
        [
            installed,
            "-c",
            "import importlib.util, services.classifier.model as m, services.tracker as t;"
            "import services.classifier.evidence as e;"
            "print(m.__file__); print(m.MODEL_FILE.exists());"
            "print(importlib.util.find_spec('services.classifier.training'));"
            # Names' pinyin comes from the packaged table, pypinyin is not installed.
            "print(e.pinyin_of('邓宏伟')); print(importlib.util.find_spec('pypinyin'))",
        ],
        tmp_path,
    ).split()
    venv = installed.parents[1]
    assert Path(found[0]).is_relative_to(venv)
    assert found[1:] == ["True", "None", "denghongwei", "None"]


def test_services_started_from_the_installed_package_classify_a_report(
    installed_stack: tuple[Stack, Path],
):
    stack, workdir = installed_stack
    assert not workdir.is_relative_to(REPO)
    answer = submit(stack)
    assert answer.status_code == 201
    status = wait_for_stage(stack, answer.json()["tracking_code"], "classified", timeout=60)
    assert [s["stage"] for s in status["history"]][:3] == ["submitted", "received", "classified"]
    # The model shipped in the package read it: the report tells of extortion, in Changsha.
    stored = MongoClient(stack.mongodb_uri)["classifier"]["classifications"].find_one()
    assert stored is not None
    assert "extortion_protection" in stored["crime_types"]
    assert stored["province"] == "hunan"
