//! A task whose Codex runs on a host of the hosts file (`config/hosts.rs`): its supervisor is
//! launched here, detached, and opens the host's app-server over WebSocket (the driver's
//! `host_link.rs`). Everything of the task that is a process here is the supervisor's (and the
//! host command's, its child); nothing recorded from the host is ever signalled. A stop is the
//! supervisor's: it interrupts the turn on the host and closes the connection.

use std::path::Path;

use super::{Kind, LaunchError, Started, Watch, local};
use crate::config::Config;
use crate::config::hosts::Hosts;
use crate::store::{TaskFiles, TaskMeta};
use crate::vocab::{Detached, RemoteHost};

impl Kind for RemoteHost {
    /// The host is in the hosts file, and its entry can be used (its token can be read).
    fn ready(&self, config: &Config, _: &dyn Fn(&str) -> bool) -> Result<(), LaunchError> {
        let hosts = Hosts::load(config).map_err(|e| LaunchError::Host(e.to_string()))?;
        let host = hosts.get(&self.host).ok_or_else(|| {
            LaunchError::Host(format!(
                "`{}` is not a host of {}; hosts there: {}",
                self.host,
                hosts.file.display(),
                hosts.names()
            ))
        })?;
        host.token()
            .map_err(|why| LaunchError::Host(format!("host `{}`: {why}", self.host)))?;
        Ok(())
    }

    /// Its supervisor is launched here as a detached one is.
    fn start(
        &self,
        config: &Config,
        exe: &Path,
        files: &TaskFiles,
    ) -> Result<Started, LaunchError> {
        Detached {}.start(config, exe, files)
    }

    /// Only its liveness lock tells, as for any supervisor here.
    fn is_gone(&self, config: &Config) -> bool {
        Detached {}.is_gone(config)
    }

    /// The supervisor's tree here (it and the host command); its TERM makes it interrupt the
    /// turn on the host before it closes the connection.
    fn stop(&self, files: &TaskFiles, meta: &TaskMeta) -> Result<(), LaunchError> {
        local::stop_tree(files, meta)
    }

    /// Nothing of a host's is signalled from here: a host command left by a dead supervisor
    /// ends with its input, and the host's app-server keeps (or ends) the turn itself.
    fn stop_leftovers(&self, _: &TaskMeta) {}

    fn close(&self, _: &Config) -> Result<(), LaunchError> {
        Ok(())
    }

    fn watch(&self) -> Option<Watch> {
        None
    }

    fn attach_here(&self, _: &Config) -> String {
        format!(
            "the task runs on host `{}`; there is nothing to attach to here: follow it with \
             `codex-mcp logs -f`",
            self.host
        )
    }

    fn host(&self) -> Option<&str> {
        Some(&self.host)
    }
}
