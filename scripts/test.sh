#!/usr/bin/env bash
# The one test command: installs the pinned Codex CLI under target/ when missing, then runs
# the whole suite against it. Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

CODEX_VERSION="0.169.0"
PREFIX="target/codex-cli"
SHIM="$PREFIX/node_modules/.bin/codex"

installed_version() {
  [ -x "$SHIM" ] && "$SHIM" --version 2>/dev/null | awk '{print $NF}'
}

if [ "$(installed_version || true)" != "$CODEX_VERSION" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "scripts/test.sh: npm is required to install @openai/codex@$CODEX_VERSION (install Node.js and npm)" >&2
    exit 1
  fi
  echo "installing @openai/codex@$CODEX_VERSION into $PREFIX" >&2
  mkdir -p "$PREFIX"
  npm install --no-audit --no-fund --loglevel=error --prefix "$PREFIX" "@openai/codex@$CODEX_VERSION" >&2
  if [ "$(installed_version || true)" != "$CODEX_VERSION" ]; then
    echo "scripts/test.sh: the Codex CLI did not install correctly at $SHIM" >&2
    exit 1
  fi
fi

export CODEXMCP_TEST_CODEX="$PWD/$SHIM"
exec cargo test --locked "$@"
