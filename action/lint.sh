#!/usr/bin/env bash
# Run mplint from the workspace root (paths in the reports are relative to it): SARIF for upload, the job
# summary, and without an upload (fork pull requests) the findings as annotations. Writes the outputs
# exit-code, sarif-file, category and artifact. No `set -e`: mplint's status is kept for the last step.
cd "$GITHUB_WORKSPACE" || exit 2
shopt -s nullglob globstar

fail() {
  echo "::error title=mplint::$1"
  echo "exit-code=2" >> "$GITHUB_OUTPUT"
  exit 0
}

# expand INPUT-NAME TEXT: each whitespace-separated word, a glob expanded (it must match), into `expanded`
expand() {
  expanded=()
  local word matches
  read -r -d '' -a words <<< "$2" || true
  for word in "${words[@]}"; do
    if [[ "$word" == *[\*\?\[]* ]]; then
      # shellcheck disable=SC2206  # the glob is expanded on purpose; words hold no whitespace
      matches=($word)
      if [ "${#matches[@]}" -eq 0 ]; then
        fail "$1: '$word' matches no file in the workspace"
      fi
      expanded+=("${matches[@]}")
    else
      expanded+=("$word")
    fi
  done
}

sarif="${INPUT_SARIF_FILE:-$RUNNER_TEMP/mplint/mplint.sarif}"
mkdir -p "$(dirname "$sarif")"
rm -f "$sarif"

args=()
if [ -n "$INPUT_FAIL_LEVEL" ]; then args+=(--fail-level "$INPUT_FAIL_LEVEL"); fi
if [ -n "$INPUT_CONFIG" ]; then args+=(--config "$INPUT_CONFIG"); fi
expand policy "$INPUT_POLICY"
for policy in "${expanded[@]}"; do args+=(--policy "$policy"); done
commands="$(echo "$INPUT_COMMANDS" | tr -s ' \n\t' ',,,' | sed 's/^,*//; s/,*$//')"
if [ -n "$commands" ]; then args+=(--command "$commands"); fi
if [ -n "$INPUT_ARGS" ]; then
  # split as a shell would (quotes, backslashes), never evaluated
  split='import shlex, sys; sys.stdout.write("".join(a + "\0" for a in shlex.split(sys.argv[1])))'
  python3 -c "$split" "$INPUT_ARGS" >/dev/null 2>&1 || fail "args: cannot split '$INPUT_ARGS' as a command line"
  while IFS= read -r -d '' arg; do args+=("$arg"); done < <(python3 -c "$split" "$INPUT_ARGS")
fi
expand paths "$INPUT_PATHS"
paths=("${expanded[@]}")
if [ "${#paths[@]}" -eq 0 ]; then paths=(.); fi

# The category names the input paths as written (not their expansion), so that it stays the same from run to run.
category="$INPUT_CATEGORY"
if [ -z "$category" ]; then
  read -r -d '' -a words <<< "$INPUT_PATHS" || true
  named="$(printf '%s\n' "${words[@]}" | sed 's|^\./||; s|/*$||' | grep -v '^\.\{0,1\}$' | paste -sd, -)"
  category="mplint${named:+/$named}"
fi
echo "category=$category" >> "$GITHUB_OUTPUT"
echo "artifact=$(echo "$category" | tr -c 'A-Za-z0-9._-' '-' | sed 's/-*$//')-sarif" >> "$GITHUB_OUTPUT"

code=0
"$MPLINT" lint --format sarif --output "$sarif" --category "$category" "${args[@]}" -- "${paths[@]}" || code=$?
echo "exit-code=$code" >> "$GITHUB_OUTPUT"
if [ -s "$sarif" ]; then echo "sarif-file=$sarif" >> "$GITHUB_OUTPUT"; fi

# Without an upload, the findings as annotations (the summary is written once, by the run above).
upload="$(echo "$INPUT_UPLOAD_SARIF" | tr '[:upper:]' '[:lower:]')"  # as the if: of the upload step compares
if [ "$upload" != "true" ] && [ "$code" -ne 2 ]; then
  GITHUB_STEP_SUMMARY="" "$MPLINT" lint --format github "${args[@]}" -- "${paths[@]}" || true
fi
exit 0
