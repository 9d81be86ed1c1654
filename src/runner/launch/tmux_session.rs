//! A supervisor as the only process of a tmux session of its own (full-access tasks), on
//! codex-mcp's own tmux server, with a live view of the run in the pane a person can attach to.

use std::ffi::OsString;
use std::path::Path;

use super::spawn::{save_environment, supervisor_args};
use super::tmux::{Tmux, TmuxError, attach_argv};
use super::{Kind, LaunchError, Started, Watch, local};
use crate::config::Config;
use crate::runner::LiveView;
use crate::store::{TaskFiles, TaskMeta, open_append};
use crate::vocab::TmuxSession;

impl Kind for TmuxSession {
    /// tmux is there and the session's name is free. A session of that name left by a task
    /// of ours that no longer runs is closed; anyone else's is refused, and one of a running
    /// task left for the caller to refuse by topic.
    fn ready(&self, config: &Config, running: &dyn Fn(&str) -> bool) -> Result<(), LaunchError> {
        let tmux = Tmux::locate(config)?;
        if !tmux.has_session(&self.session) {
            return Ok(());
        }
        let Some(tag) = tmux.session_tag(&self.session) else {
            return Err(TmuxError::SessionExists(self.session.clone()).into());
        };
        if !running(&tag) {
            tmux.kill_session(&self.session)?;
        }
        Ok(())
    }

    /// Starts the supervisor in the session, its stderr in its log from the first instant
    /// (the pane's output vanishes with its session), with the environment codex must get
    /// saved for it (a pane inherits the tmux server's, which may be days old).
    fn start(
        &self,
        config: &Config,
        exe: &Path,
        files: &TaskFiles,
    ) -> Result<Started, LaunchError> {
        let tmux = Tmux::locate(config)?;
        save_environment(&files.launch_env())?;
        // Made here, private like every file of the task: the shell below would make it with
        // the umask's mode.
        drop(open_append(&files.supervisor_log())?);
        // The script is a constant; the paths reach it as arguments, never as shell text.
        let mut argv: Vec<OsString> = vec![
            "/bin/sh".into(),
            "-c".into(),
            "exec \"$@\" 2>>\"$0\"".into(),
            files.supervisor_log().into(),
            exe.into(),
        ];
        argv.extend(supervisor_args(&files.dir, LiveView::Pane));
        let tag = files
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // The pane starts in the task folder, whose path cannot end in `;` (tmux would split
        // its command there); the supervisor gives codex its own directory.
        match tmux.new_session(&self.session, &files.dir, &argv, &tag) {
            Ok(warnings) => Ok(Started {
                child: None,
                warnings,
            }),
            Err(e) => {
                // Nobody will read it now, and it may hold API keys.
                files.discard_launch_env();
                Err(e.into())
            }
        }
    }

    /// Its session is closed. Without tmux on the PATH it cannot be told.
    fn is_gone(&self, config: &Config) -> bool {
        Tmux::locate(config).is_ok_and(|t| !t.has_session(&self.session))
    }

    fn stop(&self, files: &TaskFiles, meta: &TaskMeta) -> Result<(), LaunchError> {
        local::stop_tree(files, meta)
    }

    fn stop_leftovers(&self, meta: &TaskMeta) {
        local::stop_leftovers(meta)
    }

    /// Closes the session. Without tmux on the PATH there is no session of ours to close.
    fn close(&self, config: &Config) -> Result<(), LaunchError> {
        match Tmux::locate(config) {
            Ok(tmux) => Ok(tmux.kill_session(&self.session)?),
            Err(_) => Ok(()),
        }
    }

    fn watch(&self) -> Option<Watch> {
        Some(Watch {
            name: self.session.clone(),
            command: attach_argv(&self.session).join(" "),
        })
    }

    fn attach_here(&self, config: &Config) -> String {
        match Tmux::locate(config) {
            Ok(tmux) => {
                use std::os::unix::process::CommandExt;
                format!("cannot run tmux: {}", tmux.attach(&self.session).exec())
            }
            Err(e) => e.to_string(),
        }
    }
}
