//! Running the `git` on PATH, as a person would: where a change is made to a person's
//! branches, git itself makes it, so their hooks run and their config (signing, identity,
//! `commit.*`) applies. Arguments are passed as an argv, never through a shell; git is never
//! left waiting on a terminal.

use std::path::Path;
use std::process::{Command, Stdio};

/// A git command that did not succeed: what was run, and what git said.
#[derive(Debug, Clone)]
pub struct GitFailure {
    pub command: String,
    pub said: String,
}

impl std::fmt::Display for GitFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` failed: {}", self.command, self.said.trim())
    }
}

/// Runs `git -C dir args…`; its stdout, trimmed at the end, or what it said when it failed.
pub fn git(dir: &Path, args: &[&str]) -> Result<String, GitFailure> {
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .env("GIT_TERMINAL_PROMPT", "0")
        // A merge or a rebase never opens an editor: the message is given.
        .env("GIT_EDITOR", "true")
        .env("GIT_MERGE_AUTOEDIT", "no");
    crate::child::with_clean_signals(&mut cmd);
    let command = format!("git {}", args.join(" "));
    let out = cmd.output().map_err(|e| GitFailure {
        command: command.clone(),
        said: format!("cannot run git: {e}"),
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout).trim_end().to_string();
    if out.status.success() {
        return Ok(stdout);
    }
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    let said = match (stdout.is_empty(), stderr.is_empty()) {
        (_, false) if !stdout.is_empty() => format!("{stderr}\n{stdout}"),
        (_, false) => stderr,
        (false, true) => stdout,
        (true, true) => format!("exit status {}", out.status),
    };
    Err(GitFailure { command, said })
}

/// Whether `git -C dir args…` succeeds (a question, such as whether a ref exists).
pub fn git_ok(dir: &Path, args: &[&str]) -> bool {
    git(dir, args).is_ok()
}

/// The paths `git status --porcelain -z` lists in `dir` (changed, staged, untracked), the
/// task links' folder aside.
pub fn dirty_paths(dir: &Path) -> Result<Vec<String>, GitFailure> {
    let out = git(
        dir,
        &["status", "--porcelain", "-z", "--untracked-files=all"],
    )?;
    let mut paths = Vec::new();
    let mut fields = out.split('\0').filter(|f| !f.is_empty());
    while let Some(entry) = fields.next() {
        let (code, path) = entry.split_at(3.min(entry.len()));
        // A rename or copy names its source next: both are touched.
        if (code.starts_with('R') || code.starts_with('C'))
            && let Some(from) = fields.next()
        {
            paths.push(from.to_string());
        }
        paths.push(path.to_string());
    }
    paths.retain(|p| !p.starts_with(super::LINK_DIR));
    Ok(paths)
}
