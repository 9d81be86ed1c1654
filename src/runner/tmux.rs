//! The tmux sessions of full-access tasks, driven with argv arrays (never a shell string).
//! Sessions are always targeted by exact name (`=name`): plain `-t name` would match a prefix.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(Debug, Clone)]
pub struct Tmux {
    bin: PathBuf,
}

impl Tmux {
    /// `tmux` on PATH, or an error that says how to get it.
    pub fn locate() -> Result<Tmux, String> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .map(|d| d.join("tmux"))
            .find(|p| p.is_file())
            .map(|bin| Tmux { bin })
            .ok_or_else(|| {
                "full-access tasks run inside tmux, and no `tmux` is on PATH. Install it \
                 (apt install tmux, brew install tmux), or use sandbox `read-only`. On Windows, \
                 full-access is not available"
                    .to_string()
            })
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.bin);
        // Inside a tmux pane $TMUX would redirect us to that server; the socket must come from
        // TMUX_TMPDIR/the default, like the user's own `tmux attach`.
        c.env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .stdin(Stdio::null());
        c
    }

    /// Starts a detached session running `argv` directly (tmux execs it without a shell
    /// when given more than one argument).
    pub fn new_session(&self, name: &str, dir: &Path, argv: &[OsString]) -> Result<(), String> {
        let out = self
            .command()
            .args([
                "new-session",
                "-d",
                "-s",
                name,
                "-x",
                "160",
                "-y",
                "48",
                "-c",
            ])
            .arg(dir)
            .arg("--")
            .args(argv)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot run tmux: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "tmux new-session failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    pub fn has_session(&self, name: &str) -> bool {
        self.command()
            .args(["has-session", "-t", &format!("={name}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    pub fn kill_session(&self, name: &str) {
        let _ = self
            .command()
            .args(["kill-session", "-t", &format!("={name}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The command a human runs to watch a task's session.
pub fn attach_command(session: &str) -> String {
    format!("tmux attach -t {session}")
}
