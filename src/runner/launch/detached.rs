//! A supervisor detached in a session of its own (read-only tasks): nothing to make ready,
//! nothing left to close, nothing to attach to.

use std::path::Path;

use super::spawn::spawn_supervisor;
use super::{Kind, LaunchError, Started, Watch, local};
use crate::config::Config;
use crate::store::{TaskFiles, TaskMeta};
use crate::vocab::Detached;

impl Kind for Detached {
    fn ready(&self, _: &Config, _: &dyn Fn(&str) -> bool) -> Result<(), LaunchError> {
        Ok(())
    }

    fn start(&self, _: &Config, exe: &Path, files: &TaskFiles) -> Result<Started, LaunchError> {
        let child = spawn_supervisor(exe, &files.dir, &files.supervisor_log())?;
        Ok(Started {
            child: Some(child),
            warnings: Vec::new(),
        })
    }

    /// Only its liveness lock tells: nothing else of it can be gone.
    fn is_gone(&self, _: &Config) -> bool {
        false
    }

    fn stop(&self, files: &TaskFiles, meta: &TaskMeta) -> Result<(), LaunchError> {
        local::stop_tree(files, meta)
    }

    fn stop_leftovers(&self, meta: &TaskMeta) {
        local::stop_leftovers(meta)
    }

    fn close(&self, _: &Config) -> Result<(), LaunchError> {
        Ok(())
    }

    fn watch(&self) -> Option<Watch> {
        None
    }

    fn attach_here(&self, _: &Config) -> String {
        "the task runs detached; there is nothing to attach to".into()
    }
}
