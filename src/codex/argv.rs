//! The codex command line. Built as an argv array (never a shell string); the prompt is not in
//! it at all: codex reads it from stdin (`-`), which is the task's prompt file.

use std::path::Path;

use super::CodexError;

/// Settings taken from the server's environment and passed through to codex.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodexOptions {
    /// `CODEX_PROFILE`: `codex -p <name>` layers `$CODEX_HOME/<name>.config.toml`.
    pub profile: Option<String>,
    /// `CODEX_REASONING_EFFORT`: `-c model_reasoning_effort="<effort>"`.
    pub reasoning_effort: Option<String>,
}

impl CodexOptions {
    pub fn from_env() -> Result<Self, CodexError> {
        Self::from_values(
            std::env::var("CODEX_PROFILE").ok(),
            std::env::var("CODEX_REASONING_EFFORT").ok(),
        )
    }

    pub fn from_values(
        profile: Option<String>,
        effort: Option<String>,
    ) -> Result<Self, CodexError> {
        let profile = profile.filter(|p| !p.is_empty());
        let effort = effort.filter(|e| !e.is_empty());
        let name_ok = |p: &str| {
            !p.starts_with('-')
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        };
        if profile.as_deref().is_some_and(|p| !name_ok(p)) {
            return Err(CodexError::BadSetting {
                name: "CODEX_PROFILE",
                accepted: "a profile name of letters, digits, '.', '_' and '-', not starting with '-'",
            });
        }
        if let Some(e) = &effort
            && !e.chars().all(|c| c.is_ascii_lowercase())
        {
            return Err(CodexError::BadSetting {
                name: "CODEX_REASONING_EFFORT",
                accepted: "a lowercase word such as minimal, low, medium, high or xhigh",
            });
        }
        Ok(CodexOptions {
            profile,
            reasoning_effort: effort,
        })
    }
}

/// Arguments after the program name for one `codex exec` run.
///
/// `sandbox_mode` is codex's own name (`read-only`, `danger-full-access`). A resume cannot take
/// `-s`/`-C`, so it gets the sandbox through `-c sandbox_mode=...` and the directory through the
/// process's working directory (the supervisor sets it to `run_dir` in both cases).
pub fn exec_argv(
    sandbox_mode: &str,
    run_dir: &Path,
    resume_session: Option<&str>,
    opts: &CodexOptions,
) -> Vec<String> {
    let mut a: Vec<String> = Vec::new();
    if let Some(p) = &opts.profile {
        // Root-level so it works for `exec resume` too, which has no -p of its own.
        a.extend(["-p".into(), p.clone()]);
    }
    a.push("exec".into());
    match resume_session {
        None => {
            a.extend([
                "--json".into(),
                "--color".into(),
                "never".into(),
                "--skip-git-repo-check".into(),
                "-s".into(),
                sandbox_mode.into(),
                "-C".into(),
                run_dir.to_string_lossy().into_owned(),
            ]);
        }
        Some(_) => {
            a.extend([
                "resume".into(),
                "--json".into(),
                "--skip-git-repo-check".into(),
                "-c".into(),
                format!("sandbox_mode=\"{sandbox_mode}\""),
            ]);
        }
    }
    if let Some(e) = &opts.reasoning_effort {
        a.extend(["-c".into(), format!("model_reasoning_effort=\"{e}\"")]);
    }
    if let Some(id) = resume_session {
        a.push(id.into());
    }
    a.push("-".into());
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_run_reads_prompt_from_stdin() {
        let a = exec_argv("read-only", Path::new("/w"), None, &CodexOptions::default());
        assert_eq!(
            a,
            [
                "exec",
                "--json",
                "--color",
                "never",
                "--skip-git-repo-check",
                "-s",
                "read-only",
                "-C",
                "/w",
                "-"
            ]
        );
    }

    #[test]
    fn resume_sets_sandbox_by_config_and_puts_profile_first() {
        let opts = CodexOptions::from_values(Some("fast".into()), Some("high".into())).unwrap();
        let id = "01a200e7-30c1-7f70-988f-0d0342cef250";
        let a = exec_argv("read-only", Path::new("/w"), Some(id), &opts);
        assert_eq!(
            a,
            [
                "-p",
                "fast",
                "exec",
                "resume",
                "--json",
                "--skip-git-repo-check",
                "-c",
                "sandbox_mode=\"read-only\"",
                "-c",
                "model_reasoning_effort=\"high\"",
                id,
                "-"
            ]
        );
        assert!(!a.iter().any(|x| x == "-s" || x == "-C"));
    }

    #[test]
    fn settings_are_validated() {
        assert!(CodexOptions::from_values(Some("--last".into()), None).is_err());
        assert!(CodexOptions::from_values(Some("a b".into()), None).is_err());
        assert!(CodexOptions::from_values(None, Some("high\"x".into())).is_err());
        assert_eq!(
            CodexOptions::from_values(Some(String::new()), Some(String::new())).unwrap(),
            CodexOptions::default()
        );
    }
}
