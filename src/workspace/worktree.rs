//! Full-access tasks run in their own git worktree, on branch `agent/<type>-<desc>`, next to the
//! repository (or under `CODEXMCP_WORKTREE_ROOT`). The user's checkout is never touched: the
//! worktree starts from the current branch's last commit.

use std::path::{Path, PathBuf};

use git2::{BranchType, Repository, WorktreeAddOptions, WorktreePruneOptions};

use super::branch::uncommitted_paths;

#[derive(Debug, thiserror::Error)]
pub enum WorktreeError {
    #[error(
        "`{}` is not inside a git repository. Full-access tasks run in an isolated git worktree, \
         so they need one: {}",
        .0.display(),
        what_to_do_outside_git(.0)
    )]
    NotARepo(PathBuf),
    #[error("the repository at `{0}` is bare (no working directory); full-access needs a checkout")]
    Bare(PathBuf),
    #[error(
        "the repository at `{0}` has no commits yet, so there is nothing to branch from; commit \
         something first"
    )]
    NoCommits(PathBuf),
    #[error(
        "HEAD of `{0}` is detached; full-access tasks branch from the current branch. Check out a \
         branch first (git switch <branch>)"
    )]
    Detached(PathBuf),
    #[error("cannot use `{path}` as the task's worktree: {reason}")]
    PathTaken { path: PathBuf, reason: String },
    #[error(
        "branch `{branch}` is checked out at `{at}`; a branch can be in one worktree only. \
         Switch that checkout to another branch, or use another topic description"
    )]
    BranchElsewhere { branch: String, at: PathBuf },
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("cannot prepare the worktree: {0}")]
    Io(#[from] std::io::Error),
}

/// Where a task's worktree is and how it was made.
#[derive(Debug, Clone)]
pub struct Worktree {
    pub repo_root: PathBuf,
    pub dir: PathBuf,
    pub branch: String,
    pub base_branch: String,
    /// `cwd`'s counterpart inside the worktree.
    pub run_dir: PathBuf,
    pub warnings: Vec<String>,
    /// What this call made (and [`Worktree::undo`] removes): the worktree, and the branch.
    made_worktree: bool,
    made_branch: bool,
}

impl Worktree {
    /// Removes what preparing this worktree made, when a later step of starting the task
    /// failed: nothing of a refused task is left behind. An existing worktree is kept.
    pub fn undo(&self) {
        if !self.made_worktree {
            return;
        }
        let Ok(repo) = Repository::open(&self.repo_root) else {
            return;
        };
        let admin_name = self
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        undo(
            &repo,
            &admin_name,
            &self.dir,
            self.made_branch.then_some(self.branch.as_str()),
        );
    }
}

/// Where the worktree of a topic belongs, found without creating anything.
pub struct WorktreePlace {
    repo: Repository,
    repo_root: PathBuf,
    /// `<repo_parent>/<repo_name>-agent-<key>`, or under the configured root.
    pub dir: PathBuf,
    /// `agent/<key>`.
    branch: String,
}

/// The worktree directory and branch for `key` (a topic's `<type>-<desc>`).
pub fn locate(cwd: &Path, key: &str, root: Option<&Path>) -> Result<WorktreePlace, WorktreeError> {
    let repo = Repository::discover(cwd).map_err(|_| WorktreeError::NotARepo(cwd.into()))?;
    let repo_root = repo
        .workdir()
        .ok_or_else(|| WorktreeError::Bare(repo.path().into()))?
        .canonicalize()?;
    let name = repo_root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "repo".into());
    let parent = match root {
        Some(r) => r.to_path_buf(),
        None => repo_root.parent().unwrap_or(&repo_root).to_path_buf(),
    };
    Ok(WorktreePlace {
        dir: parent.join(format!("{name}-agent-{key}")),
        branch: format!("agent/{key}"),
        repo,
        repo_root,
    })
}

/// Finds or creates the worktree for `key`. On failure nothing new is left behind.
pub fn prepare(cwd: &Path, key: &str, root: Option<&Path>) -> Result<Worktree, WorktreeError> {
    let place = locate(cwd, key, root)?;
    let (base_branch, base_commit) = current_branch(&place)?;
    if !git2::Branch::name_is_valid(&place.branch)? {
        return Err(WorktreeError::PathTaken {
            path: place.dir.clone(),
            reason: format!("`{}` is not a valid branch name", place.branch),
        });
    }
    let mut warnings = Vec::new();
    let made = ensure_checkout(&place, &base_commit, &mut warnings)?;
    let run_dir = run_dir_in(&place, cwd, &mut warnings)?;
    let dirty = uncommitted_paths(&place.repo)?;
    if dirty > 0 {
        warnings.push(format!(
            "your checkout has {dirty} uncommitted change(s); they are not in the worktree, which \
             starts from the last commit of `{base_branch}`. Commit them first if Codex needs them"
        ));
    }
    Ok(Worktree {
        repo_root: place.repo_root.clone(),
        dir: place.dir.clone(),
        branch: place.branch.clone(),
        base_branch,
        run_dir,
        warnings,
        made_worktree: made.is_some(),
        made_branch: made == Some(true),
    })
}

/// The branch checked out in the repository, and its last commit: what the worktree starts
/// from.
fn current_branch(place: &WorktreePlace) -> Result<(String, git2::Commit<'_>), WorktreeError> {
    let head = match place.repo.head() {
        Ok(h) => h,
        Err(e) if e.code() == git2::ErrorCode::UnbornBranch => {
            return Err(WorktreeError::NoCommits(place.repo_root.clone()));
        }
        Err(e) => return Err(e.into()),
    };
    if place.repo.head_detached()? {
        return Err(WorktreeError::Detached(place.repo_root.clone()));
    }
    let name = head.shorthand().unwrap_or("HEAD").to_string();
    Ok((name, head.peel_to_commit()?))
}

/// Reuses the worktree at the place when it is on the agent branch, or creates it (and the
/// branch, from `base`, when missing). Every conflicting state is refused before anything is
/// made. Returns `None` when it reused one, else whether it also made the branch.
fn ensure_checkout(
    place: &WorktreePlace,
    base: &git2::Commit<'_>,
    warnings: &mut Vec<String>,
) -> Result<Option<bool>, WorktreeError> {
    let (repo, dir, branch) = (&place.repo, &place.dir, place.branch.as_str());
    let checkouts = checkouts(repo)?;
    if let Some(c) = checkouts.iter().find(|c| same_path(&c.path, dir)) {
        return match &c.branch {
            Some(b) if b == branch => Ok(None),
            other => Err(WorktreeError::PathTaken {
                path: dir.clone(),
                reason: match other {
                    Some(b) => format!("it is a worktree on branch `{b}`, not `{branch}`"),
                    None => "it is a worktree with a detached HEAD".into(),
                },
            }),
        };
    }
    if let Some(c) = checkouts
        .iter()
        .find(|c| c.branch.as_deref() == Some(branch))
    {
        return Err(WorktreeError::BranchElsewhere {
            branch: branch.to_string(),
            at: c.path.clone(),
        });
    }
    if dir.exists() {
        return Err(WorktreeError::PathTaken {
            path: dir.clone(),
            reason: "it exists and is not a worktree of this repository; move it away".into(),
        });
    }
    let admin_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    prune_stale(repo, &admin_name);
    let created_branch = match repo.find_branch(branch, BranchType::Local) {
        Ok(_) => false,
        Err(_) => {
            repo.branch(branch, base, false)?;
            true
        }
    };
    if let Err(e) = add_worktree(repo, &admin_name, dir, branch) {
        undo(repo, &admin_name, dir, created_branch.then_some(branch));
        return Err(e);
    }
    if !created_branch {
        warnings.push(format!(
            "branch `{branch}` already existed; the worktree continues from it"
        ));
    }
    Ok(Some(created_branch))
}

/// `cwd`'s place in the repository, inside the worktree (made when the commit lacks it).
fn run_dir_in(
    place: &WorktreePlace,
    cwd: &Path,
    warnings: &mut Vec<String>,
) -> Result<PathBuf, WorktreeError> {
    let rel = cwd.strip_prefix(&place.repo_root).unwrap_or(Path::new(""));
    let run_dir = place.dir.join(rel);
    if !run_dir.is_dir() {
        std::fs::create_dir_all(&run_dir)?;
        warnings.push(format!(
            "`{}` is not in the committed tree (untracked?); it was created empty in the worktree",
            rel.display()
        ));
    }
    Ok(run_dir)
}

struct Checkout {
    path: PathBuf,
    branch: Option<String>,
}

/// The main checkout and every linked worktree, with the branch each has checked out.
fn checkouts(repo: &Repository) -> Result<Vec<Checkout>, git2::Error> {
    let main = Repository::open(repo.commondir())?;
    let mut out = Vec::new();
    let branch_of = |r: &Repository| -> Option<String> {
        if r.head_detached().unwrap_or(false) {
            return None;
        }
        // An unborn HEAD still names its branch.
        match r.head() {
            Ok(h) => h.shorthand().map(str::to_string),
            Err(_) => r.find_reference("HEAD").ok().and_then(|h| {
                h.symbolic_target()
                    .map(|t| t.trim_start_matches("refs/heads/").to_string())
            }),
        }
    };
    if let Some(wd) = main.workdir() {
        out.push(Checkout {
            path: wd.to_path_buf(),
            branch: branch_of(&main),
        });
    }
    for name in main.worktrees()?.iter().flatten() {
        let Ok(wt) = main.find_worktree(name) else {
            continue;
        };
        if wt.validate().is_err() {
            continue;
        }
        let Ok(r) = Repository::open_from_worktree(&wt) else {
            continue;
        };
        out.push(Checkout {
            path: wt.path().to_path_buf(),
            branch: branch_of(&r),
        });
    }
    Ok(out)
}

fn same_path(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    canon(a) == canon(b)
}

/// Forgets a worktree whose folder was deleted, so its name can be used again.
fn prune_stale(repo: &Repository, admin_name: &str) {
    if let Ok(wt) = repo.find_worktree(admin_name)
        && wt.validate().is_err()
    {
        let _ = wt.prune(Some(
            WorktreePruneOptions::new().valid(true).working_tree(false),
        ));
    }
}

fn add_worktree(
    repo: &Repository,
    admin_name: &str,
    dir: &Path,
    branch: &str,
) -> Result<(), WorktreeError> {
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let reference = repo
        .find_branch(branch, BranchType::Local)?
        .into_reference();
    let mut opts = WorktreeAddOptions::new();
    opts.reference(Some(&reference));
    repo.worktree(admin_name, dir, Some(&opts))?;
    Ok(())
}

/// Removes what a failed creation left: the folder, git's record of it, and a new branch.
fn undo(repo: &Repository, admin_name: &str, dir: &Path, created_branch: Option<&str>) {
    let _ = std::fs::remove_dir_all(dir);
    if let Ok(wt) = repo.find_worktree(admin_name) {
        let _ = wt.prune(Some(
            WorktreePruneOptions::new().valid(true).working_tree(true),
        ));
    }
    if let Some(b) = created_branch
        && let Ok(mut br) = repo.find_branch(b, BranchType::Local)
    {
        let _ = br.delete();
    }
}

/// What to do about a full-access task outside git: make the folder a repository when it looks
/// like a project; never advise that for the home folder, the root or a temporary folder.
fn what_to_do_outside_git(dir: &Path) -> String {
    let home = dirs::home_dir();
    let temp = std::env::temp_dir();
    let is = |p: &Path| dir.canonicalize().ok().as_deref() == p.canonicalize().ok().as_deref();
    let plain =
        is(Path::new("/")) || home.as_deref().is_some_and(is) || is(&temp) || is(Path::new("/tmp"));
    match plain {
        true => "this folder is no project (your home folder, the root or a temporary folder): \
                 run the task in a project's own folder, or use sandbox `read-only`"
            .into(),
        false => "run `git init && git add -A && git commit -m init` there first, or use sandbox \
                  `read-only`"
            .into(),
    }
}
