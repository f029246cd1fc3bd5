"""Reads pip-audit's and npm audit's JSON reports for tools/audit.sh and decides the outcome.

Exit 1 when a dependency has a known vulnerability (npm: high or critical). Exit 0, with a
message that says what was NOT audited, when the scanner could not reach its vulnerability
data: from a machine that reaches only the package registries, pip-audit's per-version
lookups come back "not found" and npm's audit endpoint may be unreachable.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["main", "npm_outcome", "pip_outcome"]


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _fixes(vuln: dict[str, Any]) -> str:
    return ", ".join(vuln.get("fix_versions") or ["no release yet"])


def pip_outcome(report: Any, returncode: int, stderr: str) -> tuple[int, list[str]]:
    """(exit code, lines to print) for one pip-audit run."""
    if not isinstance(report, dict) or returncode not in (0, 1):
        last = stderr.strip().splitlines()[-1:] or ["no report"]
        return 0, [f"pip-audit could not run ({last[0]}): the dependencies were NOT audited"]
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    audited = len(deps) - len(skipped)
    lines = [
        f"pip-audit: {d['name']} {d['version']}: {v['id']} (fixed in {_fixes(v)})"
        for d in vulnerable
        for v in d["vulns"]
    ]
    if skipped and audited == 0:
        lines.append(
            f"pip-audit: the vulnerability data could not be reached from here: all "
            f"{len(deps)} runtime dependencies were skipped, NOTHING was audited"
        )
    elif skipped:
        names = ", ".join(sorted(d["name"] for d in skipped))
        lines.append(f"pip-audit: {len(skipped)} dependencies NOT audited: {names}")
    if not vulnerable and audited:
        lines.append(f"pip-audit: {audited} runtime dependencies audited, no known vulnerability")
    return (1 if vulnerable else 0), lines


def npm_outcome(report: Any, returncode: int, stderr: str) -> tuple[int, list[str]]:
    """(exit code, lines to print) for one npm audit run; high and critical fail."""
    if not isinstance(report, dict) or "error" in report or "metadata" not in report:
        report = report if isinstance(report, dict) else {}
        error = report.get("error") or {}
        errors = [line for line in stderr.splitlines() if "error" in line]
        reason = (
            report.get("message")
            or error.get("summary")
            or error.get("code")
            or (errors[-1] if errors else "no report")
        )
        return 0, [f"npm audit could not run ({reason}): desktop/ui NOT audited"]
    counts = report["metadata"].get("vulnerabilities", {})
    serious = {
        name: entry
        for name, entry in report.get("vulnerabilities", {}).items()
        if entry.get("severity") in ("high", "critical")
    }
    lines = [f"npm audit: {name}: {entry['severity']}" for name, entry in sorted(serious.items())]
    total = counts.get("total", 0)
    lines.append(f"npm audit: {total} known vulnerabilities ({len(serious)} high or critical)")
    return (1 if serious else 0), lines


def main(argv: list[str]) -> int:
    kind, report_path, returncode, stderr_path = argv
    report = _load(Path(report_path))
    stderr = Path(stderr_path).read_text(errors="replace") if Path(stderr_path).exists() else ""
    decide = pip_outcome if kind == "pip" else npm_outcome
    code, lines = decide(report, int(returncode), stderr)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
