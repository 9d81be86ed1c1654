//! Finding the Codex CLI, and how that fails.

use std::path::PathBuf;

use crate::config::{CODEX_BIN_VARS, Config, is_executable};

/// Why codex cannot be run with the current settings.
#[derive(Debug, thiserror::Error)]
pub enum CodexError {
    #[error(
        "the Codex CLI was not found: {detail}. Install it with `npm install -g @openai/codex` \
         (tested with 0.169.0), or set CODEXMCP_CODEX_BIN to the path of the codex executable"
    )]
    NotFound { detail: String },
    #[error("environment variable {name} has an unusable value; accepted: {accepted}")]
    BadSetting {
        name: &'static str,
        accepted: &'static str,
    },
}

/// The codex executable, as an absolute path: the configured one, otherwise `codex` on `PATH`.
pub fn locate_codex(config: &Config) -> Result<PathBuf, CodexError> {
    let found = match &config.codex_bin {
        Some(bin) => {
            let path = PathBuf::from(&bin.value);
            if !is_executable(&path) {
                return Err(CodexError::NotFound {
                    detail: format!("{}={} is not an executable file", bin.var, path.display()),
                });
            }
            path
        }
        None => config
            .find_on_path("codex")
            .ok_or_else(|| CodexError::NotFound {
                detail: format!("{} is not set and no `codex` is on PATH", CODEX_BIN_VARS[0]),
            })?,
    };
    Ok(std::path::absolute(&found).unwrap_or(found))
}

/// Whether the Codex at `codex` has the `app-server` command (asked once per executable and
/// process: `codex app-server --help` must succeed within a few seconds and name the command).
/// An older Codex — or a stand-in that only plays `codex exec` — runs its tasks on exec.
pub fn has_app_server(codex: &std::path::Path) -> bool {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static SEEN: OnceLock<Mutex<HashMap<PathBuf, bool>>> = OnceLock::new();
    // Held while asking: forty tasks started at once make one probe, not forty.
    let mut seen = match SEEN.get_or_init(Mutex::default).lock() {
        Ok(seen) => seen,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(known) = seen.get(codex).copied() {
        return known;
    }
    let has = asks_app_server_help(codex);
    seen.insert(codex.to_path_buf(), has);
    has
}

/// Runs `codex app-server --help` in a process group of its own, for at most [`PROBE_LIMIT`].
/// Its first line tells: Codex's help names the command at once, while a stand-in that plays
/// `codex exec` whatever it is asked prints events (and may then hang), so it is not waited for.
fn asks_app_server_help(codex: &std::path::Path) -> bool {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    let mut cmd = super::command_for(codex);
    crate::child::with_clean_signals(&mut cmd)
        .args(["app-server", "--help"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0);
    let Ok(mut child) = cmd.spawn() else {
        return false;
    };
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    if let Some(out) = child.stdout.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    // The help's first lines name the command; a line that does not look like help ends it.
    let named = loop {
        match rx.recv_timeout(PROBE_LIMIT) {
            Ok(line) if line.contains("app-server") => break true,
            Ok(line) if line.trim_start().starts_with('{') => break false,
            Ok(_) => {}
            Err(_) => break false,
        }
    };
    let ended = if named {
        wait_briefly(&mut child)
    } else {
        None
    };
    if ended.is_none() {
        // Not reaped yet, so its group id is still its own.
        let group = nix::unistd::Pid::from_raw(child.id() as i32);
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        let _ = child.wait();
    }
    ended == Some(true)
}

/// How `child` exited (success or not) within [`PROBE_LIMIT`]; `None` when it did not.
fn wait_briefly(child: &mut std::process::Child) -> Option<bool> {
    let until = std::time::Instant::now() + PROBE_LIMIT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status.success()),
            Ok(None) if std::time::Instant::now() < until => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            _ => return None,
        }
    }
}

/// How long `codex app-server --help` may take (it answers in a fraction of a second).
const PROBE_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);
