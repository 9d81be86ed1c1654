#!/usr/bin/env bash
# One version everywhere it is written: Cargo.toml (and Cargo.lock), the npm packages and their
# optionalDependencies, server.json.
#
#   scripts/set-version.sh 0.2.0          set it
#   scripts/set-version.sh --check 0.2.0  fail unless every file already says it (the release
#                                         workflow runs this with the tag's version)
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "scripts/set-version.sh: $*" >&2; exit 1; }
check=""
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
version="${1:-}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || die "give a version like 1.2.3 (got '${version}')"
command -v node >/dev/null 2>&1 || die "node is required"

# Every manifest as "file: version", one per line.
versions() {
  echo "Cargo.toml: $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
  node - <<'EOF'
const fs = require('fs');
const read = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
const main = read('npm/codex-mcp/package.json');
console.log(`npm/codex-mcp/package.json: ${main.version}`);
for (const [dep, v] of Object.entries(main.optionalDependencies)) {
  console.log(`npm/codex-mcp/package.json optionalDependencies ${dep}: ${v}`);
}
for (const p of fs.readdirSync('npm/platforms')) {
  console.log(`npm/platforms/${p}/package.json: ${read(`npm/platforms/${p}/package.json`).version}`);
}
const server = read('server.json');
console.log(`server.json: ${server.version}`);
server.packages.forEach((p, i) => console.log(`server.json packages[${i}]: ${p.version}`));
EOF
}

if [ -n "$check" ]; then
  wrong="$(versions | grep -v ": ${version}\$" || true)"
  [ -z "$wrong" ] || die "these do not say $version (run scripts/set-version.sh $version):
$wrong"
  echo "every manifest says $version"
  exit 0
fi

# The first `version =` line is the package's (perl: the same on Linux and macOS).
VERSION="$version" perl -0pi -e 's/^version = "[^"]*"/version = "$ENV{VERSION}"/m' Cargo.toml
VERSION="$version" node - <<'EOF'
const fs = require('fs');
const v = process.env.VERSION;
const edit = (f, change) => {
  const doc = JSON.parse(fs.readFileSync(f, 'utf8'));
  change(doc);
  fs.writeFileSync(f, JSON.stringify(doc, null, 2) + '\n');
};
edit('npm/codex-mcp/package.json', (d) => {
  d.version = v;
  for (const dep of Object.keys(d.optionalDependencies)) d.optionalDependencies[dep] = v;
});
for (const p of fs.readdirSync('npm/platforms')) edit(`npm/platforms/${p}/package.json`, (d) => { d.version = v; });
edit('server.json', (d) => {
  d.version = v;
  for (const p of d.packages) p.version = v;
});
EOF
# Cargo.lock records the crate's own version too.
cargo update --workspace --offline --quiet
versions
