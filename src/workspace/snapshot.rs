//! What a directory holds, taken before and after a read-only task that ran without Codex's
//! sandbox, so the audit sees what changed whatever command changed it. In a git repository:
//! `HEAD` and every changed, staged or untracked path with its content hash (a clean tracked
//! file that changes shows up in the later status); every ignored file by size and time (a
//! `.env`, a `build/`); and the parts of `.git/` that make git run code or point elsewhere
//! (`config`, `hooks/`, `info/`, `HEAD`, `refs/`, `packed-refs`) by content and mode.
//! Elsewhere: every file and its hash.

use std::collections::BTreeMap;
use std::path::Path;

use git2::{ObjectType, Oid, Repository, Status, StatusOptions};
use serde::{Deserialize, Serialize};

use super::LINK_DIR;

/// Files hashed outside a repository before the rest are only listed.
const MAX_WALKED: usize = 50_000;
/// Files larger than this are compared by size and time, not hashed.
const MAX_HASHED_BYTES: u64 = 64 * 1024 * 1024;
/// Ignored files listed before the rest are not compared (a `node_modules` can hold millions).
const MAX_IGNORED: usize = 200_000;
/// Files of `.git/` compared before the rest are not (thousands of tags, say).
const MAX_GIT_FILES: usize = 20_000;
/// What `.git/` holds that can make git run code, or change what the checkout is.
const GIT_PARTS: [&str; 6] = ["config", "HEAD", "packed-refs", "hooks", "info", "refs"];
/// How the entries of `.git/` are named in a snapshot.
const GIT_PREFIX: &str = ".git/";

/// The state of a directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The commit checked out, when the directory is in a repository.
    pub head: Option<String>,
    /// Path (relative) → its state: git's status flags and content hash in a repository, the
    /// hash (or size and time) elsewhere.
    pub entries: BTreeMap<String, String>,
    /// The snapshot could not be taken whole; the reason.
    pub incomplete: Option<String>,
}

/// How much a snapshot covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Everything a task could change there: ignored files and `.git/` too.
    Audit,
    /// A checkout's own state: its `HEAD`, tracked and untracked files.
    Checkout,
}

impl Snapshot {
    /// The state of `cwd` now, for the read-only fallback's audit.
    pub fn take(cwd: &Path) -> Snapshot {
        match Repository::discover(cwd) {
            Ok(repo) if repo.workdir().is_some() => of_repository(&repo, Scope::Audit),
            _ => of_tree(cwd),
        }
    }

    /// The state of the checkout of the repository at `root` (`HEAD`, tracked and untracked
    /// files), to see whether a full-access task changed the person's own checkout.
    pub fn of_checkout(root: &Path) -> Snapshot {
        match Repository::open(root) {
            Ok(repo) if repo.workdir().is_some() => of_repository(&repo, Scope::Checkout),
            Ok(_) => Snapshot::default(),
            Err(e) => Snapshot {
                incomplete: Some(format!("cannot open the repository: {e}")),
                ..Snapshot::default()
            },
        }
    }

    /// The paths that differ from `before` (`HEAD` when a commit or checkout moved it).
    pub fn changed_paths_since(&self, before: &Snapshot) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if self.head != before.head {
            out.push("HEAD".into());
        }
        let keys = self.entries.keys().chain(before.entries.keys());
        let mut changed: Vec<&String> = keys
            .filter(|p| self.entries.get(*p) != before.entries.get(*p))
            .collect();
        changed.sort();
        changed.dedup();
        out.extend(changed.into_iter().cloned());
        out
    }

    /// What differs from `before`, one line per path: `modified: a.rs`, `created: b.txt`,
    /// `deleted: c.txt`, and `HEAD moved` when a commit was made.
    pub fn changes_since(&self, before: &Snapshot) -> Vec<String> {
        let mut out = Vec::new();
        if self.head != before.head {
            out.push(format!(
                "HEAD moved: {} → {} (a commit or checkout)",
                before.head.as_deref().unwrap_or("none"),
                self.head.as_deref().unwrap_or("none")
            ));
        }
        // Untracked, ignored and `.git/` entries are listed only while they exist.
        let is_new = |state: &str| {
            self.head.is_none()
                || state.contains("WT_NEW")
                || state.contains("IGNORED")
                || state.starts_with("gitdir")
        };
        for (path, after) in &self.entries {
            let what = match before.entries.get(path) {
                _ if after.starts_with("deleted") => "deleted",
                None if is_new(after) => "created",
                None => "modified",
                Some(b) if b != after => "modified",
                Some(_) => continue,
            };
            out.push(format!("{what}: {path}"));
        }
        for (path, was) in before
            .entries
            .iter()
            .filter(|(p, _)| !self.entries.contains_key(*p))
        {
            // Gone from the list: removed (an untracked file, or any file outside git), or a
            // changed tracked file put back as it was committed.
            let what = if is_new(was) {
                "deleted"
            } else {
                "changed back"
            };
            out.push(format!("{what}: {path}"));
        }
        out
    }
}

fn of_repository(repo: &Repository, scope: Scope) -> Snapshot {
    let mut snap = Snapshot {
        head: repo
            .head()
            .ok()
            .and_then(|h| h.target())
            .map(|oid| oid.to_string()),
        ..Snapshot::default()
    };
    let Some(root) = repo.workdir().map(Path::to_path_buf) else {
        return snap;
    };
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(scope == Scope::Audit)
        .recurse_ignored_dirs(scope == Scope::Audit);
    let statuses = match repo.statuses(Some(&mut opts)) {
        Ok(s) => s,
        Err(e) => {
            snap.incomplete = Some(format!("git status failed: {e}"));
            return snap;
        }
    };
    let mut ignored = 0;
    for entry in statuses.iter() {
        let Some(path) = entry.path() else { continue };
        if path.starts_with(LINK_DIR) {
            continue;
        }
        let status = entry.status();
        let state = if status.intersects(Status::WT_DELETED | Status::INDEX_DELETED) {
            format!("deleted {status:?}")
        } else if status.contains(Status::IGNORED) {
            // Ignored files are often many and large: their size and time, not a hash.
            ignored += 1;
            if ignored > MAX_IGNORED {
                snap.incomplete = Some(format!(
                    "more than {MAX_IGNORED} ignored files; the rest not compared"
                ));
                continue;
            }
            format!("{status:?} {}", stat_of(&root.join(path)))
        } else {
            format!("{status:?} {}", fingerprint(&root.join(path)))
        };
        snap.entries.insert(path.to_string(), state);
    }
    if scope == Scope::Audit {
        add_git_dir(repo, &mut snap);
    }
    snap
}

/// The parts of `.git/` that make git run code or change what the checkout is, each with its
/// mode and content: a hook made executable, an alias that runs a command, a moved ref.
fn add_git_dir(repo: &Repository, snap: &mut Snapshot) {
    let common = repo.commondir().to_path_buf();
    let mut stack: Vec<std::path::PathBuf> = GIT_PARTS.iter().map(|p| common.join(p)).collect();
    // A linked worktree has a HEAD of its own.
    if repo.path() != common {
        stack.push(repo.path().join("HEAD"));
    }
    let mut count = 0;
    while let Some(path) = stack.pop() {
        let Ok(md) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if md.is_dir() {
            if let Ok(rd) = std::fs::read_dir(&path) {
                stack.extend(rd.flatten().map(|e| e.path()));
            }
            continue;
        }
        count += 1;
        if count > MAX_GIT_FILES {
            snap.incomplete = Some(format!(
                "more than {MAX_GIT_FILES} files in .git; the rest not compared"
            ));
            return;
        }
        let base = if path.starts_with(&common) {
            &common
        } else {
            repo.path()
        };
        let Ok(rel) = path.strip_prefix(base) else {
            continue;
        };
        use std::os::unix::fs::PermissionsExt;
        let mode = md.permissions().mode() & 0o7777;
        let key = format!("{GIT_PREFIX}{}", rel.to_string_lossy());
        snap.entries
            .insert(key, format!("gitdir {mode:o} {}", fingerprint(&path)));
    }
}

/// A file's size, time and mode: enough to see that it changed without reading it.
fn stat_of(path: &Path) -> String {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    match std::fs::symlink_metadata(path) {
        Ok(md) => format!(
            "size {} mtime {}.{} mode {:o}",
            md.len(),
            md.mtime(),
            md.mtime_nsec(),
            md.permissions().mode() & 0o7777
        ),
        Err(_) => "missing".into(),
    }
}

fn of_tree(root: &Path) -> Snapshot {
    let mut snap = Snapshot::default();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in rd.flatten() {
            let path = entry.path();
            let Ok(rel) = path.strip_prefix(root) else {
                continue;
            };
            let rel = rel.to_string_lossy().into_owned();
            if rel == LINK_DIR || rel == ".git" {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(path);
            } else if snap.entries.len() >= MAX_WALKED {
                snap.incomplete = Some(format!(
                    "more than {MAX_WALKED} files; the rest not compared"
                ));
                return snap;
            } else {
                snap.entries.insert(rel, fingerprint(&path));
            }
        }
    }
    snap
}

/// The content hash of a file (git's blob hash), or its size and time when it is very large,
/// or its link target.
fn fingerprint(path: &Path) -> String {
    let Ok(md) = std::fs::symlink_metadata(path) else {
        return "missing".into();
    };
    if md.file_type().is_symlink() {
        return format!("link {:?}", std::fs::read_link(path).ok());
    }
    if md.len() > MAX_HASHED_BYTES {
        use std::os::unix::fs::MetadataExt;
        return format!("size {} mtime {}.{}", md.len(), md.mtime(), md.mtime_nsec());
    }
    Oid::hash_file(ObjectType::Blob, path)
        .map_or_else(|e| format!("unreadable {e}"), |o| o.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_snapshot_sees_created_modified_and_deleted_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("keep.txt"), "same").unwrap();
        std::fs::write(dir.path().join("edit.txt"), "old").unwrap();
        std::fs::write(dir.path().join("gone.txt"), "bye").unwrap();
        let before = Snapshot::take(dir.path());
        std::fs::write(dir.path().join("edit.txt"), "new").unwrap();
        std::fs::remove_file(dir.path().join("gone.txt")).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/new.txt"), "hi").unwrap();
        let changes = Snapshot::take(dir.path()).changes_since(&before);
        assert_eq!(
            changes,
            [
                "modified: edit.txt",
                "created: sub/new.txt",
                "deleted: gone.txt"
            ]
        );
        assert!(
            Snapshot::take(dir.path())
                .changes_since(&Snapshot::take(dir.path()))
                .is_empty()
        );
    }
}
