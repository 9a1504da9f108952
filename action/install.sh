#!/usr/bin/env bash
# Install mplint's dependencies into the virtualenv from the hash-pinned lock, unless the cache restored it, and
# write the `mplint` command the next step runs: the action's own files on the virtualenv's Python, or (`version:`)
# that release from PyPI.
set -euo pipefail
venv="$MPLINT_VENV"
bin="$venv/bin"
if [ -d "$venv/Scripts" ]; then bin="$venv/Scripts"; fi
if [ -n "$MPLINT_VERSION" ] && ! [[ "$MPLINT_VERSION" =~ ^[0-9][0-9A-Za-z.+!-]*$ ]]; then
  echo "::error title=mplint::version must be a release number such as 0.1.0"
  exit 2
fi
if [ "$MPLINT_CACHE_HIT" != "true" ] || [ ! -x "$bin/python" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  if [ -d "$venv/Scripts" ]; then bin="$venv/Scripts"; fi
  pip=("$bin/python" -m pip install --quiet --disable-pip-version-check --no-input)
  "${pip[@]}" --require-hashes -r "$GITHUB_ACTION_PATH/action/requirements.txt"
  if [ -n "$MPLINT_VERSION" ]; then
    "${pip[@]}" --no-deps "mplint==$MPLINT_VERSION"
    if ! "$bin/python" -m pip check --disable-pip-version-check >/dev/null; then
      echo "::error title=mplint::mplint $MPLINT_VERSION needs other dependencies than this action pins: use the action at the tag v$MPLINT_VERSION"
      exit 2
    fi
  fi
fi
launcher="$RUNNER_TEMP/mplint-bin/mplint"
mkdir -p "$(dirname "$launcher")"
if [ -n "$MPLINT_VERSION" ]; then
  printf '#!/usr/bin/env bash\nexec "%s" -m mplint "$@"\n' "$bin/python" > "$launcher"
else
  # shellcheck disable=SC2016  # $PYTHONPATH and $@ are the launcher's, expanded when it runs
  printf '#!/usr/bin/env bash\nPYTHONPATH="%s${PYTHONPATH:+:$PYTHONPATH}" exec "%s" -m mplint "$@"\n' \
    "$GITHUB_ACTION_PATH" "$bin/python" > "$launcher"
fi
chmod +x "$launcher"
echo "mplint=$launcher" >> "$GITHUB_OUTPUT"
