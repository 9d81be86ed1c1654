#!/usr/bin/env bash
# Builds the npm packages from binaries already built, with `npm pack`: the main package
# `codex-mcp` (launcher + postinstall) and one `@codex-mcp/<os>-<cpu>` package per binary given.
#
#   scripts/npm-pack.sh --out DIR [--binary PLATFORM=PATH]...
#
# PLATFORM is linux-x64, linux-arm64, darwin-x64 or darwin-arm64. With no --binary, this
# machine's platform is packed from target/release/codex-mcp. Prints the tarballs' paths.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "scripts/npm-pack.sh: $*" >&2; exit 1; }

out=""
binaries=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    --binary) binaries+=("${2:?--binary needs PLATFORM=PATH}"); shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[ -n "$out" ] || die "give --out DIR"
command -v npm >/dev/null 2>&1 || die "npm is required (install Node.js and npm)"

host_platform() {
  local os cpu
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) die "no npm package for $(uname -s)" ;; esac
  case "$(uname -m)" in x86_64|amd64) cpu=x64 ;; aarch64|arm64) cpu=arm64 ;; *) die "no npm package for $(uname -m)" ;; esac
  echo "$os-$cpu"
}
if [ ${#binaries[@]} -eq 0 ]; then
  binaries=("$(host_platform)=target/release/codex-mcp")
fi

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

# Every package must carry the crate's version, or the main package would ask for binaries
# that were never published.
check_version() {
  local manifest="$1" found
  found="$(node -p "require('$manifest').version")"
  [ "$found" = "$version" ] || die "$manifest has version $found, Cargo.toml has $version (scripts/set-version.sh fixes both)"
}

pack() {
  (cd "$1" && npm pack --silent --pack-destination "$out") | tail -n1 | sed "s|^|$out/|"
}

for pair in "${binaries[@]}"; do
  platform="${pair%%=*}"
  binary="${pair#*=}"
  [ -d "npm/platforms/$platform" ] || die "unknown platform $platform (have: $(ls npm/platforms | tr '\n' ' '))"
  [ -f "$binary" ] || die "$binary does not exist (build it first: cargo build --release)"
  check_version "$PWD/npm/platforms/$platform/package.json"
  cp -R "npm/platforms/$platform" "$stage/$platform"
  mkdir -p "$stage/$platform/bin"
  cp "$binary" "$stage/$platform/bin/codex-mcp"
  chmod 755 "$stage/$platform/bin/codex-mcp"
  cp LICENSE "$stage/$platform/"
  pack "$stage/$platform"
done

check_version "$PWD/npm/codex-mcp/package.json"
cp -R npm/codex-mcp "$stage/main"
cp LICENSE "$stage/main/"
chmod 755 "$stage/main/bin/codex-mcp"
pack "$stage/main"
