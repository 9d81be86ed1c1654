//! A full-access task on a host works as one here does: in a git worktree of its own on an
//! `agent/<type>-<desc>` branch, beside the repository (`<parent>/<repo>-agent-<type>-<desc>`),
//! never in the person's checkout. It is made on the host before the thread starts, by git
//! run there through the app-server's `command/exec` (argv, no shell), and what the branch
//! holds is read the same way when the task ends.

use std::path::{Path, PathBuf};

use super::host_session::HostSession;
use crate::codex::protocol::SandboxPolicy;
use crate::config::hosts::{Access, Host};
use crate::store::{BranchSummary, TaskFiles, TaskMeta, WorktreeRecord};

/// Git on the host, in `dir`: its output, or why it failed.
fn git(session: &mut HostSession, dir: &str, args: &[&str]) -> Result<String, String> {
    let mut argv = vec!["git", "-C", dir];
    argv.extend_from_slice(args);
    let out = session.run(&argv, None, SandboxPolicy::DangerFullAccess)?;
    if out.exit_code != 0 {
        return Err(format!(
            "`git {}` failed there: {}",
            args.join(" "),
            out.stderr.trim()
        ));
    }
    Ok(out.stdout.trim_end().to_string())
}

/// The task's topic without its version: `implement-login_form-v2` → `implement-login_form`.
fn key_of(topic: &str) -> &str {
    topic.rsplit_once("-v").map_or(topic, |(key, _)| key)
}

/// Finds or makes the task's worktree on the host; the folder Codex works in there (the
/// worktree's counterpart of `cwd`) and the worktree.
pub(in crate::runner) fn prepare(
    host: &Host,
    files: &TaskFiles,
    meta: &TaskMeta,
) -> Result<(PathBuf, WorktreeRecord), String> {
    let mut session = HostSession::open(host, &files.stderr()).map_err(|e| e.to_string())?;
    let cwd = meta.placement().cwd.to_string_lossy().into_owned();
    let (root, prefix, base) = repository_of(&mut session, host, &cwd)?;
    let key = key_of(&meta.topic);
    let branch = format!("agent/{key}");
    let root_path = Path::new(&root);
    let name = root_path
        .file_name()
        .map_or_else(|| "repo".into(), |n| n.to_string_lossy().into_owned());
    let dir = root_path
        .parent()
        .unwrap_or(root_path)
        .join(format!("{name}-agent-{key}"));
    ensure_worktree(&mut session, &root, &dir.to_string_lossy(), &branch)?;
    let run_dir = dir.join(prefix.trim_end_matches('/'));
    let mut wt = WorktreeRecord {
        repo_root: PathBuf::from(&root),
        dir,
        branch,
        base_branch: base,
        bring_home: None,
    };
    wt.bring_home = Some(bring_home(host, &wt));
    Ok((run_dir, wt))
}

/// The repository `cwd` is in on the host: its root, `cwd`'s place in it, and its branch.
fn repository_of(
    session: &mut HostSession,
    host: &Host,
    cwd: &str,
) -> Result<(String, String, String), String> {
    let not_repo = |e: String| {
        format!(
            "a full-access task needs a git repository: `{cwd}` on host `{}` is not in one ({e})",
            host.name
        )
    };
    let root = git(session, cwd, &["rev-parse", "--show-toplevel"]).map_err(not_repo)?;
    let prefix = git(session, cwd, &["rev-parse", "--show-prefix"]).unwrap_or_default();
    let base = git(session, &root, &["rev-parse", "--abbrev-ref", "HEAD"])?;
    if base == "HEAD" {
        return Err(format!(
            "`{root}` on host `{}` is not on a branch (a detached HEAD): check out a branch \
             there first",
            host.name
        ));
    }
    Ok((root, prefix, base))
}

/// The worktree `dir` of `root` on `branch`: found, or made (from the branch when it is
/// there, else a new branch from HEAD).
fn ensure_worktree(
    session: &mut HostSession,
    root: &str,
    dir: &str,
    branch: &str,
) -> Result<(), String> {
    let listed = git(session, root, &["worktree", "list", "--porcelain"])?;
    if listed
        .lines()
        .any(|l| l.strip_prefix("worktree ") == Some(dir))
    {
        return Ok(());
    }
    let has_branch = git(
        session,
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/heads/{branch}"),
        ],
    )
    .is_ok();
    let add: Vec<&str> = if has_branch {
        vec!["worktree", "add", dir, branch]
    } else {
        vec!["worktree", "add", "-b", branch, dir, "HEAD"]
    };
    git(session, root, &add).map(drop)
}

/// What the task's branch holds against its base, read on the host.
pub(in crate::runner) fn summary(
    host: &Host,
    files: &TaskFiles,
    wt: &WorktreeRecord,
) -> Result<BranchSummary, String> {
    let mut session = HostSession::open(host, &files.stderr()).map_err(|e| e.to_string())?;
    let dir = wt.dir.to_string_lossy().into_owned();
    let range = format!("{}..HEAD", wt.base_branch);
    let ahead = git(&mut session, &dir, &["rev-list", "--count", &range])?;
    let status = git(&mut session, &dir, &["status", "--porcelain"])?;
    let base = git(&mut session, &dir, &["merge-base", &wt.base_branch, "HEAD"])?;
    let stat = git(&mut session, &dir, &["diff", "--stat", &base])?;
    Ok(BranchSummary {
        commits_ahead: ahead.trim().parse().unwrap_or(0),
        diff_stat: stat
            .lines()
            .last()
            .map(|l| l.trim().to_string())
            .unwrap_or_default(),
        uncommitted_changes: status.lines().filter(|l| !l.is_empty()).count(),
    })
}

/// How to bring the task's branch home, as an instruction: a fetch from the host when it is
/// reached by ssh, else a push from there.
pub(crate) fn bring_home(host: &Host, wt: &WorktreeRecord) -> String {
    let repo = wt.repo_root.display();
    match ssh_destination(&host.access) {
        Some((dest, port)) => {
            let from = match port {
                Some(p) => format!("ssh://{dest}:{p}{repo}"),
                None => format!("{dest}:{repo}"),
            };
            format!(
                "bring it here with `git fetch {from} {b}:{b}` in your clone",
                b = wt.branch
            )
        }
        None => format!(
            "push it from there (`git -C {} push origin {}`), then fetch it in your clone",
            wt.dir.display(),
            wt.branch
        ),
    }
}

/// The destination of an ssh host command, and its port when one is given (`ssh -p 2222
/// devbox codex …` → `devbox`, `2222`).
fn ssh_destination(access: &Access) -> Option<(String, Option<String>)> {
    let Access::Command { argv } = access else {
        return None;
    };
    let (program, args) = argv.split_first()?;
    if Path::new(program).file_name()? != "ssh" {
        return None;
    }
    // Options of ssh that take a value.
    const WITH_VALUE: &str = "BbcDEeFIiJLlmOoPpQRSWw";
    let mut args = args.iter();
    let mut port = None;
    while let Some(a) = args.next() {
        match a.strip_prefix('-') {
            Some("p") => port = args.next().cloned(),
            Some(opt) if opt.len() == 1 && WITH_VALUE.contains(opt) => {
                args.next();
            }
            Some(_) => {}
            None => return Some((a.clone(), port)),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ssh_destination_is_found_past_its_options() {
        let cmd = |v: &[&str]| Access::Command {
            argv: v.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(
            ssh_destination(&cmd(&[
                "ssh",
                "-p",
                "2222",
                "-o",
                "BatchMode=yes",
                "me@box",
                "codex"
            ])),
            Some(("me@box".into(), Some("2222".into())))
        );
        assert_eq!(ssh_destination(&cmd(&["docker", "exec", "-i", "c"])), None);
        assert_eq!(key_of("implement-login_form-v12"), "implement-login_form");
    }
}
