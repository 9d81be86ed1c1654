'use strict';
// postinstall: put the native binary where npm linked the `codex-mcp` command (bin/codex-mcp),
// replacing the Node launcher, so that every server start runs the binary directly. Never fails
// the install: if anything goes wrong the launcher stays, and it works, only slower to start.

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { nativeBinary } = require('./platform.js');

function main() {
  const binary = nativeBinary();
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 30000 });
  if (probe.status !== 0) {
    throw new Error(`${binary} --version did not run (${probe.error || probe.stderr || probe.status})`);
  }
  const dest = path.join(__dirname, 'bin', 'codex-mcp');
  const tmp = `${dest}.${process.pid}.tmp`;
  try {
    // A hard link costs no space; a copy when the two are on different file systems.
    try {
      fs.linkSync(binary, tmp);
    } catch (_) {
      fs.copyFileSync(binary, tmp);
    }
    fs.chmodSync(tmp, 0o755);
    // Atomic: the command is the launcher or the binary, never half of either.
    fs.renameSync(tmp, dest);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch (_) {
      // nothing was left
    }
    throw e;
  }
}

try {
  main();
} catch (e) {
  process.stderr.write(
    `codex-mcp: kept the Node launcher, which adds Node's start-up to every server start (${e.message})\n`,
  );
}
