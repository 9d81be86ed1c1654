//! Starting a task: check everything, choose a fresh id, write its folder, launch its
//! supervisor — as a detached process (read-only) or in a tmux session inside an isolated git
//! worktree (full-access).

use std::path::PathBuf;

use super::recover::finalize_orphan;
use super::spec::TaskSpec;
use super::{Engine, EngineError};
use crate::codex::{CodexOptions, exec_argv, locate_codex};
use crate::runner::{Tmux, launch_in_tmux, spawn_supervisor};
use crate::store::{
    Outcome, Sandbox, TaskFiles, TaskMeta, TaskStatus, TaskSummary, WorktreeRecord, now_ms,
    rfc3339, write_atomic,
};
use crate::workspace::{link_task, locate_worktree, prepare_worktree};

pub const WORKTREE_ROOT_ENV: &str = "CODEXMCP_WORKTREE_ROOT";

/// A task that was just launched. `child` is the supervisor when this process spawned it
/// directly; awaiting it is how a blocking call learns of the end at once.
pub struct Started {
    pub meta: TaskMeta,
    pub files: TaskFiles,
    pub child: Option<tokio::process::Child>,
}

/// Where and how codex will run, decided under the store lock.
struct Placement {
    run_dir: PathBuf,
    sandbox_mode: &'static str,
    worktree: Option<WorktreeRecord>,
    tmux_session: Option<String>,
    warnings: Vec<String>,
}

impl Engine {
    pub fn start(&self, spec: TaskSpec) -> Result<Started, EngineError> {
        // Everything that can be checked is checked before anything is written.
        let codex = locate_codex()?;
        let codex = std::path::absolute(&codex).unwrap_or(codex);
        let options = CodexOptions::from_env()?;
        let tmux = match spec.sandbox {
            Sandbox::FullAccess => Some(Tmux::locate().map_err(EngineError::Unsupported)?),
            Sandbox::ReadOnly => None,
        };
        let session = format!("codex-{}", spec.topic.full);
        if let Some(t) = &tmux
            && t.has_session(&session)
        {
            return Err(EngineError::Launch(format!(
                "a tmux session named `{session}` already exists (left over from an earlier run?). \
                 Look at it with `tmux attach -t {session}` and close it with \
                 `tmux kill-session -t {session}`, or use a new topic version"
            )));
        }

        let (meta, files) = {
            let _guard = self.store.lock()?;
            self.refuse_if_topic_running(&spec)?;
            let placement = match spec.sandbox {
                Sandbox::ReadOnly => Placement {
                    run_dir: spec.cwd.clone(),
                    sandbox_mode: "read-only",
                    worktree: None,
                    tmux_session: None,
                    warnings: Vec::new(),
                },
                Sandbox::FullAccess => self.place_in_worktree(&spec, session.clone())?,
            };
            let (task_id, files) = self.allocate(&spec.topic.full)?;
            let mut argv = vec![codex.to_string_lossy().into_owned()];
            argv.extend(exec_argv(
                placement.sandbox_mode,
                &placement.run_dir,
                spec.session_id.as_deref(),
                &options,
            ));
            let now = now_ms();
            let meta = TaskMeta {
                task_id,
                topic: spec.topic.full.clone(),
                sandbox: spec.sandbox,
                cwd: spec.cwd.clone(),
                run_dir: placement.run_dir,
                resume_session_id: spec.session_id.clone(),
                status: TaskStatus::Running,
                started_at: rfc3339(now),
                started_at_ms: now,
                ended_at: None,
                ended_at_ms: None,
                argv,
                supervisor_pid: None,
                codex_pid: None,
                log_file: files.log(),
                link: None,
                warnings: placement.warnings,
                outcome: None,
                worktree: placement.worktree,
                tmux_session: placement.tmux_session,
            };
            write_atomic(&files.prompt(), spec.prompt.as_bytes())?;
            files.write_meta(&meta)?;
            (meta, files)
        };

        let link = link_task(&spec.cwd, &spec.topic.full, &files.dir);
        let meta = files
            .update_meta(|m| match link {
                Ok(path) => m.link = Some(path),
                Err(warning) => m.warnings.push(warning),
            })?
            .map(|(m, ())| m)
            .unwrap_or(meta);

        let launched = match &tmux {
            None => spawn_supervisor(&self.exe, &files.dir, &files.supervisor_log())
                .map(Some)
                .map_err(|e| {
                    format!(
                        "could not launch the supervisor {}: {e}",
                        self.exe.display()
                    )
                }),
            Some(t) => {
                launch_in_tmux(t, &self.exe, &files.dir, &session, &meta.run_dir).map(|()| None)
            }
        };
        match launched {
            Ok(child) => Ok(Started { meta, files, child }),
            Err(message) => {
                let _ = files.update_meta(|m| {
                    m.finish(
                        TaskStatus::Failed,
                        Outcome {
                            error: Some(message.clone()),
                            ..Default::default()
                        },
                    )
                });
                Err(EngineError::Launch(message))
            }
        }
    }

    /// The worktree of `<type>-<desc>`, refused while another running task uses it.
    fn place_in_worktree(
        &self,
        spec: &TaskSpec,
        session: String,
    ) -> Result<Placement, EngineError> {
        let root = std::env::var_os(WORKTREE_ROOT_ENV)
            .filter(|r| !r.is_empty())
            .map(PathBuf::from);
        let (_, _, dir, _) = locate_worktree(
            &spec.cwd,
            &spec.topic.kind,
            &spec.topic.desc,
            root.as_deref(),
        )?;
        for id in self.store.task_ids()? {
            let files = self.store.task(&id);
            let uses_it = |t: &TaskSummary| {
                t.status == TaskStatus::Running && t.worktree.as_ref().is_some_and(|w| w.dir == dir)
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
            if let Ok(Some(meta)) = finalize_orphan(&files)
                && meta.status == TaskStatus::Running
            {
                return Err(EngineError::WorktreeBusy {
                    dir,
                    task_id: meta.task_id,
                });
            }
        }
        let wt = prepare_worktree(
            &spec.cwd,
            &spec.topic.kind,
            &spec.topic.desc,
            root.as_deref(),
        )?;
        Ok(Placement {
            run_dir: wt.run_dir,
            sandbox_mode: "danger-full-access",
            worktree: Some(WorktreeRecord {
                repo_root: wt.repo_root,
                dir: wt.dir,
                branch: wt.branch,
                base_branch: wt.base_branch,
            }),
            tmux_session: Some(session),
            warnings: wt.warnings,
        })
    }

    /// Only one task per topic runs at a time; a dead "running" one is finalized first.
    fn refuse_if_topic_running(&self, spec: &TaskSpec) -> Result<(), EngineError> {
        let base = format!("codex-{}", spec.topic.full);
        for id in self.store.task_ids()? {
            if id != base && !is_rerun_of(&id, &base) {
                continue;
            }
            // A record this version cannot read (e.g. left by the Python server) runs nothing.
            let Ok(Some(meta)) = finalize_orphan(&self.store.task(&id)) else {
                continue;
            };
            if meta.topic == spec.topic.full && meta.status == TaskStatus::Running {
                return Err(EngineError::TopicBusy {
                    topic: spec.topic.full.clone(),
                    task_id: id,
                    suggestion: spec.topic.next_version(),
                });
            }
        }
        Ok(())
    }

    /// `codex-<topic>`, or `codex-<topic>-r2`, `-r3`… when the topic ran before. A topic always
    /// ends in `-v<N>`, so these ids cannot collide with another topic's.
    fn allocate(&self, topic: &str) -> Result<(String, TaskFiles), EngineError> {
        let base = format!("codex-{topic}");
        for n in 1u32.. {
            let id = if n == 1 {
                base.clone()
            } else {
                format!("{base}-r{n}")
            };
            let files = self.store.task(&id);
            match files.create_dir() {
                Ok(()) => return Ok((id, files)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(crate::store::StoreError::io(&files.dir, e).into()),
            }
        }
        Err(EngineError::Launch(format!(
            "no free task id left for topic `{topic}`"
        )))
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
