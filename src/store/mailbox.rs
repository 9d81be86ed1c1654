//! Letters to a running task's supervisor, from any process: a prompt to steer into the turn,
//! or the answer to one of Codex's questions. Only the supervisor talks to Codex, so the others
//! write a letter (one file in the task's `inbox/`, written atomically) and wait for its reply
//! (a file of the same name in `outbox/`). A letter outlives the server that wrote it, and one
//! that arrives while the supervisor is busy waits in the folder.
//!
//! The inbox is read with the store's rules: only regular files of a bounded size are letters.
//! Anything else found there (a FIFO, a link, a folder, an oversized or unreadable file) is
//! moved aside to `inbox/rejected/` and reported, so it can neither block nor bloat the
//! supervisor.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use nix::fcntl::OFlag;
use serde::{Deserialize, Serialize};

use super::fsutil::{ensure_private_dir, read_json, write_json};
use super::layout::TaskFiles;
use super::{StoreError, now_ms};
use crate::vocab::{Answerer, Decision};

/// The largest letter: a steer's prompt is at most 64 KiB, which JSON escaping can double.
pub const LETTER_MAX_BYTES: u64 = 256 * 1024;
/// Replies nobody collected are removed after this long.
const STALE_REPLY: Duration = Duration::from_secs(120);

/// What a letter asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "letter", rename_all = "snake_case")]
pub enum Letter {
    /// Deliver `prompt` into the running turn.
    Steer { prompt: String },
    /// Answer question `id` with `decision`; `by` is who answered, set by what delivered it.
    Answer {
        id: u64,
        decision: Decision,
        by: Answerer,
    },
}

/// The supervisor's reply to a letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub ok: bool,
    /// Why not, when not.
    #[serde(default)]
    pub error: Option<String>,
    /// The turn had ended when a steer arrived: it was not delivered.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub turn_over: bool,
}

impl Reply {
    pub fn ok() -> Reply {
        Reply {
            ok: true,
            error: None,
            turn_over: false,
        }
    }

    pub fn refused(why: impl Into<String>) -> Reply {
        Reply {
            ok: false,
            error: Some(why.into()),
            turn_over: false,
        }
    }

    /// A steer that came after the turn ended.
    pub fn turn_over() -> Reply {
        Reply {
            ok: false,
            error: Some("the task's turn had ended".into()),
            turn_over: true,
        }
    }
}

/// What became of a letter its writer waited for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Awaited {
    /// The supervisor answered.
    Replied(Reply),
    /// Nobody read it and nobody will (the task ended, or its supervisor is gone): it was
    /// taken back out of the inbox.
    Unread,
    /// The time ran out; it was taken back out of the inbox unread.
    Withdrawn,
    /// The time ran out after the supervisor took it: it may still act on it.
    Unconfirmed,
}

/// What reading the inbox found: the letters, oldest first, and what was moved aside.
#[derive(Debug, Default)]
pub struct Mail {
    pub letters: Vec<(String, Letter)>,
    /// One warning for each thing that was no letter.
    pub rejected: Vec<String>,
    /// Names of rejected files that may be letters whose writer waits for a reply.
    pub refused: Vec<String>,
}

impl TaskFiles {
    fn inbox(&self) -> PathBuf {
        self.dir.join("inbox")
    }
    fn outbox(&self) -> PathBuf {
        self.dir.join("outbox")
    }

    /// Leaves `letter` for the supervisor; returns its name, to wait for the reply by.
    pub fn post(&self, letter: &Letter) -> Result<String, StoreError> {
        let inbox = self.inbox();
        ensure_private_dir(&inbox)?;
        static SENT: AtomicU64 = AtomicU64::new(0);
        let n = SENT.fetch_add(1, Ordering::Relaxed);
        let name = format!("{:013}-{}-{n}.json", now_ms(), std::process::id());
        write_json(&inbox.join(&name), letter)?;
        Ok(name)
    }

    /// The letters waiting, oldest first; each is taken out of the inbox as it is read, and
    /// whatever is not a letter is moved aside.
    pub fn take_letters(&self) -> Mail {
        let mut mail = Mail::default();
        let Ok(entries) = std::fs::read_dir(self.inbox()) else {
            return mail;
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            // Temporary files of a letter being written, and the folder of rejects.
            .filter(|n| !n.starts_with('.') && n != "rejected")
            .collect();
        names.sort();
        for name in names {
            let path = self.inbox().join(&name);
            match read_letter(&path) {
                Ok(letter) => {
                    let _ = std::fs::remove_file(&path);
                    mail.letters.push((name, letter));
                }
                Err(why) => {
                    let moved = self.reject(&name);
                    mail.rejected.push(format!(
                        "`inbox/{name}` was not a letter ({why}) and was moved to {moved}"
                    ));
                    mail.refused.push(name);
                }
            }
        }
        mail
    }

    /// Moves `inbox/<name>` to `inbox/rejected/`; says where it went.
    fn reject(&self, name: &str) -> String {
        let rejected = self.inbox().join("rejected");
        let target = rejected.join(format!("{}-{name}", now_ms()));
        let moved = ensure_private_dir(&rejected).is_ok()
            && std::fs::rename(self.inbox().join(name), &target).is_ok();
        if moved {
            return format!(
                "inbox/rejected/{}",
                target
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default()
            );
        }
        // It could not be moved: it must not be read again, so it goes.
        let path = self.inbox().join(name);
        let _ = std::fs::remove_file(&path).or_else(|_| std::fs::remove_dir_all(&path));
        "nowhere: it could not be moved, so it was removed".into()
    }

    /// Answers the letter `name`.
    pub fn reply(&self, name: &str, reply: &Reply) {
        if ensure_private_dir(&self.outbox()).is_ok() {
            let _ = write_json(&self.outbox().join(name), reply);
        }
    }

    /// Removes replies older than their writer could have waited for.
    pub fn sweep_replies(&self) {
        let Ok(entries) = std::fs::read_dir(self.outbox()) else {
            return;
        };
        let now = SystemTime::now();
        for e in entries.flatten() {
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age >= STALE_REPLY);
            if old {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    /// The reply to letter `name`, waiting up to `timeout` for it. `unread` is asked now and
    /// then whether anyone is left to read it (the task has not ended and its supervisor
    /// lives); when not, or when the time runs out first, the letter is taken back.
    pub fn await_reply(&self, name: &str, timeout: Duration, unread: impl Fn() -> bool) -> Awaited {
        let path = self.outbox().join(name);
        let until = Instant::now() + timeout;
        let mut checked = Instant::now();
        loop {
            if let Ok(Some(reply)) = read_json::<Reply>(&path) {
                let _ = std::fs::remove_file(&path);
                return Awaited::Replied(reply);
            }
            let look = checked.elapsed() >= Duration::from_millis(250);
            if look {
                checked = Instant::now();
            }
            if look && unread() && self.withdraw(name) {
                return Awaited::Unread;
            }
            if Instant::now() >= until {
                return match self.withdraw(name) {
                    true => Awaited::Withdrawn,
                    false => Awaited::Unconfirmed,
                };
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Takes letter `name` back out of the inbox; false when the supervisor already took it.
    fn withdraw(&self, name: &str) -> bool {
        std::fs::remove_file(self.inbox().join(name)).is_ok()
    }
}

/// Reads one letter: a regular file (not followed if it is a link, not waited on if it is a
/// FIFO) of at most [`LETTER_MAX_BYTES`], holding a letter.
fn read_letter(path: &std::path::Path) -> Result<Letter, String> {
    let md = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    let kind = md.file_type();
    let what = if kind.is_symlink() {
        Some("a symbolic link")
    } else if kind.is_fifo() {
        Some("a FIFO")
    } else if kind.is_dir() {
        Some("a folder")
    } else if !kind.is_file() {
        Some("not a regular file")
    } else {
        None
    };
    if let Some(what) = what {
        return Err(what.into());
    }
    if md.len() > LETTER_MAX_BYTES {
        return Err(format!(
            "{} bytes, over the {LETTER_MAX_BYTES}-byte limit",
            md.len()
        ));
    }
    let file: File = OpenOptions::new()
        .read(true)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK).bits())
        .open(path)
        .map_err(|e| e.to_string())?;
    // It could have been replaced between the look and the open.
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err("not a regular file".into());
    }
    let mut bytes = Vec::new();
    file.take(LETTER_MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > LETTER_MAX_BYTES {
        return Err(format!("over the {LETTER_MAX_BYTES}-byte limit"));
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("not a letter: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_letter_is_taken_once_and_answered() {
        let dir = tempfile::tempdir().unwrap();
        let files = TaskFiles::at(dir.path());
        let name = files
            .post(&Letter::Steer {
                prompt: "also check b".into(),
            })
            .unwrap();
        let mail = files.take_letters();
        assert_eq!(mail.letters.len(), 1);
        assert_eq!(mail.letters[0].0, name);
        assert!(files.take_letters().letters.is_empty());
        files.reply(&name, &Reply::ok());
        let got = files.await_reply(&name, Duration::from_secs(1), || false);
        assert_eq!(got, Awaited::Replied(Reply::ok()));
        let again = files.await_reply(&name, Duration::ZERO, || false);
        assert_eq!(again, Awaited::Unconfirmed);
    }

    #[test]
    fn what_is_no_letter_is_moved_aside_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let files = TaskFiles::at(dir.path());
        let inbox = dir.path().join("inbox");
        std::fs::create_dir_all(&inbox).unwrap();
        nix::unistd::mkfifo(&inbox.join("fifo.json"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", inbox.join("link.json")).unwrap();
        std::fs::create_dir(inbox.join("dir.json")).unwrap();
        std::fs::write(
            inbox.join("big.json"),
            vec![b' '; LETTER_MAX_BYTES as usize + 1],
        )
        .unwrap();
        std::fs::write(
            inbox.join("forged.json"),
            r#"{"letter":"answer","id":1,"decision":"accept","by":"someone"}"#,
        )
        .unwrap();
        let started = Instant::now();
        let mail = files.take_letters();
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(mail.letters.is_empty());
        assert_eq!(mail.rejected.len(), 5, "{:?}", mail.rejected);
        assert!(mail.rejected.iter().any(|r| r.contains("FIFO")));
        let left: Vec<_> = std::fs::read_dir(&inbox)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        assert_eq!(left, vec!["rejected".to_string()]);
        assert_eq!(
            std::fs::read_dir(inbox.join("rejected")).unwrap().count(),
            5
        );
    }

    #[test]
    fn replies_nobody_collected_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let files = TaskFiles::at(dir.path());
        files.reply("old.json", &Reply::ok());
        files.reply("new.json", &Reply::ok());
        let old = dir.path().join("outbox/old.json");
        let then = SystemTime::now() - STALE_REPLY - Duration::from_secs(1);
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(then)
            .unwrap();
        files.sweep_replies();
        assert!(!old.exists());
        assert!(dir.path().join("outbox/new.json").exists());
    }

    #[test]
    fn a_letter_nobody_reads_is_taken_back() {
        let dir = tempfile::tempdir().unwrap();
        let files = TaskFiles::at(dir.path());
        let name = files.post(&Letter::Steer { prompt: "x".into() }).unwrap();
        let got = files.await_reply(&name, Duration::from_secs(10), || true);
        assert_eq!(got, Awaited::Unread);
        assert!(files.take_letters().letters.is_empty());
        let name = files.post(&Letter::Steer { prompt: "y".into() }).unwrap();
        assert_eq!(
            files.await_reply(&name, Duration::from_millis(50), || false),
            Awaited::Withdrawn
        );
    }
}
