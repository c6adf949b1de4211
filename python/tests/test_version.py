"""One version everywhere: the project() line of CMakeLists.txt, the module's __version__, the
command line's --version and, for a pip-installed package, its metadata (which pyproject.toml
reads from the same line)."""
import importlib.metadata
import os
import pathlib
import re
import subprocess

import pytest

import attractor

ROOT = pathlib.Path(__file__).resolve().parents[2]


def cmake_version():
    text = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    return re.search(r"project\(attractor\s+VERSION\s+([0-9.]+)", text).group(1)


def test_the_module_reports_cmakes_version():
    assert attractor.__version__ == cmake_version()


@pytest.mark.skipif("ATTRACTOR_BIN" not in os.environ,
                    reason="the command line's binary is known in the build tree's ctest run")
def test_the_command_line_reports_the_modules_version():
    out = subprocess.run([os.environ["ATTRACTOR_BIN"], "--version"], check=True,
                         capture_output=True, text=True).stdout
    assert out == f"attractor {attractor.__version__}\n"


def test_an_installed_package_carries_the_modules_version():
    try:
        dist = importlib.metadata.distribution("attractor")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("imported from the build tree: no package metadata")
    installed = pathlib.Path(dist.locate_file("attractor/__init__.py")).resolve()
    if installed != pathlib.Path(attractor.__file__).resolve():
        pytest.skip("the installed attractor is not the one imported")
    assert dist.version == attractor.__version__
