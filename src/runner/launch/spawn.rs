//! Starting a task's supervisor as a program: its command line, a detached start in a session
//! of its own, and the environment handed to a supervisor that starts elsewhere.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;

use super::LaunchError;
use crate::child::with_clean_signals;
use crate::runner::LiveView;
use crate::store::{StoreError, TaskFiles, open_append, read_json, write_json};

/// Starts `codex-mcp supervise <task_dir>` in a new session, so it survives this server
/// (client closed, SIGTERM, SIGKILL) and a cancel can signal its whole group. Its stdin is
/// /dev/null: the server's stdin is the MCP channel and must never reach codex.
pub fn spawn_supervisor(
    exe: &Path,
    task_dir: &Path,
    supervisor_log: &Path,
) -> Result<tokio::process::Child, LaunchError> {
    let log = open_append(supervisor_log)?;
    let mut cmd = tokio::process::Command::new(exe);
    with_clean_signals(cmd.as_std_mut());
    cmd.args(supervisor_args(task_dir, LiveView::Off))
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
    cmd.spawn().map_err(|source| LaunchError::Spawn {
        exe: exe.to_path_buf(),
        source,
    })
}

/// `supervise [--view] <task_dir>`, which the command line turns back into a supervisor.
pub(super) fn supervisor_args(task_dir: &Path, view: LiveView) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["supervise".into()];
    if view == LiveView::Pane {
        args.push("--view".into());
    }
    args.push(task_dir.into());
    args
}

pub(super) fn save_environment(path: &Path) -> Result<(), StoreError> {
    let env: BTreeMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| k != "TMUX" && k != "TMUX_PANE")
        .collect();
    write_json(path, &env)
}

/// The saved environment, removed from disk as it is read (it may hold API keys).
pub fn take_environment(files: &TaskFiles) -> Option<BTreeMap<String, String>> {
    let env = read_json(&files.launch_env()).ok().flatten();
    files.discard_launch_env();
    env
}
