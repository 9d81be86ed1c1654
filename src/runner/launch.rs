use std::path::Path;
use std::process::Stdio;

use crate::store::open_append;

/// Starts `codex-mcp supervise <task_dir>` in a new session, so it survives this server
/// (client closed, SIGTERM, SIGKILL) and a cancel can signal its whole group. Its stdin is
/// /dev/null: the server's stdin is the MCP channel and must never reach codex.
pub fn spawn_supervisor(
    exe: &Path,
    task_dir: &Path,
    supervisor_log: &Path,
) -> std::io::Result<tokio::process::Child> {
    let log = open_append(supervisor_log).map_err(std::io::Error::other)?;
    let mut cmd = tokio::process::Command::new(exe);
    cmd.arg("supervise")
        .arg(task_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log));
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid().map_err(std::io::Error::from)?;
            Ok(())
        });
    }
    cmd.spawn()
}
