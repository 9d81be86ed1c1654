//! `<cwd>/.codex-tasks/<topic>` → the task folder, so `.codex-tasks/<topic>/codex-exec.log`
//! opens the log from the project. Inside a git repository the folder is listed in
//! `.git/info/exclude` (the repository's private ignore file), never in `.gitignore`.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub const LINK_DIR: &str = ".codex-tasks";
const EXCLUDE_LINE: &str = ".codex-tasks/";

/// Points `<cwd>/.codex-tasks/<topic>` at `task_dir`, replacing an older link atomically.
/// Errors are returned as text: a missing link is a warning, not a reason to fail the task.
pub fn link_task(cwd: &Path, topic: &str, task_dir: &Path) -> Result<PathBuf, String> {
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
    exclude_from_git(cwd);
    let link = dir.join(topic);
    if let Ok(md) = fs::symlink_metadata(&link)
        && !md.file_type().is_symlink()
    {
        return Err(format!(
            "{} exists and is not a link; left as it is",
            link.display()
        ));
    }
    let tmp = dir.join(format!(".{topic}.{}.tmp", std::process::id()));
    let _ = fs::remove_file(&tmp);
    std::os::unix::fs::symlink(task_dir, &tmp)
        .and_then(|()| fs::rename(&tmp, &link))
        .map_err(|e| {
            let _ = fs::remove_file(&tmp);
            format!("cannot link {}: {e}", link.display())
        })?;
    Ok(link)
}

/// Adds `.codex-tasks/` to the repository's `info/exclude` once. Outside a repository, or
/// when the file cannot be written, nothing happens: the link still works.
fn exclude_from_git(cwd: &Path) {
    let Ok(repo) = git2::Repository::discover(cwd) else {
        return;
    };
    let info = repo.commondir().join("info");
    let exclude = info.join("exclude");
    let current = fs::read_to_string(&exclude).unwrap_or_default();
    if current.lines().any(|l| l.trim() == EXCLUDE_LINE) {
        return;
    }
    let _ = fs::create_dir_all(&info);
    let Ok(mut f) = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o644)
        .open(&exclude)
    else {
        return;
    };
    let sep = if current.is_empty() || current.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    let _ = write!(f, "{sep}# codex-mcp task logs\n{EXCLUDE_LINE}\n");
}
