//! The tmux sessions of full-access tasks, driven with argv arrays (never a shell string).
//! Sessions are always targeted by exact name (`=name`): plain `-t name` would match a prefix.
//!
//! They live on a tmux server of codex-mcp's own (`tmux -L codex-mcp`, in TMUX_TMPDIR or
//! tmux's default folder), never on the person's: a tmux server keeps the environment it was
//! started with as every new session's, and the one codex-mcp starts carries the MCP server's
//! (API keys, tokens), which the person's own later `tmux new` must not inherit.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::child::with_clean_signals;
use crate::config::Config;

/// Why tmux could not do what a task needs.
#[derive(Debug, thiserror::Error)]
pub enum TmuxError {
    #[error(
        "full-access tasks run inside tmux, and no `tmux` is on PATH. Install it (apt install \
         tmux, brew install tmux), or use sandbox `read-only`. On Windows, full-access is not \
         available"
    )]
    NotFound,
    #[error("cannot run tmux ({bin}): {source}")]
    Run {
        bin: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("tmux new-session failed: {stderr}")]
    NewSession { stderr: String },
    #[error(
        "a tmux session named `{0}` already exists (left over from an earlier run?). Look at it \
         with `tmux -L codex-mcp attach -t ={0}` and close it with `tmux -L codex-mcp \
         kill-session -t ={0}`, or use a new topic version"
    )]
    SessionExists(String),
    #[error(
        "tmux session `{0}` could not be closed; close it with `tmux -L codex-mcp kill-session -t ={0}`"
    )]
    SessionStuck(String),
}

/// The name of codex-mcp's own tmux server socket (`tmux -L codex-mcp`).
pub const SOCKET: &str = "codex-mcp";

/// A session option holding the task id, so a session is known to be codex-mcp's own.
const TASK_TAG: &str = "@codexmcp-task";
/// Server and global options saved while a session is made (see [`Tmux::new_session`]).
const EXIT_UNATTACHED_WAS: &str = "@codexmcp-exit-unattached-was";
const DESTROY_UNATTACHED_WAS: &str = "@codexmcp-destroy-unattached-was";

/// The tmux executable found on `PATH`.
#[derive(Debug, Clone)]
pub struct Tmux {
    bin: PathBuf,
}

impl Tmux {
    /// `tmux` on PATH, or an error that says how to get it.
    pub fn locate(config: &Config) -> Result<Tmux, TmuxError> {
        config
            .find_on_path("tmux")
            .map(|bin| Tmux { bin })
            .ok_or(TmuxError::NotFound)
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.bin);
        // A tmux server started by a supervisor would pass its blocked signals to every session.
        with_clean_signals(&mut c);
        // codex-mcp's own server; inside a tmux pane $TMUX would redirect us to that one.
        c.args(["-L", SOCKET])
            .env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .stdin(Stdio::null());
        c
    }

    /// Starts a detached session running `argv` directly (tmux execs it without a shell
    /// when given more than one argument), tagged with `tag` (the task id). Returns what the
    /// caller should know about the user's tmux settings.
    ///
    /// The user's settings must not change how a task runs: `destroy-unattached` would end the
    /// session at once, `exit-unattached` the whole server, `remain-on-exit` would keep a
    /// finished task's session. The options are set in the same command sequence as the
    /// session is made, since tmux's server loop runs between separate commands; within a
    /// sequence, commands after `new-session` apply to the new session without a target.
    pub fn new_session(
        &self,
        name: &str,
        dir: &Path,
        argv: &[OsString],
        tag: &str,
    ) -> Result<Vec<String>, TmuxError> {
        let mut c = self.command();
        c.args([
            "set-option",
            "-sF",
            EXIT_UNATTACHED_WAS,
            "#{exit-unattached}",
            ";",
        ])
        .args(["set-option", "-s", "exit-unattached", "off", ";"])
        .args([
            "set-option",
            "-gF",
            DESTROY_UNATTACHED_WAS,
            "#{destroy-unattached}",
            ";",
        ])
        .args(["set-option", "-g", "destroy-unattached", "off", ";"])
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
        .args([";", "set-option", "destroy-unattached", "off"])
        .args([";", "set-option", "-w", "remain-on-exit", "off"])
        .args([";", "set-option", TASK_TAG, tag])
        .args([";", "set-option", "-gF", "destroy-unattached"])
        .arg(format!("#{{{DESTROY_UNATTACHED_WAS}}}"));
        let out = c
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|source| TmuxError::Run {
                bin: self.bin.clone(),
                source,
            })?;
        if !out.status.success() {
            return Err(TmuxError::NewSession {
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(self.exit_unattached_warning().into_iter().collect())
    }

    /// What codex-mcp changed in a server that had `exit-unattached` on, and how to undo it.
    fn exit_unattached_warning(&self) -> Option<String> {
        matches!(
            self.show(&["-sv", EXIT_UNATTACHED_WAS]).as_deref(),
            Some("1" | "on")
        )
        .then(|| {
            "your tmux server had `exit-unattached` on, which would end every task session \
             when no client is attached; codex-mcp turned it off (`tmux set-option -s \
             exit-unattached on` restores it)"
                .into()
        })
    }

    /// The task id a session of codex-mcp was tagged with; `None` for anyone else's session.
    pub fn session_tag(&self, name: &str) -> Option<String> {
        // show-options takes a pane target: `=name:` is the session `name` exactly.
        self.show(&["-t", &format!("={name}:"), "-v", TASK_TAG])
            .filter(|t| !t.is_empty())
    }

    fn show(&self, args: &[&str]) -> Option<String> {
        let out = self
            .command()
            .arg("show-options")
            .args(args)
            .stderr(Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// [`attach_argv`] run with this tmux, on this process's terminal (its stdin stays).
    pub fn attach(&self, name: &str) -> Command {
        let mut c = Command::new(&self.bin);
        with_clean_signals(&mut c);
        c.args(&attach_argv(name)[1..])
            .env_remove("TMUX")
            .env_remove("TMUX_PANE");
        c
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

    /// Closes the session and checks that it is gone.
    pub fn kill_session(&self, name: &str) -> Result<(), TmuxError> {
        let _ = self
            .command()
            .args(["kill-session", "-t", &format!("={name}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if self.has_session(name) {
            Err(TmuxError::SessionStuck(name.to_string()))
        } else {
            Ok(())
        }
    }
}

/// Ends codex-mcp's own tmux server whose socket is in `tmpdir` (a `TMUX_TMPDIR`), if any.
pub fn kill_server_in(config: &Config, tmpdir: &Path) {
    if let Ok(tmux) = Tmux::locate(config) {
        let _ = tmux
            .command()
            .env("TMUX_TMPDIR", tmpdir)
            .arg("kill-server")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The command that attaches a person to a task's session: the one shown, and the one
/// `codex-mcp attach` runs.
pub fn attach_argv(session: &str) -> Vec<String> {
    ["tmux", "-L", SOCKET, "attach", "-t", &format!("={session}")]
        .map(String::from)
        .to_vec()
}
