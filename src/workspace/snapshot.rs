//! What a directory holds, taken before and after a read-only task that ran without Codex's
//! sandbox, so the audit sees what changed whatever command changed it. In a git repository:
//! `HEAD` and every changed, staged or untracked path with its content hash (a clean tracked
//! file that changes shows up in the later status). Elsewhere: every file and its hash.

use std::collections::BTreeMap;
use std::path::Path;

use git2::{ObjectType, Oid, Repository, Status, StatusOptions};
use serde::{Deserialize, Serialize};

use super::LINK_DIR;

/// Files hashed outside a repository before the rest are only listed.
const MAX_WALKED: usize = 50_000;
/// Files larger than this are compared by size and time, not hashed.
const MAX_HASHED_BYTES: u64 = 64 * 1024 * 1024;

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

impl Snapshot {
    /// The state of `cwd` now.
    pub fn take(cwd: &Path) -> Snapshot {
        match Repository::discover(cwd) {
            Ok(repo) if repo.workdir().is_some() => of_repository(&repo),
            _ => of_tree(cwd),
        }
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
        let is_new = |state: &str| self.head.is_none() || state.contains("WT_NEW");
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

fn of_repository(repo: &Repository) -> Snapshot {
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
        .include_ignored(false);
    let statuses = match repo.statuses(Some(&mut opts)) {
        Ok(s) => s,
        Err(e) => {
            snap.incomplete = Some(format!("git status failed: {e}"));
            return snap;
        }
    };
    for entry in statuses.iter() {
        let Some(path) = entry.path() else { continue };
        if path.starts_with(LINK_DIR) {
            continue;
        }
        let state = if entry
            .status()
            .intersects(Status::WT_DELETED | Status::INDEX_DELETED)
        {
            format!("deleted {:?}", entry.status())
        } else {
            format!("{:?} {}", entry.status(), fingerprint(&root.join(path)))
        };
        snap.entries.insert(path.to_string(), state);
    }
    snap
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
