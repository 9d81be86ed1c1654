//! What a Codex binary can do, kept in the store per binary (its path, size and time of
//! change): whether it has `app-server`, and its model catalog. Each is asked once per installed
//! Codex, not once per task; an upgrade (a new size or time) asks again.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Store;
use super::fsutil::{ensure_private_dir, read_json, write_json};
use crate::vocab::Catalog;

/// What is known of one Codex binary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodexFacts {
    /// The binary these facts are about.
    #[serde(default)]
    pub path: PathBuf,
    /// Whether it has the `app-server` command.
    #[serde(default)]
    pub app_server: Option<bool>,
    /// Its model catalog, when it could be read.
    #[serde(default)]
    pub catalog: Option<Catalog>,
}

impl Store {
    /// The file holding the facts of the binary at `codex`, named by its identity; `None` when
    /// the binary cannot be looked at.
    fn facts_file(&self, codex: &Path) -> Option<PathBuf> {
        let real = std::fs::canonicalize(codex).ok()?;
        let md = std::fs::metadata(&real).ok()?;
        let identity = format!(
            "{}\0{}\0{}.{}",
            real.display(),
            md.len(),
            md.mtime(),
            md.mtime_nsec()
        );
        Some(
            self.home()
                .join("codex")
                .join(format!("{:016x}.json", fnv1a(identity.as_bytes()))),
        )
    }

    /// What the store knows of the Codex at `codex` (nothing yet: all unknown).
    pub fn codex_facts(&self, codex: &Path) -> CodexFacts {
        self.facts_file(codex)
            .and_then(|f| read_json::<CodexFacts>(&f).ok().flatten())
            .unwrap_or_default()
    }

    /// Keeps what was learned of the Codex at `codex`; a store that cannot be written only
    /// means it is asked again.
    pub fn learn_codex_facts(&self, codex: &Path, learn: impl FnOnce(&mut CodexFacts)) {
        let Some(file) = self.facts_file(codex) else {
            return;
        };
        let mut facts = read_json::<CodexFacts>(&file)
            .ok()
            .flatten()
            .unwrap_or_default();
        facts.path = codex.to_path_buf();
        learn(&mut facts);
        if let Some(dir) = file.parent()
            && ensure_private_dir(dir).is_ok()
        {
            let _ = write_json(&file, &facts);
        }
    }
}

/// FNV-1a, 64 bits: a stable name for a binary's identity (not a secret, not a checksum).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_kept_per_binary_and_forgotten_when_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(&dir.path().join("store"));
        let codex = dir.path().join("codex");
        std::fs::write(&codex, "v1").unwrap();
        assert_eq!(store.codex_facts(&codex).app_server, None);
        store.learn_codex_facts(&codex, |f| f.app_server = Some(true));
        assert_eq!(store.codex_facts(&codex).app_server, Some(true));
        std::fs::write(&codex, "version two").unwrap();
        assert_eq!(store.codex_facts(&codex).app_server, None);
    }
}
