//! Completing a finished task's records, once: the first reader after the end takes what the
//! supervisor could not (the findings of a full-access task it did not end), audits a fallback
//! read-only task, closes a session a user's tmux settings kept, and removes the environment
//! handed to the supervisor.

use super::{Engine, EngineError};
use crate::codex::Progress;
use crate::runner::{Launch, end_findings};
use crate::store::{AuditMode, ReadonlyAudit, TaskFiles, TaskMeta, Verdict, read_json};
use crate::workspace::Snapshot;

impl Engine {
    /// Returns the record as it stands afterwards.
    pub(super) fn settle(
        &self,
        files: &TaskFiles,
        meta: TaskMeta,
    ) -> Result<TaskMeta, EngineError> {
        if !meta.status().is_final() || meta.end().settled {
            return Ok(meta);
        }
        files.discard_launch_env();
        files.release_reserve();
        let _ = std::fs::remove_dir_all(files.sockets_dir());
        let _ = Launch::of(&meta).close(&self.config);
        // The supervisor takes these before it records the end; a task it did not end
        // (cancelled, or its supervisor died) gets them here.
        let findings = end_findings(files, &meta, &self.config);
        let audit = meta.launch().readonly_fallback.then(|| audit(files, &meta));
        let updated = files.update_meta(|m| m.settle(findings.clone(), audit.clone()))?;
        Ok(updated.map_or(meta, |(m, ())| m))
    }
}

/// What an audited read-only task changed: the directory compared with its state before the
/// task, plus the file changes Codex reported and the commands it ran that write. Any one of
/// them is a violation; the comparison alone catches a write whatever made it.
fn audit(files: &TaskFiles, meta: &TaskMeta) -> ReadonlyAudit {
    let mut violations = match read_json::<Snapshot>(&files.audit_before()) {
        Ok(Some(before)) => {
            let after = Snapshot::take(&meta.placement().cwd);
            // Who made a change, the comparison cannot tell: Codex, or the person at work in
            // the same checkout meanwhile.
            let mut v: Vec<String> = after
                .changes_since(&before)
                .into_iter()
                .map(|c| format!("changed while the task ran: {c}"))
                .collect();
            v.extend(
                after
                    .incomplete
                    .map(|why| format!("not fully compared: {why}")),
            );
            v
        }
        _ => vec!["the directory's state before the task is missing; not compared".into()],
    };
    let progress: Progress = read_json(&files.progress())
        .ok()
        .flatten()
        .unwrap_or_default();
    violations.extend(
        progress
            .changed_paths()
            .map(|p| format!("file change by codex: {p}")),
    );
    violations.extend(
        progress
            .mutating_commands
            .iter()
            .map(|c| format!("command that writes: {c}")),
    );
    ReadonlyAudit {
        mode: AuditMode::Fallback,
        violations_detected: violations.len(),
        verdict: if violations.is_empty() {
            Verdict::Clean
        } else {
            Verdict::Violation
        },
        violations,
        not_seen: NOT_SEEN.into(),
    }
}

/// What the fallback audit cannot see, said with every verdict.
const NOT_SEEN: &str = "The audit compares the task's directory (its repository with ignored \
     files and .git/ config, hooks, info and refs) before and after the task: it cannot tell who \
     made a change there, sees a write elsewhere only when Codex reported it, compares ignored \
     files by size and time, and cannot see what a process started through another daemon \
     (systemd, cron, a tmux server reached by its socket path) does after the task ended.";
