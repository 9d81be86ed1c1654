//! `codex_land`: an ended full-access task's work brought into the person's branch in one
//! step (the git is `workspace/land.rs`), then recorded on the task, and its worktree and
//! branch removed unless kept — so a later `gc` has nothing left to lose.

use super::contract::PROMPT_MAX_BYTES;
use super::contract::{LandArgs, LandView};
use super::spec::parse_task_id;
use super::{Engine, EngineError};
use crate::store::{Landed, Sandbox, TaskMeta, WorktreeRecord, now_ms, rfc3339};
use crate::workspace::{LandPlan, remove_worktree_and_branch, worktree_extras};

/// The trailer every landed commit carries.
const TRAILER: &str = "Codex-Task";

/// Lands `args.task_id`'s work. Blocking (git, hooks).
pub(super) fn land(engine: &Engine, args: LandArgs) -> Result<LandView, EngineError> {
    let id = parse_task_id(&args.task_id)?;
    let files = engine.store.task(&id);
    engine.reconciled_meta(&id)?;
    let Some(_landing) = files.try_land_lock()? else {
        return Err(EngineError::Land(format!(
            "task `{id}` is being landed by another call right now"
        )));
    };
    // Read again under the lock: a landing that just finished is seen.
    let meta = engine.reconciled_meta(&id)?;
    let wt = landable(&meta)?.clone();
    let message = commit_message(&meta, &files.prompt(), args.message.as_deref())?;
    let how = args.how.unwrap_or_default();
    let plan = LandPlan {
        checkout: &wt.repo_root,
        worktree: &wt.dir,
        branch: &wt.branch,
        into: args.into.as_deref(),
        how,
        message: &message,
    };
    let done = crate::workspace::land(&plan).map_err(|e| EngineError::Land(e.to_string()))?;
    let keep = args.keep.unwrap_or(false);
    let mut warnings = Vec::new();
    let removed = !keep && remove(&wt, &mut warnings);
    let landed = Landed {
        how,
        into: done.into.clone(),
        committed_leftovers: done.committed_leftovers.clone(),
        commits: done.commits.clone(),
        head: done.head.clone(),
        at: rfc3339(now_ms()),
        kept: !removed,
    };
    files.update_meta(|m| m.landed(landed))?;
    Ok(LandView {
        task_id: id.to_string(),
        how,
        into: done.into,
        committed_leftovers: done.committed_leftovers,
        commits: done.commits,
        diff_stat: done.diff_stat,
        head: done.head,
        worktree_removed: removed,
        warnings,
    })
}

/// The worktree of a task whose work can land: full-access, ended, not landed, still there.
fn landable(meta: &TaskMeta) -> Result<&WorktreeRecord, EngineError> {
    let id = &meta.task_id;
    let refuse = |why: String| Err(EngineError::Land(why));
    let Some(wt) = meta.placement().worktree.as_ref() else {
        return refuse(format!(
            "task `{id}` is {}: only a full-access task has work of its own to land",
            Sandbox::ReadOnly.as_str()
        ));
    };
    if let Some(home) = &wt.bring_home {
        return refuse(format!(
            "task `{id}`'s work is on its host, on branch `{}` in `{}`: {home}, then merge it \
             as any branch (codex_land lands the work of tasks on this machine)",
            wt.branch,
            wt.dir.display()
        ));
    }
    if !meta.status().is_final() {
        return refuse(format!(
            "task `{id}` is still {}: wait for it to end (codex_status with `wait_seconds`), \
             then land it",
            meta.status().as_str()
        ));
    }
    if let Some(l) = &meta.end().landed {
        return refuse(format!(
            "task `{id}` already landed in `{}` at {} (head {})",
            l.into, l.at, l.head
        ));
    }
    if !wt.dir.is_dir() {
        return refuse(format!(
            "task `{id}`'s worktree {} is gone (removed by gc or by hand); its branch `{}` may \
             still be there: git merge {} in your checkout",
            wt.dir.display(),
            wt.branch,
            wt.branch
        ));
    }
    Ok(wt)
}

/// The message given (with the task's trailer added), or one made from the task's topic and
/// the first line of its prompt.
fn commit_message(
    meta: &TaskMeta,
    prompt: &std::path::Path,
    given: Option<&str>,
) -> Result<String, EngineError> {
    let trailer = format!("{TRAILER}: {}", meta.task_id);
    let body = match given {
        Some(m) if m.trim().is_empty() => {
            return Err(EngineError::invalid(
                "message",
                "it is empty; leave it out for one made from the task",
            ));
        }
        Some(m) if m.len() > PROMPT_MAX_BYTES => {
            return Err(EngineError::invalid("message", "it is longer than 1 MiB"));
        }
        Some(m) => m.trim_end().to_string(),
        None => default_subject(meta, prompt),
    };
    Ok(match body.contains(&format!("{TRAILER}:")) {
        true => body,
        false => format!("{body}\n\n{trailer}"),
    })
}

/// `<topic>: <the prompt's first line>`, at most 72 characters.
fn default_subject(meta: &TaskMeta, prompt: &std::path::Path) -> String {
    let prompt = std::fs::read_to_string(prompt).unwrap_or_default();
    let first = prompt
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("Codex's work");
    let subject = format!("{}: {first}", meta.topic);
    match subject.chars().count() > 72 {
        true => format!("{}…", subject.chars().take(71).collect::<String>()),
        false => subject,
    }
}

/// Removes the landed task's worktree and branch; what it could not remove, or what went with
/// it, is said.
fn remove(wt: &WorktreeRecord, warnings: &mut Vec<String>) -> bool {
    if let Ok(extras) = worktree_extras(&wt.dir, &wt.branch, &wt.base_branch)
        && extras.ignored > 0
    {
        warnings.push(format!(
            "the worktree held {} ignored path(s) (build output, say), removed with it",
            extras.ignored
        ));
    }
    match remove_worktree_and_branch(&wt.repo_root, &wt.dir, &wt.branch) {
        Ok(()) => true,
        Err(e) => {
            warnings.push(format!(
                "the work landed, but the worktree {} or its branch `{}` could not be removed \
                 ({}); codex-mcp gc removes them later",
                wt.dir.display(),
                wt.branch,
                e.message()
            ));
            false
        }
    }
}
