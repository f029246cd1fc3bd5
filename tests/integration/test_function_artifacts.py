"""Functions run from their built artifacts and layers, never from the development environment.

The stack serves ``artifact_stack/template.yaml``: a function built by its Makefile rule with
the project's layer, the same code built as ``sam build`` builds python (CodeUri copied, its
requirements.txt installed, no layer), and one that imports a package only the development
virtualenv has. Each answers what a real Lambda would: imports fail where Lambda's would.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from emulator.artifacts import ArtifactBuilder, BuildError, FunctionCode, find_uv
from emulator.template import load_template
from tests.integration.stackproc import REPO_ROOT, StackProcess, wait_for

pytestmark = pytest.mark.integration

TEMPLATE = Path(__file__).parent / "artifact_stack" / "template.yaml"
BUILD_DIR = REPO_ROOT / ".parley" / "build"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    process = StackProcess(
        tmp_path_factory.mktemp("artifacts"), template=TEMPLATE, extra_args=["--no-reload"]
    )
    process.start()
    yield process
    process.stop()


def probe(stack: StackProcess, function: str, module: str) -> dict[str, Any]:
    response = requests.get(f"{stack.info['http_url']}/{function}/{module}", timeout=60)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_a_package_only_the_dev_virtualenv_has_is_an_import_module_error(
    stack: StackProcess,
) -> None:
    assert importlib.util.find_spec("yaml") is not None  # the development environment has it
    response = requests.get(f"{stack.info['http_url']}/devonly", timeout=60)
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}
    wait_for(
        lambda: (
            "DevOnlyFunction: Runtime.ImportModuleError: Unable to import module "
            "'devonly': No module named 'yaml'" in stack.output()
        ),
        30,
        "the init error in the stack's log",
    )


@pytest.mark.parametrize("module", ["shared", "functions", "emulator", "tests", "moto"])
def test_the_repository_and_the_dev_virtualenv_are_not_importable(
    stack: StackProcess, module: str
) -> None:
    assert importlib.util.find_spec(module) is not None  # importable in the test process
    answer = probe(stack, "made", module)
    assert answer["imported"] is False
    assert answer["error"] == f"ModuleNotFoundError: No module named '{module}'"


def test_code_the_build_rule_leaves_out_is_not_importable(stack: StackProcess) -> None:
    made = probe(stack, "made", "left_out")
    assert made["imported"] is False, made
    assert made["error"] == "ModuleNotFoundError: No module named 'left_out'"
    # The same CodeUri built by copying it whole ships the module: the rule made the difference.
    copied = probe(stack, "copied", "left_out")
    assert copied["imported"] is True
    assert Path(copied["file"]).parent == Path(copied["cwd"])


def test_a_worker_runs_in_its_artifact_with_lambdas_search_path(stack: StackProcess) -> None:
    answer = probe(stack, "made", "probe")
    task_root = Path(answer["cwd"])
    assert task_root.parent == BUILD_DIR / "artifacts"
    assert sorted(p.name for p in task_root.iterdir() if p.name != "__pycache__") == ["probe.py"]
    assert Path(answer["file"]).parent == task_root
    path = [Path(p) for p in answer["sys_path"]]
    assert path[0] == task_root
    assert path[1].parent.parent == BUILD_DIR / "layers"  # <layer>/python
    assert path[2].parent.parent == BUILD_DIR / "runtime"
    # The rest is the standard library: no site-packages, no checkout.
    assert not [p for p in path[3:] if "site-packages" in p.parts or p.is_relative_to(REPO_ROOT)]


def test_a_layer_package_imports_from_the_layer(stack: StackProcess) -> None:
    answer = probe(stack, "made", "pynamodb")
    assert answer["imported"] is True
    assert Path(answer["file"]).is_relative_to(BUILD_DIR / "layers")
    # Without the layer the same code has no pynamodb, as on Lambda.
    bare = probe(stack, "copied", "pynamodb")
    assert bare["imported"] is False
    assert bare["error"] == "ModuleNotFoundError: No module named 'pynamodb'"


@pytest.mark.parametrize(
    ("function", "source"),
    [("copied", "runtime"), ("made", "layers")],  # a layer that pins boto3 comes first
)
def test_boto3_comes_from_the_runtime_unless_a_layer_ships_it(
    stack: StackProcess, function: str, source: str
) -> None:
    answer = probe(stack, function, "boto3")
    assert answer["imported"] is True
    assert Path(answer["file"]).is_relative_to(BUILD_DIR / source)


def test_a_python_functions_requirements_are_installed_into_its_artifact(
    stack: StackProcess,
) -> None:
    copied = probe(stack, "copied", "yaml")
    assert copied["imported"] is True
    assert Path(copied["file"]).is_relative_to(Path(copied["cwd"]))
    # The Makefile's rule installs nothing: the made function has no PyYAML.
    assert probe(stack, "made", "yaml")["imported"] is False


async def test_a_layer_is_installed_once_per_requirements_and_again_when_they_change(
    tmp_path: Path,
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "requirements.txt").write_text("six==1.17.0\n")
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n"
        "  Deps: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: layer/}}\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties: {Handler: app.handler, CodeUri: src/, Runtime: python3.12,\n"
        "                 Layers: [!Ref Deps]}\n"
    )
    said: list[str] = []

    async def build() -> FunctionCode:
        builder = ArtifactBuilder(
            load_template(template).functions,
            tmp_path / "build",
            lock_file=REPO_ROOT / "uv.lock",
            uv=find_uv(REPO_ROOT),
            progress=said.append,
        )
        try:
            return (await builder.prepare())["Fn"]
        finally:
            builder.close()

    installed = "layer Deps (layer/requirements.txt): installed"
    first = await build()
    assert (first.layer_paths[0] / "six.py").is_file()
    assert any(line.startswith(f"{installed} 1 ") for line in said)
    said.clear()
    assert await build() == first
    assert "layer Deps (layer/requirements.txt): up to date" in " ".join(said)
    # Pins uv.lock holds, so uv's cache has their wheels.
    (layer / "requirements.txt").write_text("six==1.17.0\njmespath==1.1.0\n")
    said.clear()
    changed = await build()
    assert changed.layer_paths != first.layer_paths
    assert any(line.startswith(f"{installed} 2 ") for line in said)
    assert (changed.layer_paths[0] / "jmespath" / "__init__.py").is_file()


async def test_a_layer_folder_with_nothing_to_load_is_a_build_error(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "layer").mkdir()  # no requirements.txt, no python/
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n"
        "  Deps: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: layer/}}\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties: {Handler: app.handler, CodeUri: src/, Runtime: python3.12,\n"
        "                 Layers: [!Ref Deps]}\n"
    )
    builder = ArtifactBuilder(
        load_template(template).functions,
        tmp_path / "build",
        lock_file=REPO_ROOT / "uv.lock",
        uv=find_uv(REPO_ROOT),
        progress=lambda _: None,
    )
    with pytest.raises(BuildError, match=r"layer Deps: its ContentUri .* holds neither"):
        await builder.prepare()
