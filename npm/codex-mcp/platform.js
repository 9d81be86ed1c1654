'use strict';
// Which prebuilt codex-mcp belongs to this machine, and where npm put it. Shared by the
// launcher (bin/codex-mcp) and the postinstall step (install.js).

const path = require('path');

// One package per platform, each an optional dependency that npm installs only where its
// "os" and "cpu" match. The Linux binaries are static (musl), so they run on any distribution.
const PACKAGES = {
  'darwin-arm64': '@codex-mcp/darwin-arm64',
  'darwin-x64': '@codex-mcp/darwin-x64',
  'linux-arm64': '@codex-mcp/linux-arm64',
  'linux-x64': '@codex-mcp/linux-x64',
};

function platformKey() {
  return `${process.platform}-${process.arch}`;
}

// The absolute path of this platform's native binary; throws an Error whose message says what
// to do when there is none.
function nativeBinary() {
  const key = platformKey();
  const pkg = PACKAGES[key];
  if (!pkg) {
    const windows = process.platform === 'win32'
      ? ' On Windows, full-access tasks need tmux, which Windows lacks; read-only tasks may work' +
        ' with a build from source (cargo install codex-mcp).'
      : '';
    throw new Error(
      `codex-mcp has no prebuilt binary for ${key} (there are: ${Object.keys(PACKAGES).join(', ')}).` +
        `${windows} With Rust installed: cargo install --locked codex-mcp`,
    );
  }
  let manifest;
  try {
    manifest = require.resolve(`${pkg}/package.json`);
  } catch (_) {
    throw new Error(
      `the package ${pkg}, which holds codex-mcp's binary for ${key}, is not installed. It is an ` +
        'optional dependency: install codex-mcp again without --omit=optional or --no-optional ' +
        '(npm install -g codex-mcp), or use cargo binstall codex-mcp.',
    );
  }
  return path.join(path.dirname(manifest), 'bin', 'codex-mcp');
}

module.exports = { PACKAGES, platformKey, nativeBinary };
