//! Starting a task: choose a fresh id, write its folder, launch its supervisor.

use super::recover::finalize_orphan;
use super::spec::TaskSpec;
use super::{Engine, EngineError};
use crate::codex::{CodexOptions, exec_argv, locate_codex};
use crate::runner::spawn_supervisor;
use crate::store::{Sandbox, TaskFiles, TaskMeta, TaskStatus, now_ms, rfc3339, write_atomic};
use crate::workspace::link_task;

/// A task that was just launched. `child` is the supervisor when this process started it;
/// awaiting it is how a blocking call learns of the end at once.
pub struct Started {
    pub meta: TaskMeta,
    pub files: TaskFiles,
    pub child: Option<tokio::process::Child>,
}

impl Engine {
    pub fn start(&self, spec: TaskSpec) -> Result<Started, EngineError> {
        if spec.sandbox == Sandbox::FullAccess {
            return Err(EngineError::Unsupported(
                "sandbox `full-access` (git worktree + tmux) is not available in this version; \
                 use `read-only`"
                    .into(),
            ));
        }
        // Everything that can be checked is checked before anything is written.
        let codex = locate_codex()?;
        let codex = std::path::absolute(&codex).unwrap_or(codex);
        let options = CodexOptions::from_env()?;
        let run_dir = spec.cwd.clone();
        let mut argv = vec![codex.to_string_lossy().into_owned()];
        argv.extend(exec_argv(
            "read-only",
            &run_dir,
            spec.session_id.as_deref(),
            &options,
        ));

        let (task_id, files) = {
            let _guard = self.store.lock()?;
            self.refuse_if_topic_running(&spec)?;
            let (task_id, files) = self.allocate(&spec.topic.full)?;
            let now = now_ms();
            let meta = TaskMeta {
                task_id: task_id.clone(),
                topic: spec.topic.full.clone(),
                sandbox: spec.sandbox,
                cwd: spec.cwd.clone(),
                run_dir,
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
                warnings: Vec::new(),
                outcome: None,
            };
            write_atomic(&files.prompt(), spec.prompt.as_bytes())?;
            files.write_meta(&meta)?;
            (task_id, files)
        };

        let link = link_task(&spec.cwd, &spec.topic.full, &files.dir);
        let meta = files
            .update_meta(|m| match link {
                Ok(path) => m.link = Some(path),
                Err(warning) => m.warnings.push(warning),
            })?
            .map(|(m, ())| m)
            .ok_or_else(|| EngineError::NotFound(task_id.clone()))?;

        match spawn_supervisor(&self.exe, &files.dir, &files.supervisor_log()) {
            Ok(child) => Ok(Started {
                meta,
                files,
                child: Some(child),
            }),
            Err(e) => {
                let message = format!(
                    "could not launch the supervisor {}: {e}",
                    self.exe.display()
                );
                let _ = files.update_meta(|m| {
                    let now = now_ms();
                    m.status = TaskStatus::Failed;
                    m.ended_at_ms = Some(now);
                    m.ended_at = Some(rfc3339(now));
                    m.outcome = Some(crate::store::Outcome {
                        error: Some(message.clone()),
                        ..Default::default()
                    });
                });
                Err(EngineError::Launch(message))
            }
        }
    }

    /// Only one task per topic runs at a time; a dead "running" one is finalized first.
    fn refuse_if_topic_running(&self, spec: &TaskSpec) -> Result<(), EngineError> {
        let base = format!("codex-{}", spec.topic.full);
        for id in self.store.task_ids()? {
            if id != base && !is_rerun_of(&id, &base) {
                continue;
            }
            let files = self.store.task(&id);
            let Some(meta) = finalize_orphan(&files)? else {
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
