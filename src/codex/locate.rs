use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum CodexError {
    #[error(
        "the Codex CLI was not found: {detail}. Install it with `npm install -g @openai/codex` \
         (tested with 0.169.0), or set CODEX_BIN to the path of the codex executable"
    )]
    NotFound { detail: String },
    #[error("environment variable {name} has an unusable value; accepted: {accepted}")]
    BadSetting {
        name: &'static str,
        accepted: &'static str,
    },
}

/// The codex executable: `CODEX_BIN` when set, otherwise `codex` on `PATH`.
pub fn locate_codex() -> Result<PathBuf, CodexError> {
    if let Some(bin) = std::env::var_os("CODEX_BIN").filter(|b| !b.is_empty()) {
        let path = PathBuf::from(&bin);
        return if is_executable(&path) {
            Ok(path)
        } else {
            Err(CodexError::NotFound {
                detail: format!("CODEX_BIN={} is not an executable file", path.display()),
            })
        };
    }
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path_var)
        .map(|dir| dir.join("codex"))
        .find(|p| is_executable(p))
        .ok_or_else(|| CodexError::NotFound {
            detail: "CODEX_BIN is not set and no `codex` is on PATH".into(),
        })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}
