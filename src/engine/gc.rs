//! `codex-mcp gc`: for finished tasks older than a given age, removes the worktrees and
//! `agent/*` branches that hold no work of their own, then the task folders and their
//! `.codex-tasks` links. Never anything of a running task; never a branch with unmerged
//! commits or a worktree with uncommitted changes unless forced; the folder of a task whose
//! worktree is kept stays too.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::{Engine, EngineError};
use crate::store::{TaskFiles, TaskMeta, WorktreeRecord, now_ms};
use crate::workspace::{
    BranchWork, WorktreeExtras, branch_work, remove_worktree_and_branch, uncommitted_changes,
    worktree_extras,
};

/// What gc does with one thing, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GcItem {
    /// `worktree` (with its branch) or `task` (its folder and link).
    pub kind: &'static str,
    /// The worktree's path and branch, or the task id.
    pub target: String,
    pub remove: bool,
    pub reason: String,
}

/// How gc chooses.
#[derive(Debug, Clone, Copy)]
pub struct GcRules {
    /// Only tasks that ended at least this long ago.
    pub older_than: Duration,
    /// Also remove unmerged branches and worktrees with uncommitted changes.
    pub force: bool,
    /// Decide, print, and change nothing.
    pub dry_run: bool,
}

/// Decides (and, unless a dry run, does) what gc removes. Returns every decision.
pub(super) fn gc(engine: &Engine, rules: GcRules) -> Result<Vec<GcItem>, EngineError> {
    let cutoff = now_ms().saturating_sub(rules.older_than.as_millis() as u64);
    let mut tasks: Vec<(TaskMeta, TaskFiles)> = Vec::new();
    for id in engine.store.task_ids()? {
        let files = engine.store.task(&id);
        if let Ok(Some(m)) = engine.finalize_orphan(&files) {
            tasks.push((m, files));
        }
    }
    let old =
        |m: &TaskMeta| m.status().is_final() && m.end().ended_at_ms.is_some_and(|e| e <= cutoff);
    // Worktrees first: a task's folder goes only when its worktree does.
    let (mut items, kept_worktrees) = worktrees(engine, &tasks, &old, rules);
    for (m, files) in tasks.iter().filter(|(m, _)| old(m)) {
        let kept = m
            .placement()
            .worktree
            .as_ref()
            .is_some_and(|w| kept_worktrees.contains(&w.dir));
        let mut item = GcItem {
            kind: "task",
            target: m.task_id.clone(),
            remove: !kept,
            reason: if kept {
                "its worktree is kept".into()
            } else {
                format!("ended {}", m.end().ended_at.clone().unwrap_or_default())
            },
        };
        if item.remove && !rules.dry_run {
            remove_task(m, files, &mut item);
        }
        items.push(item);
    }
    Ok(items)
}

/// What gc decides (and does) about each task worktree; with the worktrees it keeps.
fn worktrees(
    engine: &Engine,
    tasks: &[(TaskMeta, TaskFiles)],
    old: &dyn Fn(&TaskMeta) -> bool,
    rules: GcRules,
) -> (Vec<GcItem>, Vec<PathBuf>) {
    let mut items = Vec::new();
    let mut by_worktree: BTreeMap<PathBuf, Vec<&TaskMeta>> = BTreeMap::new();
    for (m, _) in tasks {
        // A worktree on a host is the host's: gc here does not reach it.
        if let Some(wt) = m
            .placement()
            .worktree
            .as_ref()
            .filter(|w| w.bring_home.is_none())
        {
            by_worktree.entry(wt.dir.clone()).or_default().push(m);
        }
    }
    let mut kept_worktrees = Vec::new();
    for (dir, users) in &by_worktree {
        let (remove, reason) = match users.iter().find(|m| !old(m)) {
            Some(m) if !m.status().is_final() => (false, format!("task {} is running", m.task_id)),
            Some(m) => (false, format!("task {} ended too recently", m.task_id)),
            None => {
                let newest = users.iter().max_by_key(|m| m.started_at_ms);
                let work = Work {
                    newest_task: newest.map_or("", |m| m.task_id.as_str()),
                    landed: users.iter().any(|m| m.end().landed.is_some()),
                };
                judge(users[0].placement().worktree.as_ref(), &work, rules.force)
            }
        };
        let wt = users[0].placement().worktree.as_ref();
        let branch = wt.map(|w| w.branch.as_str()).unwrap_or("?");
        let mut item = GcItem {
            kind: "worktree",
            target: format!("{} ({branch})", dir.display()),
            remove,
            reason,
        };
        if remove
            && !rules.dry_run
            && let Some(wt) = wt
            && let Err(why) = engine.remove_unused_worktree(wt)
        {
            item.remove = false;
            item.reason = why;
        }
        if !item.remove {
            kept_worktrees.push(dir.clone());
        }
        items.push(item);
    }
    (items, kept_worktrees)
}

impl Engine {
    /// Removes a worktree and its branch under the store lock that starting a task takes, once
    /// no task that has not ended uses it: a task that started since gc decided keeps it.
    fn remove_unused_worktree(&self, wt: &WorktreeRecord) -> Result<(), String> {
        let _guard = self
            .store
            .lock()
            .map_err(|e| format!("could not be removed: {e}"))?;
        match self.task_using_worktree(&wt.dir) {
            Ok(Some(task_id)) => return Err(format!("task {task_id} started in it meanwhile")),
            Ok(None) => {}
            Err(e) => return Err(format!("could not check who uses it: {e}")),
        }
        remove_worktree_and_branch(&wt.repo_root, &wt.dir, &wt.branch)
            .map_err(|e| format!("could not be removed: {e}"))
    }
}

/// Whether a worktree and its branch hold work of their own: uncommitted changes, ignored
/// files, commits of a HEAD that is elsewhere (detached), unmerged commits. With `force` they
/// go, and the reason says exactly what went.
/// What gc knows of a worktree's tasks.
struct Work<'a> {
    /// The newest task in it, for the advice.
    newest_task: &'a str,
    /// Its work landed (kept with `keep`): its commits are in the person's branch.
    landed: bool,
}

fn judge(wt: Option<&WorktreeRecord>, work: &Work<'_>, force: bool) -> (bool, String) {
    let Some(wt) = wt else {
        return (false, "no worktree recorded".into());
    };
    let base = &wt.base_branch;
    let (dirty, extras) = if wt.dir.exists() {
        match (
            uncommitted_changes(&wt.dir),
            worktree_extras(&wt.dir, &wt.branch, base),
        ) {
            (Ok(d), Ok(x)) => (d, x),
            (Err(e), _) | (_, Err(e)) => return (false, format!("cannot read the worktree: {e}")),
        }
    } else {
        (0, WorktreeExtras::default())
    };
    let mut held = Vec::new();
    if dirty > 0 {
        held.push(format!("{dirty} uncommitted change(s) in the worktree"));
    }
    if extras.ignored > 0 {
        held.push(format!(
            "{} ignored path(s) in the worktree",
            extras.ignored
        ));
    }
    if let Some((at, n)) = &extras.head_elsewhere {
        held.push(format!(
            "{n} commit(s) not in {base} on a detached HEAD at {at}"
        ));
    }
    let clean = match branch_work(&wt.repo_root, &wt.branch, base) {
        Ok(BranchWork::Missing) => "its branch is already gone".to_string(),
        Ok(BranchWork::Nothing) => format!("no commits that {base} lacks"),
        Ok(BranchWork::Merged) => format!("its changes are already in {base}"),
        Ok(BranchWork::Unmerged(_)) if work.landed => "its work has landed".to_string(),
        Ok(BranchWork::Unmerged(n)) => {
            held.push(format!("{n} commit(s) not in {base}"));
            String::new()
        }
        Err(e) => return (false, format!("cannot judge its branch: {e}")),
    };
    match (held.is_empty(), force) {
        (true, _) => (true, clean),
        (false, true) => (true, format!("--force: deleted {}", held.join(", "))),
        (false, false) => (
            false,
            format!(
                "{} (land them: codex-mcp land {}; or --force)",
                held.join(", "),
                work.newest_task
            ),
        ),
    }
}

/// Removes a task's folder, and its `.codex-tasks` link when it still points there.
fn remove_task(m: &TaskMeta, files: &TaskFiles, item: &mut GcItem) {
    // The topic's link and the run's own (`<topic>-rN`), when they still point here.
    if let Some(links) = m
        .placement()
        .link
        .as_deref()
        .and_then(std::path::Path::parent)
        && let Ok(entries) = std::fs::read_dir(links)
    {
        for e in entries.flatten() {
            if std::fs::read_link(e.path()).is_ok_and(|to| to == files.dir) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    if let Err(e) = std::fs::remove_dir_all(&files.dir) {
        item.remove = false;
        item.reason = format!("could not be removed: {e}");
    }
}
