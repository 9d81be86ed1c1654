//! A `codex_review` request made into a task: what to review, checked against the repository
//! before anything starts (a branch that exists, a revision that names a commit, a tree with
//! changes, a task whose worktree is still there), in Codex's own review mode, read-only.

use std::path::{Path, PathBuf};

use super::contract::{INSTRUCTIONS_MAX_BYTES, ReviewArgs, ReviewTargetArg};
use super::spec::{
    TaskSpec, Topic, parse_cwd, parse_effort, parse_model, parse_task_id, parse_topic,
};
use super::{Engine, EngineError};
use crate::codex::CodexOptions;
use crate::store::{Sandbox, TaskMeta};
use crate::vocab::{ApprovalPolicy, ReviewLaunch, ReviewTarget, short_sha};
use crate::workspace::{commit_of, fork_point, has_changes, is_branch, repository_of};

/// What is reviewed, resolved: where, Codex's target, the task reviewed when it is one.
struct Resolved {
    /// Where the task is linked (the project).
    cwd: PathBuf,
    /// Where Codex runs: the project, or a task's worktree.
    run_dir: PathBuf,
    target: ReviewTarget,
    of_task: Option<String>,
    /// The default topic's description.
    desc: String,
}

impl Engine {
    /// A full-access task's work: its worktree, reviewed from the commit its branch forked
    /// at, its uncommitted and untracked files included.
    fn task_target(&self, raw: &str) -> Result<Resolved, EngineError> {
        let id = parse_task_id(raw)?;
        let meta = self.reconciled_meta(&id)?;
        let wt = reviewable_worktree(&meta)?;
        let base = fork_point(&wt.dir, &wt.branch, &wt.base_branch)
            .map_err(|why| EngineError::invalid("target", why))?;
        let instructions = format!(
            "Review the work of the coding task `{id}` in this folder: the commits on branch \
             `{branch}` since commit {base} (where it started from `{from}`), and the changes \
             not yet committed, new untracked files included. Run `git diff {base}` to see the \
             tracked changes and `git status --short` to list untracked files, then read those \
             files. Provide prioritized, actionable findings.",
            branch = wt.branch,
            from = wt.base_branch,
        );
        Ok(Resolved {
            cwd: meta.placement().cwd.clone(),
            run_dir: wt.dir.clone(),
            target: ReviewTarget::Custom { instructions },
            of_task: Some(id.to_string()),
            desc: Topic::desc_of(&meta.topic),
        })
    }
}

/// The review task `args` ask for. Blocking (git reads).
pub(super) fn review_spec(engine: &Engine, args: ReviewArgs) -> Result<TaskSpec, EngineError> {
    let target = match (&args.target, &args.task_id) {
        (Some(t), Some(id)) if *t != ReviewTargetArg::Task(id.clone()) => {
            return Err(EngineError::invalid(
                "task_id",
                "give the task to review as `task_id` or as `target: {\"task\": …}`, not \
                 both with different tasks",
            ));
        }
        (_, Some(id)) => ReviewTargetArg::Task(id.clone()),
        (Some(t), None) => t.clone(),
        (None, None) => ReviewTargetArg::Uncommitted,
    };
    let host = args.host.map(super::spec::parse_host).transpose()?;
    let resolved = match (target, &host) {
        (ReviewTargetArg::Task(id), None) => engine.task_target(&id)?,
        (ReviewTargetArg::Task(_), Some(_)) => {
            return Err(EngineError::invalid(
                "host",
                "a task's work is reviewed where the task ran: leave `host` out",
            ));
        }
        (other, None) => project_target(args.cwd.as_deref(), other)?,
        (other, Some(_)) => host_target(args.cwd.as_deref(), other)?,
    };
    let instructions = args.instructions.map(parse_instructions).transpose()?;
    let topic = match &args.topic {
        Some(t) => parse_topic(t)?,
        None => default_topic(&resolved)?,
    };
    let launch = ReviewLaunch {
        target: resolved.target,
        instructions,
        of_task: resolved.of_task,
    };
    Ok(TaskSpec {
        prompt: review_prompt(&launch),
        cwd: resolved.cwd,
        topic,
        sandbox: Sandbox::ReadOnly,
        session_id: None,
        options: CodexOptions {
            model: args.model.map(parse_model).transpose()?,
            reasoning_effort: args.reasoning_effort.map(parse_effort).transpose()?,
            profile: None,
        },
        timeout_seconds: args.timeout_seconds,
        retries: 0,
        approval_policy: ApprovalPolicy::Never,
        review: Some(launch),
        run_dir: Some(resolved.run_dir),
        host,
    })
}

/// A review of a project on a host: this machine cannot look at it, so the target goes to
/// Codex as given, and Codex there says what does not hold.
fn host_target(cwd: Option<&str>, target: ReviewTargetArg) -> Result<Resolved, EngineError> {
    let Some(cwd) = cwd else {
        return Err(EngineError::invalid(
            "cwd",
            "it is required: the absolute path of the project to review on the host",
        ));
    };
    let cwd = super::spec::parse_host_cwd(cwd)?;
    let name = folder_word(&cwd);
    let refuse_flag = |name: &str| {
        if name.starts_with('-') {
            Err(EngineError::invalid(
                "target",
                format!("`{name}` names no branch or commit"),
            ))
        } else {
            Ok(())
        }
    };
    let (target, desc) = match target {
        ReviewTargetArg::Uncommitted => (
            ReviewTarget::UncommittedChanges,
            format!("{name}_uncommitted"),
        ),
        ReviewTargetArg::Base(branch) => {
            refuse_flag(&branch)?;
            let desc = format!("{name}_vs_{}", word(&branch));
            (ReviewTarget::BaseBranch { branch }, desc)
        }
        ReviewTargetArg::Commit(sha) => {
            refuse_flag(&sha)?;
            let desc = format!("{name}_commit_{}", word(&sha));
            (ReviewTarget::Commit { sha, title: None }, desc)
        }
        ReviewTargetArg::Task(_) => {
            return Err(EngineError::Internal(
                "a task's work is reviewed from the task, not the host".into(),
            ));
        }
    };
    Ok(Resolved {
        cwd: cwd.clone(),
        run_dir: cwd,
        target,
        of_task: None,
        desc,
    })
}

/// A task whose work can be reviewed: full-access, ended, its worktree still there.
fn reviewable_worktree(meta: &TaskMeta) -> Result<&crate::store::WorktreeRecord, EngineError> {
    let id = &meta.task_id;
    let Some(wt) = meta.placement().worktree.as_ref() else {
        return Err(EngineError::invalid(
            "target",
            format!(
                "task `{id}` is read-only: it has no work of its own to review. Review the \
                 project itself with `target: \"uncommitted\"` or `{{\"base\": …}}`"
            ),
        ));
    };
    if wt.bring_home.is_some() {
        let host = crate::runner::Launch::of(meta)
            .host()
            .unwrap_or_default()
            .to_string();
        return Err(EngineError::invalid(
            "target",
            format!(
                "task `{id}`'s work is on host `{host}`: review it there with `cwd` \
                 \"{}\", `host` \"{host}\" and `target` {{\"base\": \"{}\"}}",
                wt.dir.display(),
                wt.base_branch
            ),
        ));
    }
    if !meta.status().is_final() {
        return Err(EngineError::invalid(
            "target",
            format!(
                "task `{id}` is still {}: its work is changing. Wait for it (codex_status with \
                 `wait_seconds`), then review it",
                meta.status().as_str()
            ),
        ));
    }
    if !wt.dir.is_dir() {
        let landed = meta.end().landed.as_ref().map_or(String::new(), |l| {
            format!(
                " (it landed in `{}`: review that with `{{\"commit\": \"{}\"}}`)",
                l.into,
                short_sha(&l.head)
            )
        });
        return Err(EngineError::invalid(
            "target",
            format!(
                "task `{id}`'s worktree `{}` is gone{landed}",
                wt.dir.display()
            ),
        ));
    }
    Ok(wt)
}

/// A review of the project at `cwd`: its uncommitted changes, its branch against a base, or
/// a commit.
fn project_target(cwd: Option<&str>, target: ReviewTargetArg) -> Result<Resolved, EngineError> {
    let Some(cwd) = cwd else {
        return Err(EngineError::invalid(
            "cwd",
            "it is required: the absolute path of the project to review (or review a task's \
             work with `task_id`)",
        ));
    };
    let cwd = parse_cwd(cwd)?;
    let root = repository_of(&cwd).map_err(|why| EngineError::invalid("cwd", why))?;
    let (target, desc) = project_review(&root, target)?;
    Ok(Resolved {
        cwd: cwd.clone(),
        run_dir: cwd,
        target,
        of_task: None,
        desc,
    })
}

/// What is reviewed in the repository at `root`, and the words the task's name takes from it.
fn project_review(
    root: &Path,
    target: ReviewTargetArg,
) -> Result<(ReviewTarget, String), EngineError> {
    let name = folder_word(root);
    Ok(match target {
        ReviewTargetArg::Uncommitted => {
            let changed = has_changes(root).map_err(|why| EngineError::invalid("cwd", why))?;
            if !changed {
                return Err(EngineError::invalid(
                    "target",
                    format!(
                        "{} has no uncommitted changes to review; to review the last commit, \
                         use `{{\"commit\": \"HEAD\"}}`, or a branch with `{{\"base\": \"main\"}}`",
                        root.display()
                    ),
                ));
            }
            (
                ReviewTarget::UncommittedChanges,
                format!("{name}_uncommitted"),
            )
        }
        ReviewTargetArg::Base(branch) => {
            if branch.starts_with('-') || !is_branch(root, &branch) {
                return Err(EngineError::invalid(
                    "target",
                    format!("`{branch}` is not a branch of {}", root.display()),
                ));
            }
            let desc = format!("{name}_vs_{}", word(&branch));
            (ReviewTarget::BaseBranch { branch }, desc)
        }
        ReviewTargetArg::Commit(rev) => {
            let (sha, title) = match rev.starts_with('-') {
                true => Err(format!("`{rev}` names no commit")),
                false => commit_of(root, &rev),
            }
            .map_err(|why| EngineError::invalid("target", why))?;
            let desc = format!("{name}_commit_{}", &sha[..12.min(sha.len())]);
            let title = Some(title).filter(|t| !t.is_empty());
            (ReviewTarget::Commit { sha, title }, desc)
        }
        ReviewTargetArg::Task(_) => {
            return Err(EngineError::Internal(
                "a task's work is reviewed from the task, not the project".into(),
            ));
        }
    })
}

fn parse_instructions(i: String) -> Result<String, EngineError> {
    if i.trim().is_empty() {
        return Err(EngineError::invalid(
            "instructions",
            "they are empty; leave them out for Codex's own review guidelines alone",
        ));
    }
    if i.len() > INSTRUCTIONS_MAX_BYTES {
        return Err(EngineError::invalid(
            "instructions",
            format!(
                "they have {} bytes; at most {INSTRUCTIONS_MAX_BYTES} are accepted",
                i.len()
            ),
        ));
    }
    Ok(i)
}

/// `review-<what>-v1`.
fn default_topic(r: &Resolved) -> Result<Topic, EngineError> {
    let desc: String = r.desc.chars().take(60).collect();
    parse_topic(&format!("review-{desc}-v1"))
}

/// The task's prompt as its record keeps it: what is reviewed, and the instructions. A
/// custom target's instructions are what Codex reads (exec takes them on stdin).
fn review_prompt(review: &ReviewLaunch) -> String {
    // The extra instructions reach Codex as developer instructions, on either engine.
    match &review.target {
        ReviewTarget::Custom { instructions } => instructions.clone(),
        other => {
            let mut prompt = format!("Review {} (Codex's review mode).", other.describe());
            if let Some(extra) = &review.instructions {
                prompt.push_str("\n\nReview instructions: ");
                prompt.push_str(extra);
            }
            prompt
        }
    }
}

/// A name as a topic's word: letters, digits and `_`.
fn word(s: &str) -> String {
    let w: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    match w.trim_matches('_') {
        "" => "x".into(),
        t => t.to_string(),
    }
}

/// The repository folder's name as a topic's word.
fn folder_word(root: &Path) -> String {
    word(
        &root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )
}
