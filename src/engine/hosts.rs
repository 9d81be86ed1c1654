//! Tasks on the hosts of the hosts file (`config/hosts.rs`): which host a task runs on (a name,
//! or `any`: the one with the most free places, the first on a tie), and how busy each is.

use super::spec::TaskSpec;
use super::{Engine, EngineError};
use crate::config::hosts::{ANY_HOST, Host, Hosts};
use crate::runner::{Chosen, Driver, HostCheck, Launch, check_hosts};
use crate::workspace::Linked;

/// One host as `codex-mcp hosts` and `any` see it.
#[derive(Debug, Clone)]
pub struct HostLoad {
    pub host: Host,
    /// Its tasks that have not ended (running, queued, asking).
    pub busy: usize,
}

impl HostLoad {
    /// How many of its places are free; below zero, how many of its tasks wait.
    pub fn free(&self) -> i64 {
        self.host.max_parallel as i64 - self.busy as i64
    }
}

/// A host's folder gets no `.codex-tasks` link here: it is not on this machine.
pub(super) fn no_link_on_host(host: &str) -> Linked {
    Linked {
        link: None,
        warnings: vec![format!(
            "no .codex-tasks link was made: the folder is on host `{host}`, not on this \
             machine (`codex-mcp logs` shows the task's log)"
        )],
    }
}

impl Engine {
    /// The hosts file, or an error that names it and what is wrong.
    pub(super) fn hosts(&self) -> Result<Hosts, EngineError> {
        Hosts::load(&self.config).map_err(|e| EngineError::invalid("host", e.to_string()))
    }

    /// The host `asked` names (`any`: the freest), checked against the hosts file.
    pub(super) fn place_on_host(&self, asked: &str) -> Result<Host, EngineError> {
        let hosts = self.hosts()?;
        if asked == ANY_HOST {
            let loads = self.host_loads(&hosts);
            // The most free places (the fewest waiting when none is free); on a tie, the
            // first in the file (max_by_key takes the last of equals: the list is reversed).
            return loads
                .into_iter()
                .rev()
                .max_by_key(HostLoad::free)
                .map(|l| l.host)
                .ok_or_else(|| {
                    EngineError::invalid(
                        "host",
                        format!(
                            "`any` needs hosts, and {} names none: add one \
                             (see docs/hosts.md), or leave `host` out to run here",
                            hosts.file.display()
                        ),
                    )
                });
        }
        hosts.get(asked).cloned().ok_or_else(|| {
            EngineError::invalid(
                "host",
                format!(
                    "`{asked}` is not a host of {}; hosts there: {}",
                    hosts.file.display(),
                    hosts.names()
                ),
            )
        })
    }

    /// The host a task names, checked; `None` for this machine, and for `any` (decided when the
    /// task is placed, under the store's lock), which only needs a host to choose from.
    pub(super) fn host_of(&self, spec: &TaskSpec) -> Result<Option<Host>, EngineError> {
        match spec.host.as_deref() {
            None => Ok(None),
            Some(ANY_HOST) => self.place_on_host(ANY_HOST).map(|_| None),
            Some(name) => self.place_on_host(name).map(Some),
        }
    }

    /// How a task on a host is driven: through the host's app-server. A profile is this
    /// machine's (its CODEX_HOME); a host's settings are in its own config.toml.
    pub(super) fn host_driver(&self, spec: &TaskSpec) -> Result<Chosen, EngineError> {
        if spec.options.profile.is_some() {
            return Err(EngineError::invalid(
                "profile",
                "a profile is read from this machine's CODEX_HOME; on a host, put its settings \
                 in the host's own config.toml (or name `model`, `reasoning_effort`)",
            ));
        }
        Ok(Driver::on_host(&self.config))
    }

    /// Each host with how many of its tasks have not ended.
    pub(super) fn host_loads(&self, hosts: &Hosts) -> Vec<HostLoad> {
        let mut busy = std::collections::HashMap::<String, usize>::new();
        for id in self.store.task_ids().unwrap_or_default() {
            let Ok(Some(task)) = self.store.task(&id).read_summary() else {
                continue;
            };
            if task.status.is_final() {
                continue;
            }
            if let Some(host) = Launch::host(&task.launched) {
                *busy.entry(host.to_string()).or_default() += 1;
            }
        }
        hosts
            .hosts
            .iter()
            .map(|h| HostLoad {
                busy: busy.get(&h.name).copied().unwrap_or(0),
                host: h.clone(),
            })
            .collect()
    }
}

/// The hosts file and its hosts, as `codex-mcp hosts` and `doctor` show them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HostsReport {
    pub file: String,
    pub hosts: Vec<HostState>,
}

/// One host: how it is reached, its places, and what a check found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HostState {
    pub name: String,
    /// Its URL, or its command (never its token).
    pub reached_by: String,
    pub max_parallel: usize,
    /// Its tasks that have not ended (running, queued, asking).
    pub tasks: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<HostCheck>,
}

/// The hosts of the file, each checked (at once, side by side) when `check`.
pub(super) fn hosts_report(engine: &Engine, check: bool) -> Result<HostsReport, EngineError> {
    let hosts = engine.hosts()?;
    let loads = engine.host_loads(&hosts);
    let checks: Vec<Option<HostCheck>> = match check {
        true => {
            let hosts: Vec<Host> = loads.iter().map(|l| l.host.clone()).collect();
            let scratch = engine.store.home().join("hosts");
            check_hosts(&hosts, &scratch)
                .into_iter()
                .map(Some)
                .collect()
        }
        false => vec![None; loads.len()],
    };
    Ok(HostsReport {
        file: hosts.file.display().to_string(),
        hosts: loads
            .into_iter()
            .zip(checks)
            .map(|(l, check)| HostState {
                name: l.host.name.clone(),
                reached_by: l.host.describe(),
                max_parallel: l.host.max_parallel,
                tasks: l.busy,
                check,
            })
            .collect(),
    })
}
