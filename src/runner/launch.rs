//! Starting a task's supervisor: detached in a session of its own (read-only), or as the only
//! process of a tmux session (full-access).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use super::live_view::LiveView;
use super::tmux::{Tmux, TmuxError};
use crate::child::with_clean_signals;
use crate::store::{StoreError, TaskFiles, open_append, read_json, write_json};

/// Why a supervisor could not be started.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("could not launch the supervisor {}: {source}", exe.display())]
    Spawn {
        exe: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Tmux(#[from] TmuxError),
}

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

/// Starts the supervisor as the only process of a detached tmux session, with a live view of
/// the run in the pane. Returns what the caller should know about the user's tmux settings.
pub fn launch_in_tmux(
    tmux: &Tmux,
    exe: &Path,
    task_dir: &Path,
    session: &str,
) -> Result<Vec<String>, LaunchError> {
    // The exact environment codex must get: a tmux pane inherits the tmux server's
    // environment, which may be days old.
    let files = TaskFiles::at(task_dir);
    save_environment(&files.launch_env())?;
    // Made here, private like every file of the task: the shell below would make it with the
    // umask's mode.
    drop(open_append(&files.supervisor_log())?);
    // The pane's output vanishes with its session, so the supervisor's stderr goes to its log
    // from the first instant: even a program that cannot start leaves its words there. The
    // script is a constant; the paths reach it as arguments, never as shell text.
    let mut argv: Vec<OsString> = vec![
        "/bin/sh".into(),
        "-c".into(),
        "exec \"$@\" 2>>\"$0\"".into(),
        files.supervisor_log().into(),
        exe.into(),
    ];
    argv.extend(supervisor_args(task_dir, LiveView::Pane));
    let tag = task_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The pane starts in the task folder, whose path cannot end in `;` (tmux would split its
    // command there); the supervisor gives codex its own directory.
    tmux.new_session(session, task_dir, &argv, &tag)
        .map_err(|e| {
            // Nobody will read it now, and it may hold API keys.
            files.discard_launch_env();
            e.into()
        })
}

/// `supervise [--view] <task_dir>`, which the command line turns back into a supervisor.
fn supervisor_args(task_dir: &Path, view: LiveView) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["supervise".into()];
    if view == LiveView::Pane {
        args.push("--view".into());
    }
    args.push(task_dir.into());
    args
}

fn save_environment(path: &Path) -> Result<(), StoreError> {
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
