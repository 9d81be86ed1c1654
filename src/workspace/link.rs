//! `<cwd>/.codex-tasks/<topic>` → the task folder, so `.codex-tasks/<topic>/codex-exec.log`
//! opens the log from the project. Inside a git repository the folder is listed in
//! `.git/info/exclude` (the repository's private ignore file), never in `.gitignore`.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub const LINK_DIR: &str = ".codex-tasks";
const EXCLUDE_LINE: &str = ".codex-tasks/";

/// What linking a task did: the link when it could be made, and what the caller should know.
/// A missing link is a warning, not a reason to fail the task.
pub struct Linked {
    pub link: Option<PathBuf>,
    pub warnings: Vec<String>,
}

/// Points `<cwd>/.codex-tasks/<topic>` at `task_dir`, replacing an older link atomically.
pub fn link_task(cwd: &Path, topic: &str, task_dir: &Path) -> Linked {
    let mut warnings = Vec::new();
    let link = make_link(cwd, topic, task_dir, &mut warnings)
        .map_err(|w| warnings.push(w))
        .ok();
    Linked { link, warnings }
}

fn make_link(
    cwd: &Path,
    topic: &str,
    task_dir: &Path,
    warnings: &mut Vec<String>,
) -> Result<PathBuf, String> {
    let dir = cwd.join(LINK_DIR);
    match fs::symlink_metadata(&dir) {
        Ok(md) if md.file_type().is_symlink() => {
            return Err(format!(
                "{} is a symbolic link; not following it, so no log link was made",
                dir.display()
            ));
        }
        Ok(md) if !md.is_dir() => {
            return Err(format!("{} exists and is not a directory", dir.display()));
        }
        Ok(_) => {}
        Err(_) => fs::create_dir(&dir)
            .or_else(|e| if dir.is_dir() { Ok(()) } else { Err(e) })
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?,
    }
    warnings.extend(exclude_from_git(cwd));
    // One link per run: the first run's is `<topic>`, a rerun's `<topic>-rN` (its id without
    // `codex-`), so no run's log is hidden by another's and none has two names.
    let name = run_name(task_dir, topic);
    replace_link(&dir, &name, task_dir)
}

/// The name of one run's link: `<topic>` for the first run, `<topic>-rN` for a rerun.
fn run_name(task_dir: &Path, topic: &str) -> String {
    task_dir
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|id| id.strip_prefix("codex-"))
        .unwrap_or(topic)
        .to_string()
}

/// Points `dir/name` at `target`, atomically; a file there that is not a link is left alone.
fn replace_link(dir: &Path, name: &str, target: &Path) -> Result<PathBuf, String> {
    let link = dir.join(name);
    if let Ok(md) = fs::symlink_metadata(&link)
        && !md.file_type().is_symlink()
    {
        return Err(format!(
            "{} exists and is not a link; left as it is",
            link.display()
        ));
    }
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let _ = fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)
        .and_then(|()| fs::rename(&tmp, &link))
        .map_err(|e| {
            let _ = fs::remove_file(&tmp);
            format!("cannot link {}: {e}", link.display())
        })?;
    Ok(link)
}

/// Adds `.codex-tasks/` to the repository's `info/exclude` once. Outside a repository nothing
/// happens: the link still works. The file is only written inside the repository's own git
/// directory and never through a symbolic link; otherwise the reason comes back as a warning.
fn exclude_from_git(cwd: &Path) -> Option<String> {
    let repo = git2::Repository::discover(cwd).ok()?;
    let skip = |why: &str| {
        Some(format!(
            "`.codex-tasks/` was not added to git's exclude file: {why}"
        ))
    };
    let (Ok(gitdir), Ok(common)) = (repo.path().canonicalize(), repo.commondir().canonicalize())
    else {
        return skip("the repository's git directory cannot be resolved");
    };
    // A linked worktree's git dir lives in `<common>/worktrees/`; a `commondir` that points
    // anywhere else is a redirect into another repository.
    if gitdir != common && !gitdir.starts_with(common.join("worktrees")) {
        return skip(&format!(
            "the repository's `commondir` points outside it, to {}",
            common.display()
        ));
    }
    let info = common.join("info");
    match fs::symlink_metadata(&info) {
        Ok(md) if !md.file_type().is_dir() => {
            return skip(&format!("{} is not a plain directory", info.display()));
        }
        Ok(_) => {}
        Err(_) => {
            if fs::create_dir(&info).is_err() {
                return skip(&format!("{} cannot be created", info.display()));
            }
        }
    }
    let exclude = info.join("exclude");
    let current = match fs::symlink_metadata(&exclude) {
        Ok(md) if md.file_type().is_symlink() || !md.is_file() => {
            return skip(&format!("{} is a link or not a file", exclude.display()));
        }
        Ok(_) => fs::read_to_string(&exclude).unwrap_or_default(),
        Err(_) => String::new(),
    };
    if current.lines().any(|l| l.trim() == EXCLUDE_LINE) {
        return None;
    }
    let opened = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o644)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(&exclude);
    let Ok(mut f) = opened else {
        return skip(&format!("{} cannot be opened", exclude.display()));
    };
    let sep = if current.is_empty() || current.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    let _ = write!(f, "{sep}# codex-mcp task logs\n{EXCLUDE_LINE}\n");
    None
}
