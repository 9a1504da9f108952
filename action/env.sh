#!/usr/bin/env bash
# Where mplint's virtualenv lives and the cache key it is kept under: the runner, its Python, the hash-pinned
# dependencies (action/requirements.txt) and the mplint release asked for (none: the action's own files).
set -euo pipefail
here="$GITHUB_ACTION_PATH/action"
python="$(command -v python3 || true)"
if [ -z "$python" ]; then
  echo "::error title=mplint::the action needs python3 (3.10 or later) on the runner, e.g. from actions/setup-python"
  exit 2
fi
pyversion="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "::error title=mplint::mplint needs Python 3.10 or later; python3 is $pyversion"
  exit 2
fi
lock="$("$python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()[:16])' "$here/requirements.txt")"
release="${MPLINT_VERSION:-ref}"
echo "venv=$RUNNER_TEMP/mplint-venv" >> "$GITHUB_OUTPUT"
echo "key=mplint-${RUNNER_OS:-os}-${RUNNER_ARCH:-arch}-py$pyversion-$lock-$release" >> "$GITHUB_OUTPUT"
