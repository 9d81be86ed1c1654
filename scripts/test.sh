#!/usr/bin/env bash
# The one test command: installs the pinned Codex CLI and the pinned Claude Code under target/
# when missing, then runs the whole suite against them. Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

# The pinned Codex CLI; CODEXMCP_TEST_CODEX_VERSION=0.171.0 runs the same suite against another
# release (installed beside it under target/codex-cli-<version>).
PINNED_CODEX_VERSION="0.169.0"
CODEX_VERSION="${CODEXMCP_TEST_CODEX_VERSION:-$PINNED_CODEX_VERSION}"
if ! [[ "$CODEX_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "scripts/test.sh: CODEXMCP_TEST_CODEX_VERSION must be a release like 0.171.0, not '$CODEX_VERSION'" >&2
  exit 2
fi
CODEX_DIR="codex-cli"
[ "$CODEX_VERSION" = "$PINNED_CODEX_VERSION" ] || CODEX_DIR="codex-cli-$CODEX_VERSION"
# Claude Code 2.1.328 installs from npm with its native binary (an optional dependency, no
# download at install time) and runs offline: MCP tasks, deferred tools, the 2026-07-28 handshake.
CLAUDE_VERSION="2.1.328"

# ensure PACKAGE VERSION DIR COMMAND: npm-installs PACKAGE@VERSION into target/DIR unless
# `COMMAND --version` there already names VERSION; prints the command's path.
ensure() {
  local package="$1" version="$2" prefix="target/$3" shim="target/$3/node_modules/.bin/$4"
  if ! { [ -x "$shim" ] && "$shim" --version 2>/dev/null | grep -qF "$version"; }; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "scripts/test.sh: npm is required to install $package@$version (install Node.js and npm)" >&2
      exit 1
    fi
    echo "installing $package@$version into $prefix" >&2
    mkdir -p "$prefix"
    npm install --no-audit --no-fund --loglevel=error --prefix "$prefix" "$package@$version" >&2
    if ! "$shim" --version 2>/dev/null | grep -qF "$version"; then
      echo "scripts/test.sh: $package did not install correctly at $shim" >&2
      exit 1
    fi
  fi
  echo "$PWD/$shim"
}

CODEXMCP_TEST_CODEX="$(ensure @openai/codex "$CODEX_VERSION" "$CODEX_DIR" codex)"
CODEXMCP_TEST_CLAUDE="$(ensure @anthropic-ai/claude-code "$CLAUDE_VERSION" claude-code claude)"
export CODEXMCP_TEST_CODEX CODEXMCP_TEST_CLAUDE
cargo test --locked "$@"
if [ "$#" -eq 0 ]; then
  # The exec engine stays (older Codex versions, and the way out if app-server misbehaves): the
  # core, full-access, cancel, timeout and recovery tests run again on it.
  CODEXMCP_TEST_ENGINE=exec cargo test --locked --test it -- \
    readonly:: full_access:: blocking_call:: background:: outlive:: signals:: endings:: \
    agent_loop:: failures:: review::
  # The speed benchmark runs alone, when nothing else loads the machine, on a release build
  # (what a person runs): the app-server engine against bare `codex exec` (docs/benchmarks.md).
  cargo build --locked --release
  CODEXMCP_TEST_BENCH_BIN="$PWD/target/release/codex-mcp" \
    cargo test --locked --test it -- --ignored speed:: --nocapture
fi
