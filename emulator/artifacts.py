"""What a local function loads: its built artifact, its layers and the runtime's boto3.

Lambda puts a function's artifact in ``/var/task``, its layers in ``/opt`` and the boto3 it ships
in the runtime on ``sys.path``, and nothing else. The local stack builds the same three things and
its workers see only those (see :mod:`emulator.worker`):

- the **artifact**, built as ``sam build`` builds it: ``make build-<LogicalId>`` for a function
  whose ``Metadata`` says ``BuildMethod: makefile`` (the rule ``sam build`` calls, so whatever it
  leaves out is missing here too), else the CodeUri folder with its ``requirements.txt`` installed
  into it. Each stack builds its own, again after every code change (a new generation, so a busy
  worker keeps the files it started with);
- each **layer** the function names: its ContentUri's ``requirements.txt`` installed for this
  machine's interpreter, binary wheels only and no dependency the file does not pin, as the
  Lambda build installs it for Lambda's platform. Built once per requirements and interpreter
  and shared by every stack of this checkout;
- the **runtime's boto3**: boto3, botocore and their dependencies at the versions ``uv.lock``
  pins, which a function imports even without a layer, as on Lambda.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import platform
import shutil
import sys
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from emulator.template import FunctionSpec, LayerSpec

__all__ = [
    "ArtifactBuilder",
    "BuildError",
    "FunctionCode",
    "find_uv",
    "runtime_pins",
    "tree_digest",
]

#: What ``sam build`` leaves out when it copies a CodeUri folder (aws-lambda-builders' python
#: workflow), and what a checkout holds that no function ships.
_COPY_IGNORE = shutil.ignore_patterns(
    ".aws-sam", ".git", ".parley", ".venv", "node_modules", "__pycache__", "*.pyc"
)

#: The packages Lambda's Python runtime ships, importable without a layer.
RUNTIME_PACKAGES = ("boto3",)

#: How many builds (make, copies, installs) run at once.
_PARALLEL_BUILDS = 4


class BuildError(Exception):
    """A function's artifact or a layer could not be built; the message says which and why."""


@dataclass(frozen=True)
class FunctionCode:
    """One build of a function: what its workers put on ``sys.path``, in Lambda's order."""

    task_root: Path  # Lambda's /var/task: the worker's cwd and first path entry
    layer_paths: tuple[Path, ...]  # Lambda's /opt/python (and its site-packages), per layer
    runtime_dir: Path  # the boto3 Lambda's runtime ships

    def sys_path(self) -> list[str]:
        return [str(p) for p in (self.task_root, *self.layer_paths, self.runtime_dir)]


def find_uv(project_root: Path) -> str:
    """``uv`` on PATH, else the one ``make`` installs into ``.tools/``."""
    found = shutil.which("uv")
    if found:
        return found
    local = project_root / ".tools" / "bin" / "uv"
    if local.is_file():
        return str(local)
    raise BuildError("uv is needed to build the layers: run `make install` (or put uv on PATH)")


def interpreter_tag() -> str:
    """What a layer built for this machine depends on: the workers' interpreter (this one)."""
    return f"cp{sys.version_info[0]}{sys.version_info[1]}-{platform.machine()}-{sys.platform}"


def _digest(*parts: bytes) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(len(part).to_bytes(8, "big"))
        sha.update(part)
    return sha.hexdigest()[:16]


def runtime_pins(lock_file: Path, roots: Iterable[str] = RUNTIME_PACKAGES) -> list[str]:
    """``name==version`` for the runtime packages and everything they depend on, from uv.lock."""
    try:
        lock = tomllib.loads(lock_file.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BuildError(f"cannot read the runtime's versions from {lock_file}: {exc}") from exc
    packages = {p["name"]: p for p in lock.get("package", []) if "version" in p}
    pins: dict[str, str] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in pins:
            continue
        package = packages.get(name)
        if package is None:
            raise BuildError(f"{lock_file.name} pins no {name} (Lambda's runtime ships it)")
        pins[name] = str(package["version"])
        todo.extend(dep["name"] for dep in package.get("dependencies", []))
    return sorted(f"{name}=={version}" for name, version in pins.items())


async def _run(argv: list[str], cwd: Path, what: str, *, check: bool = True) -> None:
    """A build command; :class:`BuildError` with its output when it fails (and ``check``)."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=str(cwd),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await process.communicate()
    except asyncio.CancelledError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    if check and process.returncode != 0:
        tail = "\n".join(output.decode(errors="replace").strip().splitlines()[-15:])
        raise BuildError(f"{what} failed (exit {process.returncode}):\n{tail}")


def _publish(staged: Path, final: Path) -> None:
    """Move a finished build into place; a twin that another stack published first wins."""
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        staged.rename(final)
    except OSError:
        if not final.is_dir():
            raise
        shutil.rmtree(staged, ignore_errors=True)


class ArtifactBuilder:
    """Builds, for one stack, what each function of a template loads.

    Under ``build_dir``: ``artifacts/<digest>/`` holds each distinct artifact once, named by its
    content and compiled to bytecode once, so functions built alike (and later stacks) share it;
    ``layers/`` and ``runtime/`` hold the installed packages per requirements and interpreter;
    ``run-<pid>/`` is this stack's: its staging area and a link to every artifact it uses, so
    that another stack's clean-up leaves them alone. :meth:`close` removes it.
    """

    #: An artifact no running stack links to goes once it is this old.
    KEEP_UNUSED_S = 24 * 3600.0

    def __init__(
        self,
        functions: Mapping[str, FunctionSpec],
        build_dir: Path,
        *,
        lock_file: Path,
        uv: str,
        progress: Callable[[str], None],
    ) -> None:
        self.functions = dict(functions)
        self.build_dir = build_dir
        self.lock_file = lock_file
        self.uv = uv
        self.progress = progress
        self.run_dir = build_dir / f"run-{os.getpid()}"
        self._generation = 0
        self._layers: dict[str, tuple[Path, ...]] = {}
        self._runtime_dir: Path | None = None
        self._limit = asyncio.Semaphore(_PARALLEL_BUILDS)
        self._publishing: dict[str, asyncio.Lock] = {}

    # ---------------------------------------------------------------- the whole set
    async def prepare(self) -> dict[str, FunctionCode]:
        """Layers, the runtime's boto3 and every artifact, for the first workers."""
        await asyncio.to_thread(self._collect_garbage)
        declared = sorted({spec.runtime for spec in self.functions.values()})
        here = f"python{sys.version_info[0]}.{sys.version_info[1]}"
        if declared != [here]:
            self.progress(
                f"the functions run on this machine's {here} ({sys.executable}); "
                f"the template names {', '.join(declared)}"
            )
        self._runtime_dir = await self._runtime()
        for spec in self.functions.values():
            for layer in spec.layers:
                if layer.name not in self._layers:
                    self._layers[layer.name] = await self._layer(layer)
        return await self.rebuild(self.functions)

    async def rebuild(self, function_ids: Iterable[str]) -> dict[str, FunctionCode]:
        """These functions' artifacts built again from their code as it is now."""
        ids = sorted(set(function_ids))
        if not ids:
            return {}
        self._generation += 1
        started = time.monotonic()
        built = await asyncio.gather(*(self._artifact(self.functions[fid]) for fid in ids))
        made = sum(1 for fid in ids if self.functions[fid].build_method == "makefile")
        how = ", ".join(
            part
            for part in (
                f"{made} by make build-<LogicalId>" if made else "",
                f"{len(ids) - made} from their CodeUri" if len(ids) > made else "",
            )
            if part
        )
        distinct = {root for root, _ in built}
        new = {root for root, fresh in built if fresh}
        self.progress(
            f"built {len(ids)} function artifact(s) ({how}) in "
            f"{time.monotonic() - started:.1f} s: {len(distinct)} distinct, {len(new)} new "
            f"({self.build_dir / 'artifacts'})"
        )
        return {fid: self._code(fid, root) for fid, (root, _) in zip(ids, built, strict=True)}

    def functions_under(self, changed: Iterable[Path]) -> set[str]:
        """The functions whose CodeUri holds any of these paths."""
        paths = [p.resolve() for p in changed]
        return {
            fid
            for fid, spec in self.functions.items()
            if any(p.is_relative_to(spec.code_dir) for p in paths)
        }

    def close(self) -> None:
        """Let go of this stack's artifacts (later stacks reuse them, or clear them out)."""
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def _code(self, function_id: str, task_root: Path) -> FunctionCode:
        assert self._runtime_dir is not None, "prepare() first"
        spec = self.functions[function_id]
        layer_paths = tuple(p for layer in spec.layers for p in self._layers.get(layer.name, ()))
        return FunctionCode(task_root, layer_paths, self._runtime_dir)

    def _collect_garbage(self) -> None:
        """Remove what stacks that are gone left: their run folders and half-made layers (when
        killed), and the artifacts no running stack links to that nobody used for a day."""
        self.build_dir.mkdir(parents=True, exist_ok=True)
        in_use: set[str] = set()
        for run in self.build_dir.glob("run-*"):
            pid = run.name.removeprefix("run-")
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                shutil.rmtree(run, ignore_errors=True)
            else:
                in_use.update(link.name for link in (run / "uses").glob("*"))
        for partial in self.build_dir.glob("*/*.partial-*"):  # a layer install cut short
            pid = partial.name.rsplit("-", 1)[1]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(partial, ignore_errors=True)
        cutoff = time.time() - self.KEEP_UNUSED_S
        for artifact in (self.build_dir / "artifacts").glob("*"):
            with contextlib.suppress(OSError):
                if artifact.name not in in_use and artifact.stat().st_mtime < cutoff:
                    shutil.rmtree(artifact, ignore_errors=True)

    # ---------------------------------------------------------------- artifacts
    async def _artifact(self, spec: FunctionSpec) -> tuple[Path, bool]:
        """The function's artifact folder, and whether this build added it."""
        stage = self.run_dir / "stage" / f"{spec.logical_id}.{self._generation}"
        await asyncio.to_thread(_fresh_folder, stage)
        try:
            async with self._limit:
                if spec.build_method == "makefile":
                    await self._make(spec, stage)
                elif spec.build_method in (None, spec.runtime) and spec.runtime.startswith(
                    "python"
                ):
                    await self._copy(spec, stage)
                else:
                    raise BuildError(
                        f"{spec.logical_id}: cannot build BuildMethod {spec.build_method} "
                        f"for {spec.runtime} locally"
                    )
            digest = await asyncio.to_thread(tree_digest, stage)
            final = self.build_dir / "artifacts" / digest
            async with self._publishing.setdefault(digest, asyncio.Lock()):
                fresh = not await asyncio.to_thread(final.is_dir)
                if fresh:  # compiled once here, not by each worker; a syntax error is the
                    # function's init error, as on Lambda, not the build's
                    await _run(
                        [sys.executable, "-I", "-S", "-m", "compileall", "-q", str(stage)],
                        stage,
                        f"{spec.logical_id}: compiling its artifact",
                        check=False,
                    )
                    await asyncio.to_thread(_publish, stage, final)
                await asyncio.to_thread(self._use, final)
        finally:
            await asyncio.to_thread(shutil.rmtree, stage, True)
        return final, fresh

    def _use(self, artifact: Path) -> None:
        """Link this stack to an artifact (so no clean-up removes it) and mark it used now."""
        uses = self.run_dir / "uses"
        uses.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            (uses / artifact.name).symlink_to(artifact)
        os.utime(artifact)

    async def _make(self, spec: FunctionSpec, target: Path) -> None:
        make = shutil.which("make")
        if make is None:
            raise BuildError(f"{spec.logical_id} is built by make (BuildMethod: makefile)")
        await _run(
            [make, "-s", f"build-{spec.logical_id}", f"ARTIFACTS_DIR={target}"],
            spec.code_dir,
            f"{spec.logical_id}: make build-{spec.logical_id}",
        )

    async def _copy(self, spec: FunctionSpec, target: Path) -> None:
        if not spec.code_dir.is_dir():
            raise BuildError(f"{spec.logical_id}: CodeUri {spec.code_dir} is not a folder")
        await asyncio.to_thread(
            shutil.copytree,
            spec.code_dir,
            target,
            ignore=_COPY_IGNORE,
            symlinks=True,
            dirs_exist_ok=True,
        )
        requirements = target / "requirements.txt"
        if requirements.is_file():
            await self._pip_install(
                target,
                ["-r", str(requirements)],
                target,
                f"{spec.logical_id}: installing its requirements.txt",
            )

    # ---------------------------------------------------------------- layers and runtime
    async def _layer(self, layer: LayerSpec) -> tuple[Path, ...]:
        """The path entries of one layer (Lambda's /opt/python and its site-packages)."""
        if layer.content_dir is None:
            self.progress(f"layer {layer.name} is not in the template: its packages are missing")
            return ()
        requirements = layer.content_dir / "requirements.txt"
        if requirements.is_file():
            opt = await self._installed(
                f"layers/{layer.name}",
                requirements.read_bytes(),
                ["-r", str(requirements)],
                f"layer {layer.name} ({requirements.relative_to(layer.content_dir.parent)})",
            )
        else:
            opt = layer.content_dir  # a layer shipped as is: its python/ folder is the layer
        python = opt / "python"
        site = python / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
        found = tuple(p for p in (python, site / "site-packages") if p.is_dir())
        if not found:
            raise BuildError(
                f"layer {layer.name}: its ContentUri {layer.content_dir} holds neither a "
                "requirements.txt to install nor a python/ folder"
            )
        return found

    async def _runtime(self) -> Path:
        pins = runtime_pins(self.lock_file)
        opt = await self._installed(
            "runtime/boto3", "\n".join(pins).encode(), pins, "the Lambda runtime's boto3"
        )
        return opt / "python"

    async def _pip_install(self, target: Path, args: list[str], cwd: Path, what: str) -> None:
        """``uv pip install`` into ``target`` for the interpreter the workers run on."""
        argv = [self.uv, "pip", "install", "--quiet", "--python", sys.executable]
        await _run([*argv, "--target", str(target), *args], cwd, what)

    async def _installed(self, name: str, requirements: bytes, args: list[str], what: str) -> Path:
        """Pinned packages installed once per requirements and interpreter; the folder holding
        ``python/``."""
        tag = interpreter_tag()
        final = self.build_dir / f"{name}-{_digest(requirements, tag.encode())}"
        if (final / "python").is_dir():
            self.progress(f"{what}: up to date ({final})")
            return final
        started = time.monotonic()
        staged = final.with_name(f"{final.name}.partial-{os.getpid()}")
        shutil.rmtree(staged, ignore_errors=True)
        staged.mkdir(parents=True)
        try:
            async with self._limit:
                await self._pip_install(
                    staged / "python",
                    ["--only-binary", ":all:", "--no-deps", "--compile-bytecode", *args],
                    staged,
                    f"building {what}",
                )
            _publish(staged, final)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
        count = sum(1 for _ in (final / "python").glob("*.dist-info"))
        self.progress(
            f"{what}: installed {count} packages for {tag} in "
            f"{time.monotonic() - started:.1f} s ({final})"
        )
        return final


def _fresh_folder(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


def tree_digest(root: Path) -> str:
    """A folder's files (names and contents) as one digest; compiled bytecode left out."""
    sha = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts:
            continue
        if path.is_symlink():
            content = os.readlink(path).encode()
        elif path.is_file():
            content = path.read_bytes()
        else:
            continue
        sha.update(path.relative_to(root).as_posix().encode() + b"\0")
        sha.update(hashlib.sha256(content).digest())
    return sha.hexdigest()[:24]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
