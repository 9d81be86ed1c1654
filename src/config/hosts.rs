//! The hosts a task may run on: `hosts.toml` in the store's folder (or the file
//! `CODEXMCP_HOSTS_FILE` names). Each host is a Codex app-server reached over WebSocket —
//! directly (`url`, with a capability token unless it is on loopback) or over the stdin and
//! stdout of a command (`command`, e.g. `ssh devbox codex app-server proxy`). Read when a task
//! names a host, by `codex-mcp hosts` and by `doctor`; a missing file is no hosts.
//!
//! ```toml
//! [hosts.devbox]
//! command = ["ssh", "devbox", "codex", "app-server", "proxy"]
//! max_parallel = 4
//! [hosts.lab]
//! url = "ws://10.0.0.5:4500"
//! token_file = "~/.codexmcp/lab.token"
//! ```

use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Config;

/// The file of hosts, when the store's folder is not the place.
pub(crate) const HOSTS_FILE_VAR: &str = "CODEXMCP_HOSTS_FILE";
/// How long a host task tries to reconnect to a host it lost, in seconds.
pub(crate) const HOST_RECONNECT_VAR: &str = "CODEXMCP_HOST_RECONNECT";
/// The name that asks for the host with the most free places.
pub(crate) const ANY_HOST: &str = "any";
/// The most tasks a host runs at once when its entry says nothing.
pub(crate) const DEFAULT_HOST_PARALLEL: usize = 4;
/// The longest host name.
pub(crate) const HOST_NAME_MAX: usize = 64;
/// What a host name may hold, as a JSON-schema pattern.
pub(crate) const HOST_NAME_PATTERN: &str = "^[A-Za-z0-9_][A-Za-z0-9_.-]*$";
/// The largest token file read.
const TOKEN_MAX: u64 = 4096;

/// One host of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Host {
    pub name: String,
    pub access: Access,
    /// How many of its tasks run at once; the rest wait for a place on it.
    pub max_parallel: usize,
}

/// How a host's app-server is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Access {
    /// A WebSocket over TCP; `token_file` holds the capability token it asks for.
    Url {
        url: String,
        token_file: Option<PathBuf>,
    },
    /// A program whose stdin and stdout carry the WebSocket stream (`codex app-server proxy`,
    /// run through ssh, `docker exec -i` or `kubectl exec -i`): its argv, run without a shell.
    Command { argv: Vec<String> },
}

/// The hosts of the file, in its order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hosts {
    pub file: PathBuf,
    pub hosts: Vec<Host>,
}

/// Why the hosts file cannot be used.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum HostsError {
    #[error("the hosts file {} cannot be read: {why}", file.display())]
    Unreadable { file: PathBuf, why: String },
    #[error("the hosts file {} is not valid: {why}", file.display())]
    Invalid { file: PathBuf, why: String },
    #[error("no hosts file is known: set CODEXMCP_HOME or HOME (or CODEXMCP_HOSTS_FILE)")]
    NoPlace,
}

/// A host entry as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    url: Option<String>,
    token_file: Option<String>,
    command: Option<Vec<String>>,
    max_parallel: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    hosts: toml::Table,
}

impl Hosts {
    /// The hosts of the configured file; none when it does not exist.
    pub fn load(config: &Config) -> Result<Hosts, HostsError> {
        let file = config.hosts_file.clone().ok_or(HostsError::NoPlace)?;
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Hosts {
                    file,
                    hosts: Vec::new(),
                });
            }
            Err(e) => {
                return Err(HostsError::Unreadable {
                    file,
                    why: e.to_string(),
                });
            }
        };
        let invalid = |why: String| HostsError::Invalid {
            file: file.clone(),
            why,
        };
        let parsed: File = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        let mut hosts = Vec::new();
        for (name, value) in parsed.hosts {
            let entry: Entry = value
                .try_into()
                .map_err(|e: toml::de::Error| invalid(format!("[hosts.{name}]: {e}")))?;
            let host = entry
                .into_host(&name, config)
                .map_err(|why| invalid(format!("[hosts.{name}]: {why}")))?;
            hosts.push(host);
        }
        Ok(Hosts { file, hosts })
    }

    pub fn get(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// The names, in the file's order, for a message.
    pub fn names(&self) -> String {
        if self.hosts.is_empty() {
            return format!("none: {} names no host", self.file.display());
        }
        let names: Vec<&str> = self.hosts.iter().map(|h| h.name.as_str()).collect();
        names.join(", ")
    }
}

impl Entry {
    fn into_host(self, name: &str, config: &Config) -> Result<Host, String> {
        check_name(name)?;
        let max_parallel = self.max_parallel.unwrap_or(DEFAULT_HOST_PARALLEL);
        if max_parallel == 0 {
            return Err("max_parallel must be 1 or more".into());
        }
        let access = match (self.url, self.command) {
            (Some(_), Some(_)) => {
                return Err("give `url` or `command`, not both".into());
            }
            (None, None) => {
                return Err(
                    "give `url` (a ws:// app-server) or `command` (e.g. [\"ssh\", \
                            \"devbox\", \"codex\", \"app-server\", \"proxy\"])"
                        .into(),
                );
            }
            (Some(url), None) => {
                let token_file = self.token_file.map(|t| expand_home(&t, config));
                check_url(&url, token_file.is_some())?;
                Access::Url { url, token_file }
            }
            (None, Some(argv)) => {
                if self.token_file.is_some() {
                    return Err(
                        "`token_file` goes with `url`; a command authenticates itself \
                                (ssh keys, the container's own access)"
                            .into(),
                    );
                }
                if argv.first().is_none_or(|p| p.trim().is_empty()) {
                    return Err("`command` is empty: name the program and its arguments".into());
                }
                Access::Command { argv }
            }
        };
        Ok(Host {
            name: name.to_string(),
            access,
            max_parallel,
        })
    }
}

/// True when `name` may name a host.
pub(crate) fn is_host_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= HOST_NAME_MAX
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

fn check_name(name: &str) -> Result<(), String> {
    if name == ANY_HOST {
        return Err(
            "`any` is not a host's name: a task's `host: \"any\"` asks for the host \
                    with the most free places"
                .into(),
        );
    }
    if !is_host_name(name) {
        return Err(format!(
            "a host's name is letters, digits, `_ . -` (at most {HOST_NAME_MAX})"
        ));
    }
    Ok(())
}

/// A `ws://` URL; one that is not on loopback needs a token.
fn check_url(url: &str, has_token: bool) -> Result<(), String> {
    let Some(rest) = url.strip_prefix("ws://") else {
        return Err(format!(
            "`{url}` is not a ws:// URL (wss:// is not supported: reach a remote app-server \
             through ssh, `command = [\"ssh\", …, \"codex\", \"app-server\", \"proxy\"]`)"
        ));
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    if host.is_empty() {
        return Err(format!("`{url}` names no host"));
    }
    if !has_token && !is_loopback(host) {
        return Err(format!(
            "`{url}` is not on this machine and has no `token_file`: anyone who can reach it \
             could run commands there. Give the capability token its app-server was started \
             with (`--ws-auth capability-token --ws-token-file F`), or reach it through ssh"
        ));
    }
    Ok(())
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `~/x` as a path in the home folder; a relative path is the hosts file's folder's.
fn expand_home(path: &str, config: &Config) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => dirs::home_dir().unwrap_or_default().join(rest),
        None => {
            let p = PathBuf::from(path);
            match (&config.hosts_file, p.is_relative()) {
                (Some(file), true) => file.parent().unwrap_or(Path::new("/")).join(p),
                _ => p,
            }
        }
    }
}

impl Host {
    /// The capability token, read from its file now (never kept on the task, never in argv
    /// or a log): a regular file of the person's own, readable by them alone.
    pub fn token(&self) -> Result<Option<String>, String> {
        let Access::Url {
            token_file: Some(path),
            ..
        } = &self.access
        else {
            return Ok(None);
        };
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
            .open(path)
            .map_err(|e| format!("the token file {} cannot be read: {e}", path.display()))?;
        let meta = file
            .metadata()
            .map_err(|e| format!("the token file {}: {e}", path.display()))?;
        if !meta.is_file() {
            return Err(format!("the token file {} is not a file", path.display()));
        }
        if meta.mode() & 0o077 != 0 {
            return Err(format!(
                "the token file {} can be read by others: `chmod 600 {}`",
                path.display(),
                path.display()
            ));
        }
        let mut text = String::new();
        file.by_ref()
            .take(TOKEN_MAX)
            .read_to_string(&mut text)
            .map_err(|e| format!("the token file {}: {e}", path.display()))?;
        let token = text.trim().to_string();
        if token.is_empty() {
            return Err(format!("the token file {} is empty", path.display()));
        }
        Ok(Some(token))
    }

    /// How it is reached, for a person (no token).
    pub fn describe(&self) -> String {
        match &self.access {
            Access::Url { url, .. } => url.clone(),
            Access::Command { argv } => argv.join(" "),
        }
    }
}

/// The hosts of a file holding `text`, for tests.
#[cfg(test)]
pub(crate) fn parse_for_test(text: &str) -> Result<Hosts, HostsError> {
    let dir = tempfile::tempdir().map_err(|e| HostsError::Unreadable {
        file: std::env::temp_dir(),
        why: e.to_string(),
    })?;
    let file = dir.path().join("hosts.toml");
    std::fs::write(&file, text).map_err(|e| HostsError::Unreadable {
        file: file.clone(),
        why: e.to_string(),
    })?;
    let mut config = Config::from_lookup(|_| None);
    config.hosts_file = Some(file);
    Hosts::load(&config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_read_in_the_files_order_with_their_access() {
        let hosts = parse_for_test(
            r#"
            [hosts.zeta]
            command = ["ssh", "zeta", "codex", "app-server", "proxy"]
            max_parallel = 2
            [hosts.alpha]
            url = "ws://127.0.0.1:4500"
            "#,
        )
        .unwrap();
        let names: Vec<&str> = hosts.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha"]);
        assert_eq!(hosts.hosts[0].max_parallel, 2);
        assert_eq!(hosts.hosts[1].max_parallel, DEFAULT_HOST_PARALLEL);
        assert!(matches!(hosts.hosts[1].access, Access::Url { .. }));
    }

    #[test]
    fn a_url_off_this_machine_needs_a_token_and_the_error_names_the_fix() {
        let e = parse_for_test("[hosts.lab]\nurl = \"ws://10.0.0.5:4500\"\n").unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("[hosts.lab]") && text.contains("token_file"),
            "{text}"
        );
        assert!(text.contains("ssh"), "{text}");
        assert!(
            parse_for_test("[hosts.lab]\nurl = \"ws://10.0.0.5:4500\"\ntoken_file = \"t\"\n")
                .is_ok()
        );
        for bad in [
            "[hosts.any]\nurl = \"ws://127.0.0.1:1\"\n",
            "[hosts.x]\nurl = \"wss://h:1\"\n",
            "[hosts.x]\ncommand = []\n",
            "[hosts.x]\nurl = \"ws://127.0.0.1:1\"\ncommand = [\"ssh\"]\n",
            "[hosts.x]\n",
            "[hosts.x]\nurl = \"ws://127.0.0.1:1\"\nmax_parallel = 0\n",
            "[hosts.x]\nurl = \"ws://127.0.0.1:1\"\nport = 3\n",
        ] {
            assert!(parse_for_test(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_token_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("t");
        std::fs::write(&token, "secret\n").unwrap();
        let host = Host {
            name: "h".into(),
            access: Access::Url {
                url: "ws://127.0.0.1:1".into(),
                token_file: Some(token.clone()),
            },
            max_parallel: 1,
        };
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(host.token().unwrap_err().contains("chmod 600"));
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(host.token().unwrap().as_deref(), Some("secret"));
    }
}
