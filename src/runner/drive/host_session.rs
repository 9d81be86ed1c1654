//! A short conversation with a host's app-server outside any turn: the handshake, then one
//! request at a time, each waited for. `doctor` and `codex-mcp hosts` check a host with it
//! (reachable, its Codex's version, logged in, its sandbox), and a full-access task's
//! worktree is made with it on the host (git run there by `command/exec`).

use std::io::Write;
use std::path::Path;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use super::host_link::{self, HostLink, LinkError};
use crate::codex::protocol::{
    AccountRead, ClientRequest, CommandExec, Incoming, Initialize, Initialized, SandboxPolicy,
    initialized_line, request_line,
};
use crate::config::hosts::Host;

/// How long one request may take.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// A session with a host's app-server, handshake done.
pub(crate) struct HostSession {
    link: HostLink,
    writer: Box<dyn Write + Send>,
    incoming: Receiver<Incoming>,
    next_id: u64,
    /// What the host's app-server said of itself.
    pub hello: Initialized,
    /// From the first byte to the handshake's answer.
    pub took: Duration,
}

impl HostSession {
    /// Links to `host` and shakes hands; the host command's stderr goes to `stderr`.
    pub(crate) fn open(host: &Host, stderr: &Path) -> Result<HostSession, LinkError> {
        let started = Instant::now();
        let (link, incoming) = host_link::connect(host, stderr)?;
        let writer = link.writer();
        let mut session = HostSession {
            link,
            writer,
            incoming,
            next_id: 0,
            hello: Initialized {
                user_agent: String::new(),
            },
            took: Duration::ZERO,
        };
        let hello = session
            .ask(&Initialize::default())
            .map_err(|why| LinkError::Refused {
                host: host.name.clone(),
                why,
            })?;
        let _ = writeln!(session.writer, "{}", initialized_line());
        session.hello = hello;
        session.took = started.elapsed();
        Ok(session)
    }

    /// Sends `params` and waits for its answer.
    pub(crate) fn ask<R: ClientRequest>(&mut self, params: &R) -> Result<R::Response, String> {
        self.next_id += 1;
        let id = self.next_id;
        writeln!(self.writer, "{}", request_line(id, params))
            .map_err(|e| format!("the session ended: {e}"))?;
        let until = Instant::now() + ANSWER_TIMEOUT;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(Incoming::Response { id: got, result }) if got == id => {
                    let value = result?;
                    return serde_json::from_value(value)
                        .map_err(|e| format!("{} answered in a form not known: {e}", R::METHOD));
                }
                Ok(_) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "{} was not answered within {} s",
                        R::METHOD,
                        ANSWER_TIMEOUT.as_secs()
                    ));
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err("the session ended".into());
                }
            }
        }
    }

    /// Runs `argv` on the host in `cwd`, outside any sandbox (git writing a worktree), or in
    /// Codex's read-only one; its exit code and output.
    pub(crate) fn run(
        &mut self,
        argv: &[&str],
        cwd: Option<&str>,
        sandbox: SandboxPolicy,
    ) -> Result<crate::codex::protocol::CommandOutput, String> {
        self.ask(&CommandExec {
            command: argv,
            cwd,
            sandbox_policy: sandbox,
        })
    }

    /// Whether Codex there can reach a model: logged in, or needing no OpenAI login.
    pub(crate) fn login(&mut self) -> Result<String, String> {
        let state = self.ask(&AccountRead::default())?;
        match (&state.account, state.requires_openai_auth) {
            (Some(account), _) => Ok(format!(
                "logged in ({})",
                account["type"].as_str().unwrap_or("an account")
            )),
            (None, false) => Ok("its model provider needs no OpenAI login".into()),
            (None, true) => Err("not logged in: run `codex login` there".into()),
        }
    }
}

impl Drop for HostSession {
    fn drop(&mut self) {
        self.link.close();
    }
}

/// What a check of a host found: reachable (and how fast), its Codex's version, whether it is
/// logged in, and whether its sandbox runs a command.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub(crate) struct HostCheck {
    /// Milliseconds from the first byte to the handshake's answer.
    pub initialize_ms: Option<u64>,
    /// Why it could not be talked to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Whether that was a refusal (a wrong token, no Codex there) rather than no answer.
    pub refused: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codex_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    pub logged_in: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<String>,
    pub sandbox_ok: Option<bool>,
}

/// Checks `host`; the host command's stderr goes to `stderr`.
fn check_host(host: &Host, stderr: &Path) -> HostCheck {
    let mut check = HostCheck::default();
    let mut session = match HostSession::open(host, stderr) {
        Ok(s) => s,
        Err(e) => {
            check.refused = matches!(e, LinkError::Refused { .. });
            check.error = Some(e.to_string());
            return check;
        }
    };
    check.initialize_ms = Some(session.took.as_millis() as u64);
    check.codex_version = session.hello.version().map(str::to_string);
    let login = session.login();
    check.logged_in = Some(login.is_ok());
    check.login = Some(login.unwrap_or_else(|e| e));
    let sandbox = session.run(&["true"], None, SandboxPolicy::ReadOnly);
    let (ok, said) = match sandbox {
        Ok(out) if out.exit_code == 0 => (true, "a command runs in its read-only sandbox".into()),
        Ok(out) => (
            false,
            format!(
                "its read-only sandbox did not run a command (exit {}): {}",
                out.exit_code,
                out.stderr.trim()
            ),
        ),
        Err(e) => (false, format!("its sandbox could not be checked: {e}")),
    };
    check.sandbox_ok = Some(ok);
    check.sandbox = Some(said);
    check
}

/// Checks each of `hosts` side by side (a host that does not answer costs its own time, not
/// the others'); each host command's stderr goes to `<name>-check.log` in `scratch`.
pub(crate) fn check_hosts(hosts: &[Host], scratch: &Path) -> Vec<HostCheck> {
    let _ = crate::store::ensure_private_dir(scratch);
    std::thread::scope(|scope| {
        let running: Vec<_> = hosts
            .iter()
            .map(|host| {
                let stderr = scratch.join(format!("{}-check.log", host.name));
                scope.spawn(move || {
                    let _ = std::fs::remove_file(&stderr);
                    check_host(host, &stderr)
                })
            })
            .collect();
        running
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| HostCheck {
                    error: Some("the check stopped unexpectedly".into()),
                    ..HostCheck::default()
                })
            })
            .collect()
    })
}
