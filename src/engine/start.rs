//! Starting a task: check everything, choose a fresh id, write its folder, launch its
//! supervisor where its [`Launch`] says — detached (read-only), or where a person can watch it,
//! inside an isolated git worktree (full-access).

use std::path::{Path, PathBuf};

use super::catalog_check::Given;
use super::contract::MAX_TIMEOUT_SECONDS;
use super::hosts::no_link_on_host;
use super::spec::TaskSpec;
use super::{Engine, EngineError};
use crate::codex::{CodexOptions, CodexSandbox, locate_codex};
use crate::config::hosts::{ANY_HOST, Host};
use crate::config::is_executable;
use crate::runner::{Chosen, Driver, Launch, LaunchError, LaunchStarted, live_waiters, task_ended};
use crate::store::{
    LaunchRecord, Lineage, Outcome, Placement, Sandbox, TaskFiles, TaskId, TaskMeta, TaskStatus,
    TaskSummary, WorktreeRecord, now_ms, write_atomic, write_json,
};
use crate::workspace::{Snapshot, Worktree, link_task, locate_worktree, prepare_worktree};

/// The instruction an audited read-only task gets before its prompt, since no sandbox
/// enforces it.
const FALLBACK_PREAMBLE: &str = "IMPORTANT: this is a read-only task. Do not create, modify, \
move or delete any file, do not commit, do not install anything: only read files and run \
commands that change nothing. Every change is detected and reported.\n\n";
const FALLBACK_WARNING: &str = "Codex's read-only sandbox is off (CODEXMCP_READONLY_FALLBACK): \
Codex was told to change nothing, and `readonly_audit` says whether it did";

/// A task that was just launched. `child` is the supervisor when this process spawned it
/// directly; awaiting it is how a blocking call learns of the end at once.
pub struct Started {
    pub task_id: TaskId,
    pub meta: TaskMeta,
    pub child: Option<tokio::process::Child>,
}

/// What a start needs that can be found and checked before anything is written.
struct Preflight {
    /// The program that runs the supervisor.
    exe: PathBuf,
    codex: PathBuf,
    /// What codex runs with: the call's options, else the session's, else the configured ones.
    options: CodexOptions,
    timeout_seconds: Option<u64>,
    /// A resume: the session's token total before this task, when known.
    usage_before: Option<crate::codex::Usage>,
    /// Which program drives Codex, why not the configured one when it is not, and a profile's
    /// settings for its thread.
    chosen: Chosen,
    /// The host the task names (`None` for this machine, and for `any`, chosen at placing).
    host: Option<Host>,
}

/// Where and how codex will run, decided under the store lock.
pub(super) struct Placed {
    pub run_dir: PathBuf,
    pub sandbox: CodexSandbox,
    pub worktree: Option<WorktreeRecord>,
    /// The worktree as prepared, to undo what it made if the start fails after all.
    pub prepared: Option<Worktree>,
    pub warnings: Vec<String>,
    /// Where its supervisor runs (and, for a host's task, which host).
    pub launch: Launch,
    /// How many tasks run at once where it runs: its host's `max_parallel`, or this
    /// machine's.
    pub places: usize,
}

/// Where a task on a host runs: its folder there (this machine cannot look at it), in
/// Codex's sandbox there.
fn on_host(spec: &TaskSpec) -> Placed {
    Placed {
        run_dir: spec.run_dir.clone().unwrap_or_else(|| spec.cwd.clone()),
        sandbox: CodexSandbox::for_task(spec.sandbox, false),
        worktree: None,
        prepared: None,
        warnings: Vec::new(),
        launch: Launch::default(),
        places: 0,
    }
}

impl Engine {
    /// Starts the task `spec` describes; it then runs on its own, whatever becomes of this
    /// server.
    pub(super) fn start(&self, spec: TaskSpec) -> Result<Started, EngineError> {
        let pre = self.preflight(&spec)?;
        let (task_id, meta, files) = self.reserve(&spec, &pre)?;
        let linked = match Launch::of(&meta).host() {
            Some(host) => no_link_on_host(host),
            None => link_task(&spec.cwd, &spec.topic.full, &files.dir),
        };
        let meta = files
            .update_meta(|m| {
                m.linked(linked.link);
                m.warn(linked.warnings);
            })?
            .map(|(m, ())| m)
            .unwrap_or(meta);
        // What the directory holds before Codex runs, to audit what it holds after: taken once
        // the task's own link (and git's exclude line for it) is in place. Without it the
        // audit says the directory was not compared.
        if meta.launch().readonly_fallback {
            let _ = write_json(&files.audit_before(), &Snapshot::take(&spec.cwd));
        }
        // The person's own checkout, to see at the end whether the task wrote there too.
        if let Some(wt) = &meta.placement().worktree {
            let _ = write_json(
                &files.checkout_before(),
                &Snapshot::of_checkout(&wt.repo_root),
            );
        }
        self.launch(&pre, task_id, meta, &files)
    }

    /// Everything that can be checked is checked before anything is written.
    fn preflight(&self, spec: &TaskSpec) -> Result<Preflight, EngineError> {
        if self.config.depth >= self.config.max_depth {
            return Err(EngineError::TooDeep {
                depth: self.config.depth,
                max: self.config.max_depth,
            });
        }
        let exe = self.supervisor_exe()?;
        let host = self.host_of(spec)?;
        // A host's Codex is its own: this machine needs none for it.
        let codex = match &spec.host {
            Some(_) => PathBuf::from("codex"),
            None => locate_codex(&self.config)?,
        };
        let defaults = CodexOptions::from_config(&self.config)?;
        let history = spec
            .session_id
            .as_deref()
            .map(|sid| self.session_history(sid))
            .unwrap_or_default();
        let options = spec.options.clone().or(&history.options).or(&defaults);
        let timeout_seconds = match spec.timeout_seconds {
            Some(s) => Some(s),
            None => self
                .config
                .task_timeout
                .as_ref()
                .map(|t| t.parse_in(1..=MAX_TIMEOUT_SECONDS))
                .transpose()?,
        };
        let chosen = match &spec.host {
            Some(_) => self.host_driver(spec)?,
            None => {
                self.check_options(spec, &history.options, &codex, &options)?;
                self.choose_driver(spec, &codex, &options)?
            }
        };
        Launch::for_task(
            spec.sandbox,
            &spec.topic.full,
            host.as_ref().map(|h| h.name.as_str()),
        )
        .ready(&self.config, |tag| self.is_running(tag))?;
        Ok(Preflight {
            exe,
            codex,
            options,
            timeout_seconds,
            usage_before: history.usage_total,
            host,
            chosen,
        })
    }

    /// The model and reasoning effort against Codex's catalog; an error names where each came
    /// from (the parameter, or the variable that set it).
    fn check_options(
        &self,
        spec: &TaskSpec,
        earlier: &CodexOptions,
        codex: &Path,
        options: &CodexOptions,
    ) -> Result<(), EngineError> {
        let given = |param: bool, setting: Option<&crate::config::Setting>| match (param, setting) {
            (false, Some(s)) => Given::Setting(s.var),
            _ => Given::Parameter,
        };
        let model_from = given(
            spec.options.model.is_some() || earlier.model.is_some(),
            self.config.model.as_ref(),
        );
        let effort_from = given(
            spec.options.reasoning_effort.is_some() || earlier.reasoning_effort.is_some(),
            self.config.reasoning_effort.as_ref(),
        );
        self.check_model_and_effort(codex, options, model_from, effort_from)
    }

    /// The driver the task runs on, decided here once; a task that asks needs one that can.
    fn choose_driver(
        &self,
        spec: &TaskSpec,
        codex: &Path,
        options: &CodexOptions,
    ) -> Result<Chosen, EngineError> {
        let chosen = Driver::choose(&self.config, &self.store, codex, options);
        if !spec.approval_policy.is_never() && !chosen.driver.asks_approvals() {
            let why = chosen
                .note
                .clone()
                .unwrap_or_else(|| "this server runs `codex exec` (CODEXMCP_ENGINE=exec)".into());
            return Err(EngineError::invalid(
                "approval_policy",
                format!(
                    "`{}` needs Codex's app-server, which can ask; {why}. Use `never`",
                    spec.approval_policy.as_str()
                ),
            ));
        }
        Ok(chosen)
    }

    /// Under the store lock, so racing servers start a topic once: refuses a running topic,
    /// places the run, takes a fresh id and writes the task's record and prompt.
    fn reserve(
        &self,
        spec: &TaskSpec,
        pre: &Preflight,
    ) -> Result<(TaskId, TaskMeta, TaskFiles), EngineError> {
        let _guard = self.store.lock()?;
        self.refuse_if_topic_running(spec)?;
        // `any` is decided here, under the lock, so tasks started at once spread out.
        let host = match spec.host.as_deref() {
            Some(ANY_HOST) => Some(self.place_on_host(ANY_HOST)?),
            _ => pre.host.clone(),
        };
        let launch = Launch::for_task(
            spec.sandbox,
            &spec.topic.full,
            host.as_ref().map(|h| h.name.as_str()),
        );
        let mut placement = match (spec.sandbox, launch.host()) {
            (_, Some(_)) => on_host(spec),
            (Sandbox::FullAccess, None) => self.place_in_worktree(spec)?,
            (Sandbox::ReadOnly, None) => Placed {
                run_dir: spec.run_dir.clone().unwrap_or_else(|| spec.cwd.clone()),
                sandbox: CodexSandbox::for_task(spec.sandbox, self.config.readonly_fallback),
                worktree: None,
                prepared: None,
                warnings: match self.config.readonly_fallback {
                    true => vec![FALLBACK_WARNING.into()],
                    false => Vec::new(),
                },
                // (Set by the caller: where it runs is decided with the host.)
                launch: Launch::default(),
                places: 0,
            },
        };
        placement.launch = launch;
        placement.places = host.map_or(self.config.max_parallel, |h| h.max_parallel);
        let prepared = placement.prepared.clone();
        // A task refused from here on leaves nothing: not its worktree, not its folder.
        self.record(spec, pre, placement).inspect_err(|_| {
            if let Some(wt) = &prepared {
                wt.undo();
            }
        })
    }

    /// Takes a fresh id and writes the task's folder: its prompt and its record.
    fn record(
        &self,
        spec: &TaskSpec,
        pre: &Preflight,
        placement: Placed,
    ) -> Result<(TaskId, TaskMeta, TaskFiles), EngineError> {
        let (task_id, files) = self.allocate(&spec.topic.full)?;
        let now = now_ms();
        let host = placement.launch.host().map(str::to_string);
        let limit = placement.places;
        let mut meta = self.new_record(spec, pre, placement, &task_id, &files, now);
        // Queued behind others, or when every place is taken; its supervisor waits for one.
        let pool = self.store.pool(host.as_deref());
        if live_waiters(&self.store, &pool, &self.config) > 0 || pool.free_slots(limit) == 0 {
            meta.queue();
        }
        let prompt = if meta.launch().readonly_fallback {
            format!("{FALLBACK_PREAMBLE}{}", spec.prompt)
        } else {
            spec.prompt.clone()
        };
        let written = write_atomic(&files.prompt(), prompt.as_bytes())
            .and_then(|()| files.make_reserve())
            .and_then(|()| files.create_meta(&meta))
            .and_then(|()| pool.enqueue(&task_id, now).map(|_| ()));
        if let Err(e) = written {
            // An empty folder would burn the id for good.
            let _ = std::fs::remove_dir_all(&files.dir);
            return Err(e.into());
        }
        Ok((task_id, meta, files))
    }

    /// The first record of a task: what was asked, where and how it runs, its limits.
    fn new_record(
        &self,
        spec: &TaskSpec,
        pre: &Preflight,
        mut placement: Placed,
        task_id: &TaskId,
        files: &TaskFiles,
        now: u64,
    ) -> TaskMeta {
        let warnings = std::mem::take(&mut placement.warnings);
        let (placed, launch) = self.placed_and_launched(spec, pre, placement);
        let mut meta = TaskMeta::born(
            task_id.to_string(),
            spec.topic.full.clone(),
            spec.sandbox,
            now,
            files.log(),
            placed,
            launch,
        );
        meta.resume_session_id = spec.session_id.clone();
        meta.usage_before = pre.usage_before;
        // A setting that could not be used as given is said with every task it touches.
        meta.warn(warnings);
        meta.warn(self.config.problems.iter().cloned());
        meta.warn(pre.chosen.note.clone());
        meta
    }

    /// Where the task runs, and how: its placement and its launch, as the record keeps them.
    fn placed_and_launched(
        &self,
        spec: &TaskSpec,
        pre: &Preflight,
        placement: Placed,
    ) -> (Placement, LaunchRecord) {
        let on_host = placement.launch.host().is_some();
        let driver = pre.chosen.driver;
        let argv = driver.first_argv(
            &pre.codex,
            placement.sandbox,
            &placement.run_dir,
            spec.session_id.as_deref(),
            &pre.options,
            spec.review.as_ref(),
        );
        let placed = Placement {
            cwd: spec.cwd.clone(),
            run_dir: placement.run_dir,
            worktree: placement.worktree,
            link: None,
        };
        let launch = LaunchRecord {
            argv,
            options: pre.options.clone(),
            timeout_seconds: pre.timeout_seconds,
            retries: spec.retries,
            readonly_fallback: spec.sandbox == Sandbox::ReadOnly
                && self.config.readonly_fallback
                && !on_host,
            lineage: Some(Lineage {
                depth: self.config.depth + 1,
                max_depth: self.config.max_depth,
                max_parallel: self.config.max_parallel,
            }),
            launched: placement.launch,
            engine: driver.engine(),
            approval_policy: spec.approval_policy,
            thread_config: pre.chosen.thread_config.clone(),
            review: spec.review.clone(),
            supervisor_pid: None,
            codex_pid: None,
        };
        (placed, launch)
    }

    /// Starts the supervisor; a failure is recorded in the task before it is reported.
    fn launch(
        &self,
        pre: &Preflight,
        task_id: TaskId,
        meta: TaskMeta,
        files: &TaskFiles,
    ) -> Result<Started, EngineError> {
        let launched: Result<_, LaunchError> =
            Launch::of(&meta).start(&self.config, &pre.exe, files);
        match launched {
            Ok(LaunchStarted { child, warnings }) => {
                let meta = if warnings.is_empty() {
                    meta
                } else {
                    files
                        .update_meta(|m| m.warn(warnings))?
                        .map_or(meta, |(m, ())| m)
                };
                Ok(Started {
                    task_id,
                    meta,
                    child,
                })
            }
            Err(e) => {
                let ended = files.update_meta(|m| {
                    m.finish(
                        TaskStatus::Failed,
                        Outcome {
                            error: Some(format!("could not start the task: {e}")),
                            ..Default::default()
                        },
                    )
                });
                if let Ok(Some((meta, true))) = &ended {
                    task_ended(&self.config, meta);
                }
                files.discard_launch_env();
                Err(e.into())
            }
        }
    }

    /// True when `tag` names a task that still runs (one whose supervisor died is finalized
    /// on the way). A launch left behind by an earlier, finished task (a user's
    /// `remain-on-exit`, a killed supervisor) may then be closed.
    fn is_running(&self, tag: &str) -> bool {
        TaskId::parse(tag)
            .ok()
            .and_then(|id| self.finalize_orphan(&self.store.task(&id)).ok().flatten())
            .is_some_and(|m| !m.status().is_final())
    }

    /// The program that runs supervisors: this executable, or, when a package upgrade removed
    /// or replaced it since this server started, the installed `codex-mcp` found again.
    fn supervisor_exe(&self) -> Result<PathBuf, EngineError> {
        // Linux names a deleted executable "<path> (deleted)".
        let named = self.exe.to_string_lossy();
        let original = PathBuf::from(named.trim_end_matches(" (deleted)"));
        [
            Some(self.exe.clone()),
            Some(original),
            self.config.find_on_path("codex-mcp"),
        ]
        .into_iter()
        .flatten()
        .find(|p| is_executable(p))
        .ok_or_else(|| EngineError::ExecutableGone(self.exe.clone()))
    }

    /// The worktree of `<type>-<desc>`, refused while another running task uses it.
    fn place_in_worktree(&self, spec: &TaskSpec) -> Result<Placed, EngineError> {
        let root = self.config.worktree_root.as_deref();
        let key = spec.topic.key();
        let dir = locate_worktree(&spec.cwd, &key, root)?.dir;
        if let Some(task_id) = self.task_using_worktree(&dir)? {
            return Err(EngineError::WorktreeBusy { dir, task_id });
        }
        let wt = prepare_worktree(&spec.cwd, &key, root)?;
        Ok(Placed {
            run_dir: wt.run_dir.clone(),
            sandbox: CodexSandbox::for_task(spec.sandbox, self.config.readonly_fallback),
            worktree: Some(WorktreeRecord {
                repo_root: wt.repo_root.clone(),
                dir: wt.dir.clone(),
                branch: wt.branch.clone(),
                base_branch: wt.base_branch.clone(),
                bring_home: None,
            }),
            warnings: wt.warnings.clone(),
            prepared: Some(wt),
            launch: Launch::default(),
            places: 0,
        })
    }

    /// The task that has not ended and works in the worktree `dir`, if any. Call it under the
    /// store lock: starting a task and gc's removal of a worktree both decide by it.
    pub(super) fn task_using_worktree(&self, dir: &Path) -> Result<Option<String>, EngineError> {
        for id in self.store.task_ids()? {
            let files = self.store.task(&id);
            let uses_it = |t: &TaskSummary| {
                !t.status.is_final() && t.worktree.as_ref().is_some_and(|w| w.dir == dir)
            };
            // Cheap read first; only a task that claims the worktree is checked for life.
            if !files
                .read_summary()
                .ok()
                .flatten()
                .is_some_and(|t| uses_it(&t))
            {
                continue;
            }
            if let Ok(Some(meta)) = self.finalize_orphan(&files)
                && !meta.status().is_final()
            {
                return Ok(Some(meta.task_id));
            }
        }
        Ok(None)
    }

    /// Only one task per topic runs at a time; a dead "running" one is finalized first.
    fn refuse_if_topic_running(&self, spec: &TaskSpec) -> Result<(), EngineError> {
        let base = format!("codex-{}", spec.topic.full);
        for id in self.store.task_ids()? {
            if id.as_str() != base && !is_rerun_of(id.as_str(), &base) {
                continue;
            }
            // A record this version cannot read (e.g. left by the Python server) runs nothing.
            let Ok(Some(meta)) = self.finalize_orphan(&self.store.task(&id)) else {
                continue;
            };
            if meta.topic == spec.topic.full && !meta.status().is_final() {
                return Err(EngineError::TopicBusy {
                    topic: spec.topic.full.clone(),
                    task_id: id,
                    // A new version of a full-access topic would share the busy worktree.
                    suggestion: match spec.sandbox {
                        Sandbox::FullAccess => spec.topic.another_description(),
                        Sandbox::ReadOnly => spec.topic.next_version(),
                    },
                });
            }
        }
        Ok(())
    }

    /// `codex-<topic>`, or `codex-<topic>-r2`, `-r3`… when the topic ran before. A topic always
    /// ends in `-v<N>`, so these ids cannot collide with another topic's.
    fn allocate(&self, topic: &str) -> Result<(TaskId, TaskFiles), EngineError> {
        let base = format!("codex-{topic}");
        for n in 1u32..10_000 {
            let name = if n == 1 {
                base.clone()
            } else {
                format!("{base}-r{n}")
            };
            let id = TaskId::parse(&name).map_err(|e| EngineError::Internal(e.to_string()))?;
            let files = self.store.task(&id);
            match files.create_dir() {
                Ok(()) => return Ok((id, files)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(crate::store::StoreError::io(&files.dir, e).into()),
            }
        }
        Err(EngineError::IdsExhausted(topic.to_string()))
    }
}

fn is_rerun_of(id: &str, base: &str) -> bool {
    id.strip_prefix(base)
        .and_then(|rest| rest.strip_prefix("-r"))
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn rerun_ids() {
        assert!(super::is_rerun_of("codex-a-b-v1-r2", "codex-a-b-v1"));
        assert!(!super::is_rerun_of("codex-a-b-v1-r2-v1", "codex-a-b-v1"));
        assert!(!super::is_rerun_of("codex-a-b-v12", "codex-a-b-v1"));
    }
}
