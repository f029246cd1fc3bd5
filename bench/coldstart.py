"""Cold start: each function's handler import from its built artifact, beside a boto3-only handler.

``uv run --frozen python -m bench.coldstart [--repetitions 7]``

1. ``make build`` (``sam build``, as a deployer runs it) into a scratch directory: one artifact
   per function of the template; ``make local-layer`` installs the layer's pinned requirements
   for this machine's interpreter (the artifact's layer is built for arm64 and python3.12).
2. Each subject is imported in a fresh interpreter (``python -B -I -S``) whose ``sys.path`` is
   only its artifact, that layer and the standard library, with the environment Lambda gives it:
   the template's variables, ``LAMBDA_TASK_ROOT`` and the function's name. No bytecode is read
   or written (the artifact and the layer hold none, and Lambda's ``/var/task`` and ``/opt`` are
   read-only), so every module is compiled as it is on a cold start there.
3. The baseline, in the same run: a handler module that imports only boto3, in the same
   interpreter with the same layer. Subjects take turns, repetition by repetition, so a slow
   moment of the machine falls on all of them; each figure is the median of its repetitions.

Three configurations: **traced**, as deployed (``Tracing: Active``: Powertools' tracer and the
X-Ray SDK are built at cold start); **untraced** (``POWERTOOLS_TRACE_DISABLED=true``, as the
emulator and the tests run); and **untraced, bytecode**: a copy of the artifacts and the layer
compiled for this interpreter, the condition of a development tree (and of a deployment that
shipped python3.12 bytecode). The target: every handler within 1.5x of the baseline, traced.
Figures are printed and written to ``bench/results/coldstart.json``. Never part of ``make test``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.common import REPO_ROOT, RESULTS_DIR, BenchError, print_table, write_results
from emulator.template import load_template

TARGET_RATIO = 1.5
HEADERS = ["subject", "traced cpu s", "x boto3", "untraced", "x boto3", "bytecode", "x boto3"]
HEADERS += ["modules", "X-Ray SDK"]
BASELINE = "boto3 only"
#: Imports the handler's module with nothing but ``argv[1:3]`` before the standard library;
#: prints its CPU seconds (the figure: the machine may be shared, a wait for a core is not the
#: import's), the wall seconds, the modules loaded, and whether the X-Ray SDK was among them.
PROBE = """\
import sys, time
artifact, layer, module = sys.argv[1:4]
sys.path[:0] = [artifact, layer]
before = len(sys.modules)
cpu, wall = time.process_time(), time.perf_counter()
__import__(module)
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
print(cpu, wall, len(sys.modules) - before, "aws_xray_sdk" in sys.modules)
"""
BASELINE_HANDLER = '''"""A handler that imports only boto3: the floor every function is held to."""

import boto3


def lambda_handler(event, context):
    return {"boto3": boto3.__version__}
'''


@dataclass(frozen=True)
class Subject:
    name: str
    artifact: Path
    module: str
    environment: dict[str, str]


@dataclass(frozen=True)
class Sample:
    seconds: float
    wall_seconds: float
    modules: int
    xray: bool


def make(*args: str) -> None:
    """One rule of the repository's Makefile, its output shown only when it fails."""
    done = subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO_ROOT), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise BenchError(f"make {args[0]} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")


def subjects(build_dir: Path, scratch: Path) -> list[Subject]:
    """The baseline and every function of the built template, with Lambda's environment."""
    template = load_template(build_dir / "template.yaml")
    baseline = scratch / "baseline"
    baseline.mkdir()
    (baseline / "app.py").write_text(BASELINE_HANDLER)
    found = [Subject(BASELINE, baseline, "app", lambda_environment("Baseline", baseline, {}))]
    for name, function in sorted(template.functions.items()):
        found.append(
            Subject(
                name,
                function.code_dir,
                function.module,
                lambda_environment(name, function.code_dir, function.environment),
            )
        )
    return found


def lambda_environment(name: str, artifact: Path, variables: dict[str, str]) -> dict[str, str]:
    """What Lambda's python3.12 runtime sets that a module may read at import."""
    return {
        **variables,
        "LAMBDA_TASK_ROOT": str(artifact),
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
    }


@dataclass(frozen=True)
class Configuration:
    traced: bool
    #: The artifacts and the layer with bytecode compiled for this interpreter (``compileall``):
    #: what a deployment could ship with a python3.12 at hand, as the target was first measured.
    bytecode: bool


CONFIGURATIONS = {
    "traced": Configuration(traced=True, bytecode=False),
    "untraced": Configuration(traced=False, bytecode=False),
    "untraced, bytecode": Configuration(traced=False, bytecode=True),
}


def compiled_copy(scratch: Path) -> Path:
    """The build, the layer and the baseline again, each module compiled to bytecode."""
    compiled = scratch / "compiled"
    for name in ("build", "layer", "baseline"):
        shutil.copytree(scratch / name, compiled / name, symlinks=True)
    done = subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", str(compiled)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise BenchError(f"compileall failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return compiled


def probe(subject: Subject, layer: Path, traced: bool) -> Sample:
    """One cold import of the subject in a fresh interpreter."""
    env = dict(subject.environment)
    if not traced:
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    done = subprocess.run(
        [
            sys.executable,
            "-B",
            "-I",
            "-S",
            "-c",
            PROBE,
            str(subject.artifact),
            str(layer),
            subject.module,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode:
        raise BenchError(f"{subject.name}: importing {subject.module} failed:\n{done.stderr}")
    cpu, wall, modules, xray = done.stdout.split()
    return Sample(float(cpu), float(wall), int(modules), xray == "True")


def moved(subject: Subject, scratch: Path, compiled: Path) -> Subject:
    """The subject as found in the compiled copy."""
    artifact = compiled / subject.artifact.relative_to(scratch)
    environment = {**subject.environment, "LAMBDA_TASK_ROOT": str(artifact)}
    return Subject(subject.name, artifact, subject.module, environment)


def xray_column(
    traced: dict[str, float | int | bool], untraced: dict[str, float | int | bool]
) -> str:
    """Where the X-Ray SDK was imported: it belongs to the traced configuration only."""
    places = [name for name, fig in (("traced", traced), ("untraced", untraced)) if fig["xray_sdk"]]
    return " and ".join(places) or "never"


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="parley-coldstart-") as tmp:
        scratch = Path(tmp)
        build_dir, layer = scratch / "build", scratch / "layer"
        print("sam build and the local layer …", flush=True)
        make("build", f"SAM_BUILD_ARGS=--build-dir {build_dir}")
        make("local-layer", f"LOCAL_LAYER_DIR={layer}", f"LOCAL_PYTHON={sys.executable}")
        found = subjects(build_dir, scratch)
        compiled = compiled_copy(scratch)
        samples: dict[str, dict[str, list[Sample]]] = {c: {} for c in CONFIGURATIONS}
        for repetition in range(args.repetitions):
            print(f"repetition {repetition + 1}/{args.repetitions} …", flush=True)
            for subject in found:
                for name, configuration in CONFIGURATIONS.items():
                    if configuration.bytecode:
                        where, its_layer = moved(subject, scratch, compiled), compiled / "layer"
                    else:
                        where, its_layer = subject, layer
                    sample = probe(where, its_layer, configuration.traced)
                    samples[name].setdefault(subject.name, []).append(sample)

    figures: dict[str, dict[str, dict[str, float | int | bool]]] = {}
    for label, by_subject in samples.items():
        base = statistics.median(s.seconds for s in by_subject[BASELINE])
        figures[label] = {
            name: {
                "median_cpu_s": round(statistics.median(s.seconds for s in taken), 4),
                "median_wall_s": round(statistics.median(s.wall_seconds for s in taken), 4),
                "ratio": round(statistics.median(s.seconds for s in taken) / base, 2),
                "modules": taken[0].modules,
                "xray_sdk": taken[0].xray,
            }
            for name, taken in by_subject.items()
        }
    print_table(
        HEADERS,
        [
            [
                name,
                figures["traced"][name]["median_cpu_s"],
                figures["traced"][name]["ratio"],
                figures["untraced"][name]["median_cpu_s"],
                figures["untraced"][name]["ratio"],
                figures["untraced, bytecode"][name]["median_cpu_s"],
                figures["untraced, bytecode"][name]["ratio"],
                figures["traced"][name]["modules"],
                xray_column(figures["traced"][name], figures["untraced"][name]),
            ]
            for name in figures["traced"]
        ],
        title=f"\ncold import, CPU seconds, median of {args.repetitions}; traced and untraced "
        "without bytecode, as on Lambda; bytecode: compiled for this interpreter, untraced",
    )
    over = [name for name, fig in figures["traced"].items() if float(fig["ratio"]) > TARGET_RATIO]
    print(f"over {TARGET_RATIO}x the boto3-only handler, traced: {', '.join(over) or 'none'}")
    path = write_results(
        args.out.stem,
        {
            "repetitions": args.repetitions,
            "target_ratio": TARGET_RATIO,
            "baseline": BASELINE,
            "configurations": figures,
            "over_target": over,
        },
        args.out.parent,
    )
    print(f"written to {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}")
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.coldstart", description=__doc__)
    parser.add_argument("--repetitions", type=int, default=7, help="imports per subject (7)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR / "coldstart.json")
    args = parser.parse_args(argv)
    if args.repetitions < 1:
        parser.error("--repetitions must be at least 1")
    sys.exit(run(args))


if __name__ == "__main__":
    os.environ.setdefault("SAM_CLI_TELEMETRY", "0")
    main()
