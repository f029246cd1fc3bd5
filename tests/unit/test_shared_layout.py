"""The layout rule of ``shared/`` (docs/decisions.md, "shared/ is organised by feature").

A module name means one concept: it may repeat only across the ``domain/``, service and
``storage/`` layers of the one feature that owns it, never between features, and never as the
name of another feature package or platform module.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from tests.conftest import REPO_ROOT

SHARED = REPO_ROOT / "shared"
LAYERS = {"domain", "storage"}


def _modules() -> list[Path]:
    return sorted(p for p in SHARED.rglob("*.py") if p.name != "__init__.py")


def _top_names() -> dict[str, Path]:
    """The feature packages and platform modules directly under shared/, by name."""
    return {
        (p.stem if p.is_file() else p.name): p
        for p in SHARED.iterdir()
        if (p.suffix == ".py" and p.name != "__init__.py") or (p / "__init__.py").exists()
    }


def _owner(path: Path) -> str:
    """The feature package (or ``shared`` for a platform module) a module belongs to."""
    parts = path.relative_to(SHARED).parts
    return parts[0] if len(parts) > 1 else "shared"


def test_a_module_name_repeats_only_within_one_feature() -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for path in _modules():
        owners[path.stem].add(_owner(path))
    shared_between = {name: sorted(o) for name, o in owners.items() if len(o) > 1}
    assert shared_between == {}


def test_no_module_is_named_after_another_feature_or_platform_module() -> None:
    top = _top_names()
    clashes = [
        str(path.relative_to(SHARED))
        for path in _modules()
        if _owner(path) != "shared" and path.stem in top and path.stem != _owner(path)
    ]
    assert clashes == []


def test_feature_modules_sit_in_the_feature_or_its_domain_or_storage() -> None:
    misplaced = [
        str(path.relative_to(SHARED))
        for path in _modules()
        if len(path.relative_to(SHARED).parts) > 3
        or (len(path.relative_to(SHARED).parts) == 3 and path.parent.name not in LAYERS)
    ]
    assert misplaced == []


def test_there_are_no_layer_packages_at_the_top() -> None:
    assert sorted(set(_top_names()) & {"domain", "services", "storage"}) == []
