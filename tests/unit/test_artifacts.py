"""What the local stack builds for a function: the runtime's pins, artifact digests, layers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from emulator.artifacts import BuildError, FunctionCode, runtime_pins, tree_digest
from emulator.template import LayerSpec, load_template

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_runtime_gets_boto3_and_everything_it_needs_at_the_locked_versions() -> None:
    pins = dict(pin.split("==") for pin in runtime_pins(REPO_ROOT / "uv.lock"))
    assert set(pins) == {
        "boto3",
        "botocore",
        "jmespath",
        "s3transfer",
        "python-dateutil",
        "six",
        "urllib3",
    }
    requirements = (REPO_ROOT / "layer" / "requirements.txt").read_text()
    for name, version in pins.items():
        assert f"\n{name}=={version}" in requirements  # the layer pins the same versions


def test_a_lock_without_boto3_is_a_build_error(tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text('version = 1\n[[package]]\nname = "six"\nversion = "1.17.0"\n')
    with pytest.raises(BuildError, match="pins no boto3"):
        runtime_pins(lock)


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_an_artifacts_digest_follows_its_files_not_their_times_or_bytecode(
    tmp_path: Path,
) -> None:
    files = {"functions/app.py": "x = 1\n", "shared/__init__.py": ""}
    one = tree_digest(_tree(tmp_path / "one", files))
    two = _tree(tmp_path / "two", files)
    os.utime(two / "functions" / "app.py", (0, 0))
    _tree(two, {"functions/__pycache__/app.cpython-311.pyc": "compiled"})
    assert tree_digest(two) == one
    assert tree_digest(_tree(tmp_path / "edited", {**files, "functions/app.py": "x = 2\n"})) != one
    assert tree_digest(_tree(tmp_path / "moved", {"app.py": "x = 1\n", "__init__.py": ""})) != one


def test_a_worker_searches_artifact_then_layers_then_runtime(tmp_path: Path) -> None:
    code = FunctionCode(
        tmp_path / "task", (tmp_path / "layer" / "python",), tmp_path / "runtime" / "python"
    )
    assert code.sys_path() == [
        str(tmp_path / "task"),
        str(tmp_path / "layer" / "python"),
        str(tmp_path / "runtime" / "python"),
    ]


def test_a_function_names_its_layers_and_build_method(tmp_path: Path) -> None:
    doc = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Globals": {"Function": {"Runtime": "python3.12", "Layers": [{"Ref": "Deps"}]}},
        "Resources": {
            "Deps": {
                "Type": "AWS::Serverless::LayerVersion",
                "Properties": {"ContentUri": "layer/"},
            },
            "Made": {
                "Type": "AWS::Serverless::Function",
                "Metadata": {"BuildMethod": "makefile"},
                "Properties": {"Handler": "app.handler", "CodeUri": "."},
            },
            "Plain": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Handler": "app.handler",
                    "CodeUri": "src/",
                    "Layers": ["arn:aws:lambda:us-east-1:017000801446:layer:Powertools:1"],
                },
            },
        },
    }
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(doc))
    functions = load_template(path).functions
    assert functions["Made"].build_method == "makefile"
    assert functions["Made"].layers == (LayerSpec("Deps", (tmp_path / "layer").resolve()),)
    assert functions["Plain"].build_method is None
    assert functions["Plain"].layers == (
        LayerSpec("arn:aws:lambda:us-east-1:017000801446:layer:Powertools:1", None),
    )
