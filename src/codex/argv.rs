//! The codex command line. Built as an argv array (never a shell string); the prompt is not in
//! it at all: codex reads it from stdin (`-`), which is the task's prompt file.

use std::path::Path;

use super::CodexError;
use crate::config::{Config, Setting};
use crate::vocab::{BUILTIN_EFFORTS, CodexOptions, Effort, ReviewLaunch, ReviewTarget, Sandbox};

/// Codex's own sandbox modes, as `-s` and `sandbox_mode` name them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr, strum::VariantArray,
)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum CodexSandbox {
    /// The OS sandbox refuses every write.
    ReadOnly,
    /// No OS sandbox: full-access tasks are isolated by their git worktree instead.
    DangerFullAccess,
}

impl CodexSandbox {
    /// The one place a task's sandbox becomes Codex's: a read-only task runs in Codex's
    /// read-only sandbox unless the fallback is on; a full-access task is isolated by its
    /// worktree instead.
    pub fn for_task(sandbox: Sandbox, readonly_fallback: bool) -> CodexSandbox {
        match sandbox {
            Sandbox::ReadOnly if !readonly_fallback => CodexSandbox::ReadOnly,
            _ => CodexSandbox::DangerFullAccess,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What a profile name may hold, as a JSON-schema pattern.
pub const PROFILE_PATTERN: &str = "^[A-Za-z0-9_.][A-Za-z0-9_.-]*$";
/// What a model name may hold, as a JSON-schema pattern: anything printable that cannot be
/// read as a flag.
pub const MODEL_PATTERN: &str = "^[A-Za-z0-9_.:/@+][A-Za-z0-9_.:/@+-]*$";
/// The longest model or profile name accepted.
pub const NAME_MAX: usize = 200;

/// True when `name` matches [`PROFILE_PATTERN`].
pub fn is_profile_name(name: &str) -> bool {
    is_name(name, |c| c.is_ascii_alphanumeric() || "_.".contains(c))
}

/// True when `name` matches [`MODEL_PATTERN`].
pub fn is_model_name(name: &str) -> bool {
    is_name(name, |c| c.is_ascii_alphanumeric() || "_.:/@+".contains(c))
}

fn is_name(name: &str, allowed: impl Fn(char) -> bool) -> bool {
    name.len() <= NAME_MAX
        && name.chars().next().is_some_and(&allowed)
        && name.chars().all(|c| allowed(c) || c == '-')
}

/// What an effort setting may be, in words.
const EFFORTS_ACCEPTED: &str = "an effort the model offers, such as low, medium, high, xhigh, \
     max or ultra (Codex's model catalog says which)";

/// The built-in efforts, said as a list.
pub fn builtin_efforts() -> String {
    BUILTIN_EFFORTS.join(", ")
}

impl CodexOptions {
    /// The defaults the configuration sets, checked so that nothing but a plain name or word
    /// reaches codex's command line.
    pub fn from_config(config: &Config) -> Result<Self, CodexError> {
        Self::from_settings(
            config.model.as_ref(),
            config.reasoning_effort.as_ref(),
            config.profile.as_ref(),
        )
    }

    fn from_settings(
        model: Option<&Setting>,
        effort: Option<&Setting>,
        profile: Option<&Setting>,
    ) -> Result<Self, CodexError> {
        if let Some(m) = model.filter(|m| !is_model_name(&m.value)) {
            return Err(CodexError::BadSetting {
                name: m.var,
                accepted: "a model name of ASCII letters, digits and `_.:/@+-`, not starting with '-'",
            });
        }
        if let Some(p) = profile.filter(|p| !is_profile_name(&p.value)) {
            return Err(CodexError::BadSetting {
                name: p.var,
                accepted: "a profile name of ASCII letters, digits, '.', '_' and '-', not starting with '-'",
            });
        }
        // A word here; which words the model takes is the catalog's to say, at a task's start.
        let reasoning_effort = match effort {
            Some(e) => Some(Effort::parse(&e.value).ok_or(CodexError::BadSetting {
                name: e.var,
                accepted: EFFORTS_ACCEPTED,
            })?),
            None => None,
        };
        Ok(CodexOptions {
            model: model.map(|m| m.value.clone()),
            reasoning_effort,
            profile: profile.map(|p| p.value.clone()),
        })
    }

    /// Each option of `self`, or else of `fallback`.
    pub fn or(self, fallback: &CodexOptions) -> CodexOptions {
        CodexOptions {
            model: self.model.or_else(|| fallback.model.clone()),
            reasoning_effort: self
                .reasoning_effort
                .or_else(|| fallback.reasoning_effort.clone()),
            profile: self.profile.or_else(|| fallback.profile.clone()),
        }
    }
}

/// `codex app-server`'s arguments (after the program) for a task with `opts`. The folder, the
/// sandbox, the approval policy and the model are the thread's, given when it starts
/// ([`super::protocol::ThreadSettings`]), and so are a profile's settings (`codex app-server`
/// takes no `-p`); the reasoning effort is a setting of the server.
pub fn app_server_argv(opts: &CodexOptions) -> Vec<String> {
    let mut a: Vec<String> = vec!["app-server".into()];
    if let Some(e) = &opts.reasoning_effort {
        a.extend(["-c".into(), format!("model_reasoning_effort=\"{e}\"")]);
    }
    a
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
    match resume_session {
        None => a.extend(fresh_exec(sandbox, run_dir)),
        Some(_) => {
            a.extend([
                "exec".into(),
                "resume".into(),
                "--json".into(),
                "--skip-git-repo-check".into(),
                "-c".into(),
                format!("sandbox_mode=\"{}\"", sandbox.as_str()),
            ]);
        }
    }
    // `exec`, `exec resume` and `exec review` all take them.
    a.extend(model_and_effort(opts));
    if let Some(id) = resume_session {
        a.push(id.into());
    }
    a.push("-".into());
    a
}

/// `codex exec review` for a review task: the target as its flags (a custom one as its
/// instructions, read from stdin: the task's prompt), the caller's instructions as Codex's
/// developer instructions, beside its own review guidelines.
pub fn exec_review_argv(
    sandbox: CodexSandbox,
    run_dir: &Path,
    opts: &CodexOptions,
    review: &ReviewLaunch,
) -> Vec<String> {
    let mut a: Vec<String> = Vec::new();
    if let Some(p) = &opts.profile {
        a.extend(["-p".into(), p.clone()]);
    }
    a.extend(fresh_exec(sandbox, run_dir));
    a.push("review".into());
    a.extend(model_and_effort(opts));
    if let Some(i) = &review.instructions {
        // A TOML basic string: JSON's escapes are TOML's.
        a.extend([
            "-c".into(),
            format!(
                "developer_instructions={}",
                serde_json::Value::from(i.as_str())
            ),
        ]);
    }
    match &review.target {
        ReviewTarget::UncommittedChanges => a.push("--uncommitted".into()),
        ReviewTarget::BaseBranch { branch } => a.extend(["--base".into(), branch.clone()]),
        ReviewTarget::Commit { sha, title } => {
            a.extend(["--commit".into(), sha.clone()]);
            if let Some(t) = title {
                a.extend(["--title".into(), t.clone()]);
            }
        }
        ReviewTarget::Custom { .. } => a.push("-".into()),
    }
    a
}

/// `exec` for a first run: JSON events, no colour, in `run_dir` with `sandbox`.
fn fresh_exec(sandbox: CodexSandbox, run_dir: &Path) -> Vec<String> {
    let mut a: Vec<String> = [
        "exec",
        "--json",
        "--color",
        "never",
        "--skip-git-repo-check",
        "-s",
    ]
    .map(String::from)
    .to_vec();
    a.push(sandbox.as_str().into());
    a.extend(["-C".into(), run_dir.to_string_lossy().into_owned()]);
    a
}

/// `-m` and the reasoning effort, when the task names them.
fn model_and_effort(opts: &CodexOptions) -> Vec<String> {
    let mut a = Vec::new();
    if let Some(m) = &opts.model {
        a.extend(["-m".into(), m.clone()]);
    }
    if let Some(e) = &opts.reasoning_effort {
        a.extend(["-c".into(), format!("model_reasoning_effort=\"{e}\"")]);
    }
    a
}

/// The argv of a later run, from the `recorded` argv of the first and the codex arguments
/// (`first_args`) that run was given: everything the record holds before them — the program,
/// and any wrapper a launch put around it — is kept, and `next_args` follow. A record that
/// does not end with `first_args` keeps its program only.
pub fn next_run_argv(
    recorded: &[String],
    first_args: &[String],
    next_args: Vec<String>,
) -> Option<Vec<String>> {
    let program = match recorded.len().checked_sub(first_args.len()) {
        Some(n) if n > 0 && recorded[n..] == *first_args => &recorded[..n],
        _ => recorded.get(..1)?,
    };
    let mut argv = program.to_vec();
    argv.extend(next_args);
    Some(argv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_later_run_keeps_the_program_and_any_wrapper_before_it() {
        let opts = CodexOptions::default();
        let first = exec_argv(CodexSandbox::DangerFullAccess, Path::new("/w"), None, &opts);
        let next = exec_argv(
            CodexSandbox::DangerFullAccess,
            Path::new("/w"),
            Some("s-1"),
            &opts,
        );
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        for program in [
            s(&["/bin/codex"]),
            s(&["docker", "exec", "-i", "box", "/usr/bin/codex"]),
        ] {
            let mut recorded = program.clone();
            recorded.extend(first.clone());
            let argv = next_run_argv(&recorded, &first, next.clone()).unwrap();
            assert_eq!(argv[..program.len()], program[..]);
            assert_eq!(argv[program.len()..], next[..]);
        }
        // A record written otherwise (by an older version) keeps its program.
        let odd = s(&["/bin/codex", "exec", "--json"]);
        assert_eq!(
            next_run_argv(&odd, &first, next.clone()).unwrap()[..],
            [s(&["/bin/codex"]), next.clone()].concat()[..]
        );
        assert_eq!(next_run_argv(&[], &first, next), None);
    }

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
            Some(&setting("CODEXMCP_MODEL", "gpt-x")),
            Some(&setting("CODEXMCP_REASONING_EFFORT", "high")),
            Some(&setting("CODEXMCP_PROFILE", "fast")),
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
                "-m",
                "gpt-x",
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
        let bad = |m: Option<&str>, p: Option<&str>, e: Option<&str>| {
            CodexOptions::from_settings(
                m.map(|v| setting("CODEXMCP_MODEL", v)).as_ref(),
                e.map(|v| setting("CODEXMCP_REASONING_EFFORT", v)).as_ref(),
                p.map(|v| setting("CODEX_PROFILE", v)).as_ref(),
            )
            .unwrap_err()
            .to_string()
        };
        assert!(bad(None, Some("--last"), None).contains("CODEX_PROFILE"));
        assert!(bad(None, Some("a b"), None).contains("CODEX_PROFILE"));
        assert!(bad(None, None, Some("high\"x")).contains("CODEXMCP_REASONING_EFFORT"));
        // A word passes here: whether the model offers it is the catalog's to say at a start.
        assert!(bad(None, None, Some("Extreme")).contains("CODEXMCP_REASONING_EFFORT"));
        assert!(bad(Some("-x"), None, None).contains("CODEXMCP_MODEL"));
        assert!(is_model_name("openai/gpt-oss-120b") && is_model_name("llama3:70b"));
        assert!(!is_model_name("a b") && !is_model_name("") && !is_profile_name("-p"));
    }

    #[test]
    fn a_review_on_exec_is_codex_exec_review_with_its_target_and_instructions() {
        let review = |target: ReviewTarget, instructions: Option<&str>| ReviewLaunch {
            target,
            instructions: instructions.map(str::to_string),
            of_task: None,
        };
        let argv = |r: &ReviewLaunch| {
            exec_review_argv(
                CodexSandbox::ReadOnly,
                Path::new("/w"),
                &CodexOptions::default(),
                r,
            )
        };
        let a = argv(&review(
            ReviewTarget::UncommittedChanges,
            Some("say \"why\"\nplease"),
        ));
        assert_eq!(
            a[..9],
            [
                "exec",
                "--json",
                "--color",
                "never",
                "--skip-git-repo-check",
                "-s",
                "read-only",
                "-C",
                "/w"
            ]
        );
        assert_eq!(a[9], "review");
        assert!(
            a.contains(&r#"developer_instructions="say \"why\"\nplease""#.to_string()),
            "{a:?}"
        );
        assert_eq!(a.last().map(String::as_str), Some("--uncommitted"));
        let a = argv(&review(
            ReviewTarget::BaseBranch {
                branch: "main".into(),
            },
            None,
        ));
        assert_eq!(a[a.len() - 2..], ["--base", "main"]);
        let a = argv(&review(
            ReviewTarget::Commit {
                sha: "abc".into(),
                title: Some("t".into()),
            },
            None,
        ));
        assert_eq!(a[a.len() - 4..], ["--commit", "abc", "--title", "t"]);
        // A custom review reads its instructions from stdin (the task's prompt).
        let a = argv(&review(
            ReviewTarget::Custom {
                instructions: "x".into(),
            },
            None,
        ));
        assert_eq!(a.last().map(String::as_str), Some("-"));
    }
}
