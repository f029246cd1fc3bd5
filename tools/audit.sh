#!/usr/bin/env bash
# `make lint`'s dependency scans: pip-audit on the runtime requirements (what the Lambda layer
# ships) and, when the desktop UI exists, npm audit on its lock file. A known vulnerability
# fails the build; a vulnerability service that cannot be reached does not (it is said so
# loudly instead), since CI must not depend on a service outside the package registries.
set -uo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-uv}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

"$UV" export --frozen --no-dev --no-default-groups --no-hashes --no-emit-project --format requirements-txt -q \
  > "$work/requirements.txt"
"$UV" run --frozen pip-audit -r "$work/requirements.txt" --no-deps --disable-pip \
  --progress-spinner off --format json --output "$work/pip-audit.json" 2> "$work/pip-audit.err"
pip_rc=$?
"$UV" run --frozen python tools/audit_report.py pip "$work/pip-audit.json" "$pip_rc" \
  "$work/pip-audit.err" || status=1

if [ -f desktop/ui/package.json ]; then
  if [ ! -f desktop/ui/package-lock.json ]; then
    echo "npm audit: desktop/ui has no package-lock.json: nothing to audit (commit the lock file)"
  elif ! command -v npm > /dev/null; then
    echo "npm audit: npm is not installed: desktop/ui NOT audited"
  else
    (cd desktop/ui && npm audit --json --omit=dev > "$work/npm-audit.json" 2> "$work/npm-audit.err")
    npm_rc=$?
    "$UV" run --frozen python tools/audit_report.py npm "$work/npm-audit.json" "$npm_rc" \
      "$work/npm-audit.err" || status=1
  fi
fi
exit $status
