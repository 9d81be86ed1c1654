//! How a Codex run is driven: the one seam between the supervisor's lifecycle (queue, retries,
//! signals, the recorded end) and the program that does the work. Each driver is a file of its
//! own — `exec_driver.rs` (`codex exec --json`, one process per run) and `app_server_driver.rs`
//! (a thread of `codex app-server`, which can be steered and asks for approvals) — that says
//! what it can do and does its runs ([`Drive`]). Callers ask the driver; nothing outside the
//! runner names one. A new driver is one variant of `vocab::CodexEngine`, one file, and one arm
//! of [`Driver::drive`].
//!
//! The driver of a task is chosen once, by the process that starts it ([`Driver::choose`]),
//! and recorded; the supervisor runs what the record says.

use std::path::Path;

use super::app_server_driver::AppServerDriver;
use super::exec_driver::ExecDriver;
use super::run::{Ran, RunEnv};
use super::seam::{Drive, FirstRun, RunOf};
use crate::codex::{CodexOptions, CodexSandbox, has_app_server, profile_config};
use crate::config::Config;
use crate::store::{Store, TaskMeta};
use crate::vocab::{CodexEngine, ReviewLaunch};

/// The way a task's Codex runs are driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Driver {
    engine: CodexEngine,
}

/// A driver chosen for a task, why it is not the configured one when it is not, and the
/// settings a profile gives its thread.
pub(crate) struct Chosen {
    pub driver: Driver,
    pub note: Option<String>,
    pub thread_config: Option<serde_json::Value>,
}

impl Driver {
    fn drive(self) -> &'static dyn Drive {
        match self.engine {
            CodexEngine::Exec => &ExecDriver,
            CodexEngine::AppServer => &AppServerDriver,
        }
    }

    /// The driver of `meta`'s task, as recorded.
    pub(crate) fn of(meta: &TaskMeta) -> Driver {
        Driver {
            engine: meta.launch().engine,
        }
    }

    /// The engine to record.
    pub(crate) fn engine(self) -> CodexEngine {
        self.engine
    }

    pub(crate) fn can_steer(self) -> bool {
        self.drive().can_steer()
    }

    pub(crate) fn asks_approvals(self) -> bool {
        self.drive().asks_approvals()
    }

    pub(crate) fn needs_app_server(self) -> bool {
        self.drive().needs_app_server()
    }

    pub(crate) fn program(self) -> &'static str {
        self.drive().program()
    }

    /// The driver of a task on a host: a host is reached through its app-server, whatever
    /// `CODEXMCP_ENGINE` says for this machine.
    pub(crate) fn on_host(config: &Config) -> Chosen {
        let driver = Driver {
            engine: CodexEngine::AppServer,
        };
        let note = (Driver::configured(config) != driver).then(|| {
            "a host's Codex is driven through its app-server (CODEXMCP_ENGINE applies to this \
             machine)"
                .to_string()
        });
        Chosen {
            driver,
            note,
            thread_config: None,
        }
    }

    /// The driver `CODEXMCP_ENGINE` names, as configured (before [`Driver::choose`] holds it
    /// to the task and its Codex).
    pub(crate) fn configured(config: &Config) -> Driver {
        Driver {
            engine: config.engine,
        }
    }

    /// The driver a task with `options` runs on: the configured one, unless this Codex cannot
    /// run it (an older Codex without `app-server`), or a profile cannot reach it; each time
    /// the one that can, and the note says why.
    pub(crate) fn choose(
        config: &Config,
        store: &Store,
        codex: &Path,
        options: &CodexOptions,
    ) -> Chosen {
        let mut driver = Driver::configured(config);
        let mut note = None;
        if driver.drive().needs_app_server() && !knows_app_server(store, codex) {
            driver = Driver {
                engine: CodexEngine::Exec,
            };
            note = Some(format!(
                "the Codex at {} has no `app-server` command (too old?), so this task runs on \
                 `codex exec`, which cannot be steered or ask for approvals; update Codex, or \
                 set CODEXMCP_ENGINE=exec to say so",
                codex.display()
            ));
        }
        let Some(profile) = options
            .profile
            .as_ref()
            .filter(|_| !driver.drive().takes_profile())
        else {
            return Chosen {
                driver,
                note,
                thread_config: None,
            };
        };
        // `codex app-server` takes no `-p`: the profile's settings go to the thread.
        let read = match &config.codex_home {
            Some(home) => profile_config(home, profile),
            None => Err("no home folder to find Codex's settings in".into()),
        };
        match read {
            Ok(settings) => Chosen {
                driver,
                note,
                thread_config: Some(settings),
            },
            Err(why) => Chosen {
                driver: Driver {
                    engine: CodexEngine::Exec,
                },
                note: Some(format!(
                    "the profile `{profile}` could not be read for `codex app-server` ({why}), so \
                     this task runs on `codex exec` (which reads it itself), and cannot be \
                     steered or ask for approvals"
                )),
                thread_config: None,
            },
        }
    }

    /// The command line of a task's first run: `codex` with this driver's arguments.
    pub(crate) fn first_argv(
        self,
        codex: &Path,
        sandbox: CodexSandbox,
        run_dir: &Path,
        session: Option<&str>,
        options: &CodexOptions,
        review: Option<&ReviewLaunch>,
    ) -> Vec<String> {
        let first = FirstRun {
            sandbox,
            run_dir,
            session,
            options,
            review,
        };
        let mut argv = vec![codex.to_string_lossy().into_owned()];
        argv.extend(self.drive().first_args(&first));
        argv
    }

    /// The command line of a run that continues `session` after a failed one.
    pub(in crate::runner) fn resume_argv(
        self,
        meta: &TaskMeta,
        session: &str,
    ) -> Option<Vec<String>> {
        self.drive().resume_argv(meta, session)
    }

    /// One run, to its end: `argv` started with `prompt` as its input, stopped on the stop
    /// signal or when the limits say, its events recorded in the task's files.
    pub(in crate::runner) fn run(self, run: RunOf<'_>, env: &RunEnv<'_>) -> std::io::Result<Ran> {
        self.drive().run(run, env)
    }
}

/// Whether the Codex at `codex` has `app-server`: from the store when it was asked before for
/// this binary, else asked (`codex app-server --help`, a few milliseconds on the binary npm's
/// launcher runs) and kept.
fn knows_app_server(store: &Store, codex: &Path) -> bool {
    if let Some(known) = store.codex_facts(codex).app_server {
        return known;
    }
    let has = has_app_server(codex);
    store.learn_codex_facts(codex, |f| f.app_server = Some(has));
    has
}
