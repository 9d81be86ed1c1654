//! The settings of one process, read once from its environment into a [`Config`]. Nothing
//! else reads environment variables (except the hand-over of the whole environment to a
//! full-access task, which is not configuration).
//!
//! An empty variable counts as unset. Values are kept as given and checked where they are
//! used, so a bad setting fails the task that needs it with a message naming the variable,
//! instead of stopping the server from starting.

pub(crate) mod hosts;
mod problems;

pub(crate) use problems::is_setting;

use std::ffi::OsString;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::vocab::CodexEngine;

/// Where tasks are stored (`$CODEXMCP_HOME/tasks`).
pub(crate) const HOME_VAR: &str = "CODEXMCP_HOME";
/// Where full-access worktrees are made.
pub(crate) const WORKTREE_ROOT_VAR: &str = "CODEXMCP_WORKTREE_ROOT";
/// How long codex may linger after its turn before it is stopped.
pub(crate) const EXIT_GRACE_VAR: &str = "CODEXMCP_EXIT_GRACE_MS";
/// Where logs go instead of stderr.
pub(crate) const LOG_FILE_VAR: &str = "CODEXMCP_LOG_FILE";
/// The time limit of tasks that set none.
pub(crate) const TASK_TIMEOUT_VAR: &str = "CODEXMCP_TASK_TIMEOUT";
/// The most characters one tool result may hold.
pub(crate) const MAX_RESULT_CHARS_VAR: &str = "CODEXMCP_MAX_RESULT_CHARS";
/// Set by codex-mcp in the environment of every Codex it runs: how deep in delegation it is.
pub(crate) const DEPTH_VAR: &str = "CODEXMCP_DEPTH";
/// How many tasks may run at once, across every server sharing the store.
pub(crate) const MAX_PARALLEL_VAR: &str = "CODEXMCP_MAX_PARALLEL";
/// Read-only tasks without Codex's sandbox (for containers where it cannot start), audited.
pub(crate) const READONLY_FALLBACK_VAR: &str = "CODEXMCP_READONLY_FALLBACK";
/// A program run with one JSON argument when a task ends.
pub(crate) const NOTIFY_VAR: &str = "CODEXMCP_NOTIFY";
/// How long that program may run, in seconds.
pub(crate) const NOTIFY_TIMEOUT_VAR: &str = "CODEXMCP_NOTIFY_TIMEOUT";
/// How long Codex may say nothing but errors (cannot reach its model) before it is stopped.
pub(crate) const UNREACHABLE_VAR: &str = "CODEXMCP_MODEL_UNREACHABLE_TIMEOUT";
/// How deep delegation may go.
pub(crate) const MAX_DEPTH_VAR: &str = "CODEXMCP_MAX_DEPTH";
/// How long a `codex` call answered as an MCP task first waits for a quick end.
pub(crate) const TASK_INLINE_MS_VAR: &str = "CODEXMCP_TASK_INLINE_MS";
/// The polling interval an MCP task suggests to its client.
pub(crate) const TASK_POLL_MS_VAR: &str = "CODEXMCP_TASK_POLL_MS";
/// Which program drives Codex: `app-server` (the default) or `exec`.
pub(crate) const ENGINE_VAR: &str = "CODEXMCP_ENGINE";
/// How long a question of Codex's waits for an answer before it is declined, in seconds.
pub(crate) const APPROVAL_TIMEOUT_VAR: &str = "CODEXMCP_APPROVAL_TIMEOUT";

/// Each setting that is passed on to codex has a documented `CODEXMCP_` name first, then
/// accepted spellings: the older `CODEX_` names looked like the Codex CLI's own variables.
pub(crate) const CODEX_BIN_VARS: &[&str] = &["CODEXMCP_CODEX_BIN", "CODEXMCP_BIN", "CODEX_BIN"];
pub(crate) const MODEL_VARS: &[&str] = &["CODEXMCP_MODEL", "CODEXMCP_CODEX_MODEL"];
pub(crate) const PROFILE_VARS: &[&str] = &[
    "CODEXMCP_PROFILE",
    "CODEXMCP_CODEX_PROFILE",
    "CODEX_PROFILE",
];
pub(crate) const REASONING_EFFORT_VARS: &[&str] = &[
    "CODEXMCP_REASONING_EFFORT",
    "CODEXMCP_CODEX_REASONING_EFFORT",
    "CODEX_REASONING_EFFORT",
];

const DEFAULT_EXIT_GRACE: Duration = Duration::from_secs(5);
/// A host lost mid-turn is tried again for a minute before the task fails.
const DEFAULT_HOST_RECONNECT: Duration = Duration::from_secs(60);
/// A question nobody answers in a quarter of an hour is declined: never accepted by default.
const DEFAULT_APPROVAL_TIMEOUT: Duration = Duration::from_secs(15 * 60);
const DEFAULT_NOTIFY_TIMEOUT: Duration = Duration::from_secs(10);
/// A model out of reach for three minutes is not coming back soon: say so, and why.
const DEFAULT_UNREACHABLE: Duration = Duration::from_secs(180);
/// A task that ends within this is answered inline: a background task costs the model a turn.
const DEFAULT_TASK_INLINE: Duration = Duration::from_millis(5_000);
/// Claude Code polls each MCP task this often; a `tasks/get` costs about a millisecond.
const DEFAULT_TASK_POLL: Duration = Duration::from_millis(1_000);
/// The polling interval suggested to clients stays within this range (milliseconds).
const TASK_POLL_RANGE: std::ops::RangeInclusive<u64> = 100..=60_000;
/// Keeps Claude Code below its 25,000-token limit for a tool result.
pub(crate) const DEFAULT_MAX_RESULT_CHARS: usize = 40_000;
/// A smaller budget could not hold a result's fixed fields.
pub(crate) const MIN_MAX_RESULT_CHARS: usize = 4_000;

/// A setting whose value cannot be used.
#[derive(Debug, Clone, thiserror::Error)]
#[error("environment variable {var} has an unusable value `{value}`; accepted: {accepted}")]
pub(crate) struct SettingError {
    pub var: &'static str,
    pub value: String,
    pub accepted: String,
}

/// A value and the variable it came from, so an error can name what the person set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Setting {
    pub var: &'static str,
    pub value: String,
}

/// Every setting of codex-mcp.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// `CODEXMCP_HOME`, or `~/.codexmcp`; `None` when neither can be known.
    pub store_home: Option<PathBuf>,
    /// The codex executable; `codex` on `PATH` when unset.
    pub codex_bin: Option<Setting>,
    /// `-m <model>` for tasks that name none.
    pub model: Option<Setting>,
    /// `codex -p <name>`.
    pub profile: Option<Setting>,
    /// `-c model_reasoning_effort="<effort>"`.
    pub reasoning_effort: Option<Setting>,
    /// Where full-access worktrees are made; next to the repository when unset.
    pub worktree_root: Option<PathBuf>,
    /// How long codex may keep running after it reported the end of its turn.
    pub exit_grace: Duration,
    /// How long a `codex` call that the client would follow as an MCP task waits for the task
    /// to end before answering with the task instead (0: always a task).
    pub task_inline: Duration,
    /// The `pollIntervalMs` given with an MCP task.
    pub task_poll: Duration,
    /// The time limit of tasks that set none, in seconds, as given.
    pub task_timeout: Option<Setting>,
    /// The most characters one tool result may hold.
    pub max_result_chars: usize,
    /// How many tasks may run at once (at least 1).
    pub max_parallel: usize,
    /// The program run when a task ends: a path, or a JSON array of program and arguments.
    pub notify: Option<Setting>,
    /// How long that program may run before it (and its process group) is stopped.
    pub notify_timeout: Duration,
    /// How long Codex may say nothing but errors before the task fails as unreachable.
    pub model_unreachable: Duration,
    /// Run read-only tasks with full access, an instruction to change nothing, and an audit.
    pub readonly_fallback: bool,
    /// Which program drives Codex (`CODEXMCP_ENGINE`); app-server when unset or unknown.
    pub engine: CodexEngine,
    /// How long a question of Codex's waits for an answer before it is declined.
    pub approval_timeout: Duration,
    /// How many codex-mcp tasks this process runs inside (0: none).
    pub depth: u32,
    /// The deepest a task may be started: a server at this depth refuses.
    pub max_depth: u32,
    /// Logs go to this file instead of stderr.
    pub log_file: Option<PathBuf>,
    /// `RUST_LOG`: which logs are written (tracing's filter syntax).
    pub log_filter: Option<String>,
    /// `PATH`, searched for `codex` and `tmux`.
    pub search_path: OsString,
    /// `NO_COLOR`: print no colours even on a terminal.
    pub no_color: bool,
    /// `CODEX_HOME`, Codex's own settings folder (default `~/.codex`), for the doctor.
    pub codex_home: Option<PathBuf>,
    /// The first of Codex's API key variables that is set, for the doctor.
    pub api_key_var: Option<&'static str>,
    /// The hosts file (`CODEXMCP_HOSTS_FILE`, or `hosts.toml` in the store's folder).
    pub hosts_file: Option<PathBuf>,
    /// How long a host task tries to win back a host it lost before it fails.
    pub host_reconnect: Duration,
    /// Settings that could not be used as given, each with what applies instead.
    pub problems: Vec<String>,
}

impl Setting {
    /// The value as a whole number within `range`.
    pub fn parse_in(&self, range: std::ops::RangeInclusive<u64>) -> Result<u64, SettingError> {
        self.value
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| SettingError {
                var: self.var,
                value: self.value.clone(),
                accepted: format!("a whole number from {} to {}", range.start(), range.end()),
            })
    }
}

/// The engine `value` names, the default when it names none.
fn engine_of(value: Option<OsString>) -> CodexEngine {
    value
        .and_then(|v| CodexEngine::from_str(v.to_string_lossy().trim()).ok())
        .unwrap_or(CodexEngine::CONFIGURED_DEFAULT)
}

/// A positive whole number of seconds, else `default`.
fn seconds(value: Option<OsString>, default: Duration) -> Duration {
    value
        .and_then(|v| v.to_str().and_then(|s| s.trim().parse::<u64>().ok()))
        .filter(|s| *s > 0)
        .map_or(default, Duration::from_secs)
}

/// The variables, each kind of value read one way; an empty variable is an unset one.
struct Vars<'a, F>(&'a F);

impl<F: Fn(&str) -> Option<OsString>> Vars<'_, F> {
    fn get(&self, name: &str) -> Option<OsString> {
        (self.0)(name).filter(|v| !v.is_empty())
    }

    /// The first of `names` that is set, with its name (messages name the one used).
    fn setting(&self, names: &[&'static str]) -> Option<Setting> {
        names.iter().find_map(|&var| {
            self.get(var).map(|v| Setting {
                var,
                value: v.to_string_lossy().into_owned(),
            })
        })
    }

    /// A path, made absolute now against this process's directory: a supervisor in a tmux
    /// pane runs elsewhere, and must find the same store.
    fn path(&self, name: &str) -> Option<PathBuf> {
        self.get(name).map(|v| {
            let p = PathBuf::from(v);
            std::path::absolute(&p).unwrap_or(p)
        })
    }

    fn number<T: FromStr>(&self, name: &str) -> Option<T> {
        self.get(name)
            .and_then(|v| v.to_str().and_then(|s| s.trim().parse::<T>().ok()))
    }

    fn millis(&self, name: &str) -> Option<Duration> {
        self.number::<u64>(name).map(Duration::from_millis)
    }

    /// On when `1`, `true`, `yes` or `on`.
    fn flag(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| {
            matches!(
                v.to_string_lossy().trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        })
    }
}

impl Config {
    /// The configuration of this process.
    pub fn from_env() -> Config {
        let mut config = Config::from_lookup(|name| std::env::var_os(name));
        config.problems.extend(problems::unknown_variables());
        config
    }

    /// The configuration described by `lookup` (a variable's value, or `None`). The supervisor
    /// of a full-access task reads it from the environment the server handed over.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Config {
        let vars = Vars(&lookup);
        let task_poll = vars
            .number::<u64>(TASK_POLL_MS_VAR)
            .map_or(DEFAULT_TASK_POLL, |ms| {
                Duration::from_millis(ms.clamp(*TASK_POLL_RANGE.start(), *TASK_POLL_RANGE.end()))
            });
        let store_home = vars
            .path(HOME_VAR)
            .or_else(|| dirs::home_dir().map(|h| h.join(".codexmcp")));
        let hosts_file = vars
            .path(hosts::HOSTS_FILE_VAR)
            .or_else(|| store_home.as_ref().map(|h| h.join("hosts.toml")));
        let mut config = Config {
            store_home,
            hosts_file,
            host_reconnect: seconds(vars.get(hosts::HOST_RECONNECT_VAR), DEFAULT_HOST_RECONNECT),
            codex_bin: vars.setting(CODEX_BIN_VARS),
            model: vars.setting(MODEL_VARS),
            profile: vars.setting(PROFILE_VARS),
            reasoning_effort: vars.setting(REASONING_EFFORT_VARS),
            worktree_root: vars.path(WORKTREE_ROOT_VAR),
            exit_grace: vars.millis(EXIT_GRACE_VAR).unwrap_or(DEFAULT_EXIT_GRACE),
            task_inline: vars
                .millis(TASK_INLINE_MS_VAR)
                .unwrap_or(DEFAULT_TASK_INLINE),
            task_poll,
            task_timeout: vars.setting(&[TASK_TIMEOUT_VAR]),
            max_result_chars: vars
                .number(MAX_RESULT_CHARS_VAR)
                .map_or(DEFAULT_MAX_RESULT_CHARS, |n: usize| {
                    n.max(MIN_MAX_RESULT_CHARS)
                }),
            max_parallel: vars.number(MAX_PARALLEL_VAR).map_or(8, |n: usize| n.max(1)),
            notify: vars.setting(&[NOTIFY_VAR]),
            model_unreachable: seconds(vars.get(UNREACHABLE_VAR), DEFAULT_UNREACHABLE),
            notify_timeout: seconds(vars.get(NOTIFY_TIMEOUT_VAR), DEFAULT_NOTIFY_TIMEOUT),
            readonly_fallback: vars.flag(READONLY_FALLBACK_VAR),
            engine: engine_of(vars.get(ENGINE_VAR)),
            approval_timeout: seconds(vars.get(APPROVAL_TIMEOUT_VAR), DEFAULT_APPROVAL_TIMEOUT),
            depth: vars.number(DEPTH_VAR).unwrap_or(0),
            max_depth: vars.number(MAX_DEPTH_VAR).unwrap_or(1),
            log_file: vars.path(LOG_FILE_VAR),
            log_filter: vars
                .get("RUST_LOG")
                .map(|v| v.to_string_lossy().into_owned()),
            search_path: lookup("PATH").unwrap_or_default(),
            no_color: vars.get("NO_COLOR").is_some(),
            codex_home: vars
                .path("CODEX_HOME")
                .or_else(|| dirs::home_dir().map(|h| h.join(".codex"))),
            api_key_var: ["OPENAI_API_KEY", "CODEX_API_KEY"]
                .into_iter()
                .find(|v| vars.get(v).is_some()),
            problems: Vec::new(),
        };
        config.problems = problems::problems(&lookup, &config);
        config
    }

    /// The first executable file called `name` in the search path.
    pub fn find_on_path(&self, name: &str) -> Option<PathBuf> {
        std::env::split_paths(&self.search_path)
            .map(|dir| dir.join(name))
            .find(|p| is_executable(p))
    }
}

/// True for a regular file with an execute bit.
pub(crate) fn is_executable(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Config {
        let map: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn documented_names_win_over_the_old_ones() {
        let c = config(&[("CODEX_PROFILE", "old"), ("CODEXMCP_PROFILE", "new")]);
        assert_eq!(
            c.profile,
            Some(Setting {
                var: "CODEXMCP_PROFILE",
                value: "new".into()
            })
        );
        let c = config(&[("CODEX_BIN", "/old/codex")]);
        assert_eq!(c.codex_bin.map(|s| s.var), Some("CODEX_BIN"));
        let c = config(&[("CODEXMCP_BIN", "/a"), ("CODEXMCP_CODEX_BIN", "/b")]);
        assert_eq!(c.codex_bin.map(|s| s.value), Some("/b".into()));
    }

    #[test]
    fn empty_means_unset_and_bad_numbers_mean_default() {
        let c = config(&[
            ("CODEXMCP_REASONING_EFFORT", ""),
            ("CODEX_REASONING_EFFORT", "high"),
            ("CODEXMCP_EXIT_GRACE_MS", "soon"),
            ("CODEXMCP_HOME", "/store"),
        ]);
        assert_eq!(c.reasoning_effort.map(|s| s.value), Some("high".into()));
        assert_eq!(c.exit_grace, DEFAULT_EXIT_GRACE);
        assert_eq!(c.store_home, Some(PathBuf::from("/store")));
        let c = config(&[
            ("CODEXMCP_HOME", "relstore"),
            ("CODEXMCP_LOG_FILE", "x.log"),
        ]);
        let here = std::env::current_dir().unwrap();
        assert_eq!(c.store_home, Some(here.join("relstore")));
        assert_eq!(c.log_file, Some(here.join("x.log")));
        assert_eq!(
            config(&[("CODEXMCP_EXIT_GRACE_MS", "300")]).exit_grace,
            Duration::from_millis(300)
        );
    }

    #[test]
    fn mcp_task_timings_have_defaults_and_a_sane_poll_interval() {
        let c = config(&[]);
        assert_eq!(c.task_inline, Duration::from_millis(5_000));
        assert_eq!(c.task_poll, Duration::from_millis(1_000));
        let c = config(&[
            ("CODEXMCP_TASK_INLINE_MS", "0"),
            ("CODEXMCP_TASK_POLL_MS", "5"),
        ]);
        assert_eq!(c.task_inline, Duration::ZERO);
        assert_eq!(
            c.task_poll,
            Duration::from_millis(100),
            "a client is never asked to spin"
        );
        let c = config(&[
            ("CODEXMCP_TASK_POLL_MS", "250"),
            ("CODEXMCP_TASK_INLINE_MS", "soon"),
        ]);
        assert_eq!(c.task_poll, Duration::from_millis(250));
        assert_eq!(c.task_inline, Duration::from_millis(5_000));
    }

    #[test]
    fn the_engine_and_the_approval_timeout_have_defaults_and_bad_values_are_said() {
        let c = config(&[]);
        assert_eq!(
            (c.engine.as_str(), c.approval_timeout),
            ("app-server", Duration::from_secs(900))
        );
        let c = config(&[
            ("CODEXMCP_ENGINE", "exec"),
            ("CODEXMCP_APPROVAL_TIMEOUT", "3"),
        ]);
        assert_eq!(
            (c.engine.as_str(), c.approval_timeout),
            ("exec", Duration::from_secs(3))
        );
        let c = config(&[
            ("CODEXMCP_ENGINE", "turbo"),
            ("CODEXMCP_APPROVAL_TIMEOUT", "soon"),
        ]);
        assert_eq!(
            (c.engine.as_str(), c.approval_timeout),
            ("app-server", Duration::from_secs(900))
        );
        let said = c.problems.join("\n");
        assert!(said.contains("CODEXMCP_ENGINE=turbo"), "{said}");
        assert!(said.contains("CODEXMCP_APPROVAL_TIMEOUT=soon"), "{said}");
    }
}
