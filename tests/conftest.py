"""Shared fixtures: the reference and the starter loaded side by side under distinct names."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions" / "conv_gemm"
STARTER = ROOT / "assignments" / "conv_gemm"


def load_package(package_dir: Path, alias: str):
    """Import the package in ``package_dir`` as ``alias`` (its relative imports resolve inside it)."""
    if alias in sys.modules:
        return sys.modules[alias]
    spec = importlib.util.spec_from_file_location(
        alias, package_dir / "__init__.py", submodule_search_locations=[str(package_dir)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    spec.loader.exec_module(module)
    return module


def submodule(package, name: str):
    return importlib.import_module(f"{package.__name__}.{name}")


@pytest.fixture(scope="session")
def ref():
    """The reference solution package."""
    return load_package(SOLUTIONS, "ref_conv_gemm")


@pytest.fixture(scope="session")
def starter():
    """The generated student starter package."""
    return load_package(STARTER, "starter_conv_gemm")


@pytest.fixture
def rng():
    return np.random.default_rng(20261124)
