use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;

use super::tmux::Tmux;
use crate::store::{StoreError, open_append, write_json};

/// Written by the server, read and deleted by the supervisor: the exact environment codex must
/// get. A tmux pane inherits the tmux server's environment, which may be days old.
pub const LAUNCH_ENV_FILE: &str = "launch-env.json";

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

/// Starts the supervisor as the only process of a detached tmux session, with a live view of
/// the run in the pane.
pub fn launch_in_tmux(
    tmux: &Tmux,
    exe: &Path,
    task_dir: &Path,
    session: &str,
    run_dir: &Path,
) -> Result<(), String> {
    let env_file = task_dir.join(LAUNCH_ENV_FILE);
    save_environment(&env_file).map_err(|e| e.to_string())?;
    let argv: Vec<OsString> = vec![
        exe.into(),
        "supervise".into(),
        "--view".into(),
        task_dir.into(),
    ];
    tmux.new_session(session, run_dir, &argv).inspect_err(|_| {
        // Nobody will read it now, and it may hold API keys.
        let _ = std::fs::remove_file(&env_file);
    })
}

fn save_environment(path: &Path) -> Result<(), StoreError> {
    let env: BTreeMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| k != "TMUX" && k != "TMUX_PANE")
        .collect();
    write_json(path, &env)
}

/// The saved environment, removed from disk as it is read (it may hold API keys).
pub fn take_environment(task_dir: &Path) -> Option<BTreeMap<String, String>> {
    let path = task_dir.join(LAUNCH_ENV_FILE);
    let env = crate::store::read_json(&path).ok().flatten();
    let _ = std::fs::remove_file(&path);
    env
}
