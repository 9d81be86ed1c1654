//! What Codex's own settings say, as far as a task needs them: the model and provider they pick
//! (to check a task's model and effort against the catalog), and a profile's settings (passed
//! to app-server as a thread's `config`, which is how app-server takes a profile). Read from
//! `$CODEX_HOME/config.toml` and `$CODEX_HOME/<name>.config.toml` (or a `[profiles.<name>]`
//! table of config.toml).

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The most bytes of a settings file read.
const SETTINGS_MAX_BYTES: u64 = 4 * 1024 * 1024;

/// The few settings that choose a model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodexSettings {
    pub model: Option<String>,
    /// `model_provider`: absent or `openai` is OpenAI's own.
    pub provider: Option<String>,
    pub effort: Option<String>,
}

impl CodexSettings {
    /// The settings in `codex_home`, with `profile`'s over them; unreadable files count as
    /// empty (Codex says what is wrong with them when it starts).
    pub fn read(codex_home: &Path, profile: Option<&str>) -> CodexSettings {
        let base = read_toml(&codex_home.join("config.toml")).unwrap_or_default();
        let over = profile.and_then(|p| profile_table(codex_home, p).ok());
        let pick = |key: &str| {
            over.as_ref()
                .and_then(|o| o.get(key))
                .or_else(|| base.get(key))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        CodexSettings {
            model: pick("model"),
            provider: pick("model_provider"),
            effort: pick("model_reasoning_effort"),
        }
    }

    /// Whether the models are OpenAI's own, which the catalog describes.
    pub fn uses_openai(&self) -> bool {
        self.provider.as_deref().is_none_or(|p| p == "openai")
    }
}

/// A profile's settings as app-server's `thread/start` takes them (`config`): the table of
/// `<codex_home>/<name>.config.toml`, else `[profiles.<name>]` of config.toml. `Err` says why
/// it cannot be read.
pub fn profile_config(codex_home: &Path, name: &str) -> Result<Value, String> {
    let table = profile_table(codex_home, name)?;
    serde_json::to_value(table).map_err(|e| e.to_string())
}

fn profile_table(codex_home: &Path, name: &str) -> Result<toml::Table, String> {
    let own = codex_home.join(format!("{name}.config.toml"));
    if own.exists() {
        return read_toml(&own);
    }
    let config = codex_home.join("config.toml");
    let base = read_toml(&config)?;
    base.get("profiles")
        .and_then(|p| p.get(name))
        .and_then(|p| p.as_table())
        .cloned()
        .ok_or_else(|| {
            format!(
                "no profile `{name}`: neither {} nor a [profiles.{name}] table in {} exists",
                own.display(),
                config.display()
            )
        })
}

fn read_toml(path: &PathBuf) -> Result<toml::Table, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(format!("{} is not a regular file", path.display()));
    }
    let mut text = String::new();
    file.take(SETTINGS_MAX_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    text.parse::<toml::Table>()
        .map_err(|e| format!("{} is not valid TOML: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_is_read_from_its_file_or_its_table() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            "model = \"base\"\nmodel_provider = \"mock\"\n[profiles.deep]\nmodel_reasoning_effort = \"high\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("fast.config.toml"), "model = \"small\"\n").unwrap();
        let s = CodexSettings::read(dir.path(), Some("fast"));
        assert_eq!(s.model.as_deref(), Some("small"));
        assert!(!s.uses_openai());
        let s = CodexSettings::read(dir.path(), Some("deep"));
        assert_eq!(
            (s.model.as_deref(), s.effort.as_deref()),
            (Some("base"), Some("high"))
        );
        assert_eq!(
            profile_config(dir.path(), "fast").unwrap()["model"],
            "small"
        );
        let e = profile_config(dir.path(), "nope").unwrap_err();
        assert!(e.contains("no profile `nope`"), "{e}");
    }
}
