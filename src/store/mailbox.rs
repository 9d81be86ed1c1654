//! Letters to a running task's supervisor, from any process: a prompt to steer into the turn,
//! or the answer to Codex's question. Only the supervisor talks to Codex, so the others write
//! a letter (one file in the task's `inbox/`, written atomically) and wait for its reply (a
//! file of the same name in `outbox/`). A letter outlives the server that wrote it, and one
//! that arrives while the supervisor is busy waits in the folder.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::fsutil::{ensure_private_dir, read_json, write_json};
use super::layout::TaskFiles;
use super::{StoreError, now_ms};
use crate::vocab::Decision;

/// What a letter asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "letter", rename_all = "snake_case")]
pub enum Letter {
    /// Deliver `prompt` into the running turn.
    Steer { prompt: String },
    /// Answer question `id` with `decision`; `by` says who answered.
    Answer {
        id: u64,
        decision: Decision,
        by: String,
    },
}

/// The supervisor's reply to a letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub ok: bool,
    /// Why not, when not.
    #[serde(default)]
    pub error: Option<String>,
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

    /// The letters waiting, oldest first; each is taken out of the inbox as it is read.
    pub fn take_letters(&self) -> Vec<(String, Letter)> {
        let Ok(entries) = std::fs::read_dir(self.inbox()) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        names
            .into_iter()
            .filter_map(|name| {
                let path = self.inbox().join(&name);
                let letter = read_json::<Letter>(&path).ok().flatten();
                let _ = std::fs::remove_file(&path);
                letter.map(|l| (name, l))
            })
            .collect()
    }

    /// Answers the letter `name`.
    pub fn reply(&self, name: &str, reply: &Reply) {
        if ensure_private_dir(&self.outbox()).is_ok() {
            let _ = write_json(&self.outbox().join(name), reply);
        }
    }

    /// The reply to letter `name`, waiting up to `timeout` for it; `None` when none came.
    pub fn await_reply(&self, name: &str, timeout: Duration) -> Option<Reply> {
        let path = self.outbox().join(name);
        let until = Instant::now() + timeout;
        loop {
            if let Ok(Some(reply)) = read_json::<Reply>(&path) {
                let _ = std::fs::remove_file(&path);
                return Some(reply);
            }
            if Instant::now() >= until {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
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
        let taken = files.take_letters();
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].0, name);
        assert!(files.take_letters().is_empty());
        files.reply(
            &name,
            &Reply {
                ok: true,
                error: None,
            },
        );
        assert!(files.await_reply(&name, Duration::from_secs(1)).unwrap().ok);
        assert!(files.await_reply(&name, Duration::ZERO).is_none());
    }
}
