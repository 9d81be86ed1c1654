//! The codex command line. Built as an argv array (never a shell string); the prompt is not in
//! it at all: codex reads it from stdin (`-`), which is the task's prompt file.

use std::path::Path;

use super::CodexError;
use crate::config::{Config, Setting};

/// Codex's own sandbox modes, as `-s` and `sandbox_mode` name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodexSandbox {
    /// The OS sandbox refuses every write.
    ReadOnly,
    /// No OS sandbox: full-access tasks are isolated by their git worktree instead.
    DangerFullAccess,
}

impl CodexSandbox {
    pub fn as_str(self) -> &'static str {
        match self {
            CodexSandbox::ReadOnly => "read-only",
            CodexSandbox::DangerFullAccess => "danger-full-access",
        }
    }
}

/// Settings passed through to codex for every task.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodexOptions {
    /// `codex -p <name>` layers `$CODEX_HOME/<name>.config.toml`.
    pub profile: Option<String>,
    /// `-c model_reasoning_effort="<effort>"`.
    pub reasoning_effort: Option<String>,
}

impl CodexOptions {
    /// The options the configuration sets, checked so that nothing but a plain name or word
    /// reaches codex's command line.
    pub fn from_config(config: &Config) -> Result<Self, CodexError> {
        Self::from_settings(config.profile.as_ref(), config.reasoning_effort.as_ref())
    }

    fn from_settings(
        profile: Option<&Setting>,
        effort: Option<&Setting>,
    ) -> Result<Self, CodexError> {
        let name_ok = |p: &str| {
            !p.starts_with('-')
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        };
        if let Some(p) = profile.filter(|p| !name_ok(&p.value)) {
            return Err(CodexError::BadSetting {
                name: p.var,
                accepted: "a profile name of letters, digits, '.', '_' and '-', not starting with '-'",
            });
        }
        if let Some(e) = effort.filter(|e| !e.value.chars().all(|c| c.is_ascii_lowercase())) {
            return Err(CodexError::BadSetting {
                name: e.var,
                accepted: "a lowercase word such as minimal, low, medium, high or xhigh",
            });
        }
        Ok(CodexOptions {
            profile: profile.map(|p| p.value.clone()),
            reasoning_effort: effort.map(|e| e.value.clone()),
        })
    }
}

/// Arguments after the program name for one `codex exec` run.
///
/// A resume cannot take `-s`/`-C`, so it gets the sandbox through `-c sandbox_mode=...` and
/// the directory through the process's working directory (the supervisor sets it to `run_dir`
/// in both cases).
pub fn exec_argv(
    sandbox: CodexSandbox,
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
                sandbox.as_str().into(),
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
                format!("sandbox_mode=\"{}\"", sandbox.as_str()),
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
        let a = exec_argv(
            CodexSandbox::ReadOnly,
            Path::new("/w"),
            None,
            &CodexOptions::default(),
        );
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
        let opts = CodexOptions::from_settings(
            Some(&setting("CODEXMCP_PROFILE", "fast")),
            Some(&setting("CODEXMCP_REASONING_EFFORT", "high")),
        )
        .unwrap();
        let id = "01a200e7-30c1-7f70-988f-0d0342cef250";
        let a = exec_argv(CodexSandbox::ReadOnly, Path::new("/w"), Some(id), &opts);
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

    fn setting(var: &'static str, value: &str) -> Setting {
        Setting {
            var,
            value: value.into(),
        }
    }

    #[test]
    fn settings_are_validated_and_errors_name_the_variable() {
        let bad = |p: Option<&str>, e: Option<&str>| {
            CodexOptions::from_settings(
                p.map(|v| setting("CODEX_PROFILE", v)).as_ref(),
                e.map(|v| setting("CODEXMCP_REASONING_EFFORT", v)).as_ref(),
            )
            .unwrap_err()
            .to_string()
        };
        assert!(bad(Some("--last"), None).contains("CODEX_PROFILE"));
        assert!(bad(Some("a b"), None).contains("CODEX_PROFILE"));
        assert!(bad(None, Some("high\"x")).contains("CODEXMCP_REASONING_EFFORT"));
    }
}
