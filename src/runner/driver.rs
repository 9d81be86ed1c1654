//! How a Codex run is driven: the one seam between the supervisor's lifecycle (queue, retries,
//! signals, the recorded end) and the program that does the work. Today one driver, `exec`
//! (`codex exec --json`, in `exec_driver.rs`); a second (Codex's app-server, to talk to a
//! running task) is one more variant and one more file, and the supervisor, the queue,
//! recovery and cancel do not change.

use std::path::Path;

use super::run::{Ran, RunEnv};
use super::{app_server_driver, exec_driver};
use crate::codex::{
    CodexOptions, CodexSandbox, app_server_argv, exec_argv, exec_review_argv, has_app_server,
    next_run_argv,
};
use crate::store::{Store, TaskFiles, TaskMeta};
use crate::vocab::{CodexEngine, ReviewLaunch};

/// The way a task's Codex runs are driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Driver {
    /// One `codex exec --json` process per run.
    Exec,
    /// One `codex app-server` per run, a thread in it: it can be steered and asks approvals.
    AppServer,
}

impl Driver {
    /// The driver of `meta`'s task.
    pub(crate) fn of(meta: &TaskMeta) -> Driver {
        Driver::for_engine(meta.launch().engine)
    }

    /// Whether a prompt can be steered into a running turn.
    pub(crate) fn can_steer(self) -> bool {
        match self {
            Driver::Exec => false,
            Driver::AppServer => true,
        }
    }

    /// Whether Codex can stop and ask a person (`approval_policy` applies).
    pub(crate) fn asks_approvals(self) -> bool {
        match self {
            Driver::Exec => false,
            Driver::AppServer => true,
        }
    }

    /// The driver that runs `meta`'s task here. A task recorded for app-server whose Codex has
    /// no `app-server` command (an older Codex) runs on exec, and its record says so: asked
    /// here, by the supervisor, so that starting a task stays instant.
    pub(super) fn settle(files: &TaskFiles, meta: TaskMeta) -> (Driver, TaskMeta) {
        let launch = meta.launch();
        let program = launch.argv.first().map(std::path::PathBuf::from);
        let missing = launch.engine == CodexEngine::AppServer
            && program
                .as_deref()
                .is_some_and(|codex| !knows_app_server(files, codex));
        let Some(codex) = program.filter(|_| missing) else {
            return (Driver::of(&meta), meta);
        };
        let sandbox = CodexSandbox::for_task(meta.sandbox, launch.readonly_fallback);
        let argv = Driver::Exec.first_argv(
            &codex,
            sandbox,
            &meta.placement().run_dir,
            meta.resume_session_id.as_deref(),
            &launch.options,
            launch.review.as_ref(),
        );
        let mut note = format!(
            "the Codex at {} has no `app-server` command (too old?), so this task runs on \
             `codex exec`, which cannot be steered or ask for approvals; update Codex, or set \
             CODEXMCP_ENGINE=exec to say so",
            codex.display()
        );
        if !launch.approval_policy.is_never() {
            note.push_str("; its approval_policy does not apply: Codex will not ask");
        }
        let updated = files.update_meta(|m| m.run_on_exec(argv.clone(), note.clone()));
        let meta = match updated {
            Ok(Some((m, ()))) => m,
            _ => {
                let mut m = meta;
                m.run_on_exec(argv, note);
                m
            }
        };
        (Driver::Exec, meta)
    }

    /// The driver of the engine a task records.
    pub(crate) fn for_engine(engine: CodexEngine) -> Driver {
        match engine {
            CodexEngine::Exec => Driver::Exec,
            CodexEngine::AppServer => Driver::AppServer,
        }
    }

    /// The command line of a task's first run: `codex` with this driver's arguments. A review
    /// on exec is `codex exec review` (app-server takes its review as a request instead).
    pub(crate) fn first_argv(
        self,
        codex: &Path,
        sandbox: CodexSandbox,
        run_dir: &Path,
        session: Option<&str>,
        options: &CodexOptions,
        review: Option<&ReviewLaunch>,
    ) -> Vec<String> {
        let mut argv = vec![codex.to_string_lossy().into_owned()];
        match (self, review) {
            (Driver::Exec, Some(review)) => {
                argv.extend(exec_review_argv(sandbox, run_dir, options, review))
            }
            (Driver::Exec, None) => argv.extend(exec_argv(sandbox, run_dir, session, options)),
            (Driver::AppServer, _) => argv.extend(app_server_argv(options)),
        }
        argv
    }

    /// The command line of a run that continues `session` after a failed one. The recorded
    /// launch is reused: whatever the first run had before codex's own arguments (the
    /// program, any wrapper) stays, and only those change.
    pub(super) fn resume_argv(self, meta: &TaskMeta, session: &str) -> Option<Vec<String>> {
        match self {
            // `codex exec review` has no resume: a review is run again whole.
            Driver::Exec if meta.launch().review.is_some() => Some(meta.launch().argv.clone()),
            Driver::Exec => {
                let sandbox = CodexSandbox::for_task(meta.sandbox, meta.launch().readonly_fallback);
                let args = |session| {
                    exec_argv(
                        sandbox,
                        &meta.placement().run_dir,
                        session,
                        &meta.launch().options,
                    )
                };
                next_run_argv(
                    &meta.launch().argv,
                    &args(meta.resume_session_id.as_deref()),
                    args(Some(session)),
                )
            }
            // The session is the thread's, given when the run opens it: the command is the same.
            Driver::AppServer => Some(meta.launch().argv.clone()),
        }
    }

    /// One run, to its end: `argv` started with `prompt` as its input, stopped on the stop
    /// signal or when the limits say, its events recorded in the task's files.
    pub(super) fn run(
        self,
        files: &TaskFiles,
        meta: &TaskMeta,
        argv: &[String],
        prompt: &Path,
        session: Option<&str>,
        env: &RunEnv<'_>,
    ) -> std::io::Result<Ran> {
        match self {
            Driver::Exec => exec_driver::run(files, meta, argv, prompt, env),
            Driver::AppServer => app_server_driver::run(files, meta, argv, prompt, session, env),
        }
    }
}

/// Whether the Codex at `codex` has `app-server`: from the store when it was asked before for
/// this binary, else asked (`codex app-server --help`) and kept, so a task does not pay for the
/// question.
fn knows_app_server(files: &TaskFiles, codex: &Path) -> bool {
    let store = Store::of_task_dir(&files.dir);
    if let Some(known) = store.as_ref().and_then(|s| s.codex_facts(codex).app_server) {
        return known;
    }
    let has = has_app_server(codex);
    if let Some(store) = store {
        store.learn_codex_facts(codex, |f| f.app_server = Some(has));
    }
    has
}
