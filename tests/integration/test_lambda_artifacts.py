"""What ships to Lambda, built as a deployer builds it, and what it holds.

``make build`` runs ``sam build`` (SAM CLI through uv, samconfig.toml's build parameters) into a
scratch directory, once for the session: no Docker, and no python3.12 on the machine. The layer
must hold a wheel for the template's Lambda platform for every pinned requirement, and fit
Lambda's limits with the largest function; each function's artifact must hold Parley's own
packages only, and its handler must import with nothing but that artifact and the layer.
"""

from __future__ import annotations

import email.parser
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from cfnlint.decode import decode_str
from packaging.requirements import Requirement
from packaging.tags import Tag, compatible_tags, cpython_tags, parse_tag
from packaging.utils import canonicalize_name

from emulator.template import Template, load_template
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration

MB = 1_000_000
#: The layer plus the largest function, unzipped: the project's own budget, and Lambda's limit.
BUDGET_BYTES = 100 * MB
LAMBDA_LIMIT_BYTES = 250 * MB
#: Lambda's python3.12 runs on Amazon Linux 2023, glibc 2.34: the newest manylinux it can load.
LAMBDA_GLIBC_MINOR = 34
#: What an artifact may hold at its top: Parley's packages that run on Lambda.
PARLEY_PACKAGES = {"functions", "websocket_routes", "shared"}
NEVER_SHIPPED = {".venv", "node_modules", "tests", "__pycache__", ".git", ".tools", ".aws-sam"}
LAYER_ID = "DependenciesLayer"
SOURCE_TEMPLATE = load_template(REPO_ROOT / "template.yaml")
FUNCTION_IDS = sorted(SOURCE_TEMPLATE.functions)


@dataclass(frozen=True)
class Build:
    directory: Path
    seconds: float
    template: Template

    @property
    def layer(self) -> Path:
        return self.directory / LAYER_ID / "python"


def make(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """One rule of the repository's Makefile; its output is the assertion message if it fails."""
    done = subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO_ROOT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"make {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="session")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """`sam build` as a deployer runs it (`make build`), into a scratch --build-dir."""
    directory = tmp_path_factory.mktemp("sam-build") / "build"
    started = time.monotonic()
    make("build", f"SAM_BUILD_ARGS=--build-dir {directory}")
    seconds = time.monotonic() - started
    return Build(directory, seconds, load_template(directory / "template.yaml"))


@pytest.fixture(scope="session")
def local_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The layer's pinned requirements for this machine's interpreter (`make local-layer`)."""
    directory = tmp_path_factory.mktemp("local-layer")
    make("local-layer", f"LOCAL_LAYER_DIR={directory}", f"LOCAL_PYTHON={sys.executable}")
    return directory


def pinned_requirements() -> dict[str, str]:
    """Name -> version of every requirement layer/requirements.txt installs on Lambda."""
    pins: dict[str, str] = {}
    for line in (REPO_ROOT / "layer" / "requirements.txt").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(
            {"implementation_name": "cpython", "platform_python_implementation": "CPython"}
        ):
            (specifier,) = requirement.specifier
            pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def lambda_tags(runtime: str, architecture: str) -> set[Tag]:
    """Every wheel tag Lambda's runtime (``python3.12``) on that architecture can load."""
    major, minor = (int(part) for part in runtime.removeprefix("python").split("."))
    machine = {"arm64": "aarch64", "x86_64": "x86_64"}[architecture]
    platforms = [f"manylinux_2_{m}_{machine}" for m in range(LAMBDA_GLIBC_MINOR, 16, -1)]
    platforms.append(f"manylinux2014_{machine}")
    version = (major, minor)
    return set(cpython_tags(version, platforms=platforms)) | set(
        compatible_tags(version, platforms=platforms)
    )


def installed_wheels(site: Path) -> dict[str, tuple[str, set[Tag]]]:
    """Name -> (version, the wheel's tags) of every distribution installed in ``site``."""
    found: dict[str, tuple[str, set[Tag]]] = {}
    for dist_info in site.glob("*.dist-info"):
        metadata = email.parser.Parser().parsestr((dist_info / "METADATA").read_text())
        wheel = email.parser.Parser().parsestr((dist_info / "WHEEL").read_text())
        tags = {tag for value in wheel.get_all("Tag") or [] for tag in parse_tag(value)}
        found[canonicalize_name(metadata["Name"])] = (metadata["Version"], tags)
    return found


def tree_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def test_the_layer_requirements_are_those_of_the_lock_file(tmp_path: Path) -> None:
    """`make layer-requirements` exported now gives the committed file (comments aside)."""
    fresh = tmp_path / "requirements.txt"
    make("layer-requirements", f"LAYER_REQUIREMENTS_OUT={fresh}", timeout=120)

    def pins(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.strip() and line.lstrip()[:1] != "#"]

    committed = (REPO_ROOT / "layer" / "requirements.txt").read_text()
    assert pins(committed) == pins(fresh.read_text()), (
        "layer/requirements.txt is stale against uv.lock: run `make layer-requirements`"
    )


def lambda_platform() -> tuple[str, str]:
    """The runtime and architecture the template gives its functions and its layer."""
    doc, problems = decode_str((REPO_ROOT / "template.yaml").read_text())
    assert not problems and doc is not None
    functions = doc["Globals"]["Function"]
    layer = doc["Resources"][LAYER_ID]["Properties"]
    assert layer["CompatibleRuntimes"] == [functions["Runtime"]]
    assert layer["CompatibleArchitectures"] == functions["Architectures"]
    (architecture,) = functions["Architectures"]
    return str(functions["Runtime"]), str(architecture)


def test_the_layer_holds_a_lambda_wheel_for_every_requirement(build: Build) -> None:
    runtime, architecture = lambda_platform()
    assert {spec.runtime for spec in build.template.functions.values()} == {runtime}
    accepted = lambda_tags(runtime, architecture)
    wheels = installed_wheels(build.layer)
    problems = []
    for name, version in pinned_requirements().items():
        if name not in wheels:
            problems.append(f"{name}=={version}: not in the layer")
            continue
        got_version, tags = wheels[name]
        if got_version != version:
            problems.append(f"{name}: {got_version} installed, {version} pinned")
        if not tags & accepted:
            shown = ", ".join(sorted(str(tag) for tag in tags))
            problems.append(f"{name}: wheel tags {shown} do not load on {runtime} {architecture}")
    extra = set(wheels) - set(pinned_requirements())
    assert not problems and not extra, "\n".join([*problems, f"not pinned: {sorted(extra)}"])


def test_the_layer_and_the_largest_function_fit_lambda(build: Build) -> None:
    layer_bytes = tree_bytes(build.layer)
    functions = {name: tree_bytes(spec.code_dir) for name, spec in build.template.functions.items()}
    largest = max(functions, key=functions.__getitem__)
    total = layer_bytes + functions[largest]
    report = (
        f"sam build: {build.seconds:.1f} s; unzipped: layer {layer_bytes / MB:.1f} MB, largest "
        f"function {largest} {functions[largest] / MB:.2f} MB, together {total / MB:.1f} MB "
        f"(budget {BUDGET_BYTES / MB:.0f} MB, Lambda's limit {LAMBDA_LIMIT_BYTES / MB:.0f} MB)"
    )
    print(f"\n{report}")
    assert total < BUDGET_BYTES, report
    assert total < LAMBDA_LIMIT_BYTES, report


def test_sam_build_makes_one_artifact_per_function_holding_parleys_packages_only(
    build: Build,
) -> None:
    built = {path.name for path in build.directory.iterdir() if path.is_dir()}
    assert built == {*FUNCTION_IDS, LAYER_ID}
    for function_id in FUNCTION_IDS:
        artifact = build.template.functions[function_id].code_dir
        assert artifact == build.directory / function_id
        assert {path.name for path in artifact.iterdir()} == PARLEY_PACKAGES, function_id
        shipped = [
            path.relative_to(artifact)
            for path in artifact.rglob("*")
            if path.name in NEVER_SHIPPED or path.suffix in {".pyc", ".pyo"}
        ]
        assert not shipped, f"{function_id} ships {shipped}"


PROBE = """\
import sys
artifact, layer, module, attribute = sys.argv[1:5]
sys.path[:0] = [artifact, layer]
handler = getattr(__import__(module, fromlist=[attribute]), attribute)
assert callable(handler), f"{module}.{attribute} is not callable"
outside = sorted(
    name for name, loaded in sys.modules.items()
    if getattr(loaded, "__file__", None) and not loaded.__file__.startswith(
        (artifact, layer, sys.base_prefix)
    )
)
assert not outside, f"loaded from elsewhere: {outside}"
"""


@pytest.mark.parametrize("function_id", FUNCTION_IDS)
def test_every_handler_imports_from_its_artifact_and_the_layer_alone(
    build: Build, local_layer: Path, function_id: str
) -> None:
    """Only the artifact, the layer (for this machine) and the standard library on sys.path,
    with the environment Lambda gives: tracing on, as deployed, so its imports count too."""
    spec = build.template.functions[function_id]
    env = {
        **spec.environment,
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LAMBDA_TASK_ROOT": str(spec.code_dir),
        "AWS_LAMBDA_FUNCTION_NAME": function_id,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    paths = [str(spec.code_dir), str(local_layer)]
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", PROBE, *paths, spec.module, spec.attribute],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{spec.handler} does not import from its artifact:\n{done.stderr}"
