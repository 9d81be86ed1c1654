//! Doctor's look at the hosts of hosts.toml: each is checked side by side (reachable and how
//! fast, its Codex's version, its login, its sandbox). A host that does not answer is a note,
//! not a failure of the whole doctor: this machine's tasks do not need it. A hosts file that
//! cannot be used is a failure: every task that names a host would be refused.

use super::{Check, Verdict};
use crate::config::Config;
use crate::config::hosts::Hosts;
use crate::runner;

/// One check per host (none without a hosts file).
pub(super) fn check_hosts(config: &Config) -> Vec<Check> {
    let hosts = match Hosts::load(config) {
        Ok(h) => h,
        Err(e) => {
            return vec![
                Check::new("hosts", Verdict::Fail, e.to_string())
                    .fix("correct the hosts file (see `codex-mcp hosts --help`)"),
            ];
        }
    };
    let scratch = std::env::temp_dir().join(format!("codex-mcp-doctor-{}", std::process::id()));
    let checks = runner::check_hosts(&hosts.hosts, &scratch)
        .into_iter()
        .zip(&hosts.hosts)
        .map(|(c, host)| {
            let name = format!("host {}", host.name);
            match (&c.error, c.logged_in, c.sandbox_ok) {
                (Some(e), _, _) => Check::new(name, Verdict::Note, e.clone()).fix(
                    "start its app-server (`codex app-server daemon bootstrap` there), or fix its entry",
                ),
                (None, login, sandbox) => {
                    let mut said = vec![format!(
                        "answers in {} ms",
                        c.initialize_ms.unwrap_or_default()
                    )];
                    said.extend(c.codex_version.as_ref().map(|v| format!("Codex {v}")));
                    said.extend(c.login.clone());
                    said.extend(c.sandbox.clone());
                    let verdict = match (login, sandbox) {
                        (Some(false), _) | (_, Some(false)) => Verdict::Note,
                        _ => Verdict::Ok,
                    };
                    Check::new(name, verdict, said.join(" · "))
                }
            }
        })
        .collect();
    let _ = std::fs::remove_dir_all(&scratch);
    checks
}
