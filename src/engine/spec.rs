//! A request's validation. A [`TaskRequest`] is the request as sent (`contract/`, the tools'
//! input schema); a [`TaskSpec`] is one that passed every check.
//! Nothing here touches the disk beyond reading `cwd`'s metadata, so a rejected request leaves
//! no trace.

use std::path::{Path, PathBuf};

use super::EngineError;
use super::contract::{
    MAX_RETRIES, MAX_TIMEOUT_SECONDS, PROMPT_MAX_BYTES, TOPIC_MAX, TOPIC_PATTERN, TaskRequest,
};
use crate::codex::{CodexOptions, NAME_MAX, is_model_name, is_profile_name};
use crate::config::hosts::{ANY_HOST, HOST_NAME_MAX, is_host_name};
use crate::store::{Sandbox, TASK_ID_MAX_LEN, TaskId};
use crate::vocab::{ApprovalPolicy, Effort, ReviewLaunch};

/// A checked topic, `<type>-<desc>-v<N>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub full: String,
    /// `review` in `review-auth_module-v1`.
    pub kind: String,
    /// `auth_module` in `review-auth_module-v1`.
    pub desc: String,
    pub version: u32,
}

impl Topic {
    /// The description of a topic as one word (`implement-auth-v2` → `implement_auth`), for a
    /// topic made from it.
    pub fn desc_of(topic: &str) -> String {
        let without_version = topic.rsplit_once("-v").map_or(topic, |(t, _)| t);
        without_version.replace('-', "_")
    }

    /// `<type>-<desc>`: what the versions of a topic share, such as their worktree.
    pub fn key(&self) -> String {
        format!("{}-{}", self.kind, self.desc)
    }

    /// The same topic one version up, suggested when this one is busy.
    /// The same task under another description, `<type>-<desc>_2-v1`: a full-access task of
    /// its own worktree, where a new version would share the busy one.
    pub fn another_description(&self) -> String {
        format!("{}-{}_2-v1", self.kind, self.desc)
    }

    pub fn next_version(&self) -> String {
        format!(
            "{}-{}-v{}",
            self.kind,
            self.desc,
            self.version.saturating_add(1)
        )
    }
}

/// A request that passed every check.
#[derive(Debug, Clone)]
pub struct TaskSpec {
    pub prompt: String,
    /// Canonical absolute path of an existing directory.
    pub cwd: PathBuf,
    pub topic: Topic,
    pub sandbox: Sandbox,
    /// A canonical lowercase hyphenated UUID.
    pub session_id: Option<String>,
    /// The options the caller named (the rest come from the session or the configuration).
    pub options: CodexOptions,
    /// The time limit the caller named.
    pub timeout_seconds: Option<u64>,
    /// How many times a retryable failure is retried.
    pub retries: u32,
    /// When Codex asks before it acts.
    pub approval_policy: ApprovalPolicy,
    /// A review task: what Codex's review mode reviews (`codex_review`).
    pub review: Option<ReviewLaunch>,
    /// Where Codex runs when not in `cwd`: a task's worktree, for a review of its work.
    pub run_dir: Option<PathBuf>,
    /// The host of the hosts file Codex runs on (`any`: the freest); `None`: this machine.
    pub host: Option<String>,
}

impl TryFrom<TaskRequest> for TaskSpec {
    type Error = EngineError;

    fn try_from(r: TaskRequest) -> Result<Self, EngineError> {
        let host = r.host.map(parse_host).transpose()?;
        Ok(TaskSpec {
            prompt: parse_prompt(r.prompt)?,
            cwd: match host {
                Some(_) => parse_host_cwd(&r.cwd)?,
                None => parse_cwd(&r.cwd)?,
            },
            topic: parse_topic(&r.topic)?,
            sandbox: r.sandbox,
            session_id: r.session_id.as_deref().map(parse_session_id).transpose()?,
            options: CodexOptions {
                model: r
                    .model
                    .map(|m| parse_name("model", m, is_model_name))
                    .transpose()?,
                reasoning_effort: r.reasoning_effort.map(parse_effort).transpose()?,
                profile: r
                    .profile
                    .map(|p| parse_name("profile", p, is_profile_name))
                    .transpose()?,
            },
            timeout_seconds: r
                .timeout_seconds
                .map(|t| in_range("timeout_seconds", t, 1, MAX_TIMEOUT_SECONDS))
                .transpose()?,
            retries: in_range(
                "retries",
                r.retries.unwrap_or(0).into(),
                0,
                MAX_RETRIES.into(),
            )? as u32,
            approval_policy: r.approval_policy.unwrap_or_default(),
            review: None,
            run_dir: None,
            host,
        })
    }
}

/// A host's name as the hosts file may hold it, or `any`; whether the file has it is checked
/// at the start.
pub(super) fn parse_host(h: String) -> Result<String, EngineError> {
    if h == ANY_HOST || is_host_name(&h) {
        return Ok(h);
    }
    Err(EngineError::invalid(
        "host",
        format!(
            "`{h}` is not a host's name: letters, digits, `_ . -` (at most {HOST_NAME_MAX}), as \
             in the server's hosts.toml, or `any`"
        ),
    ))
}

/// A folder on a host: an absolute path there (this machine cannot look at it; the host's
/// Codex says if it is not there).
pub(super) fn parse_host_cwd(c: &str) -> Result<PathBuf, EngineError> {
    let path = Path::new(c);
    if c.is_empty() || !path.is_absolute() || c.contains('\0') {
        return Err(EngineError::invalid(
            "cwd",
            format!(
                "`{c}` is not an absolute path; pass the absolute path of the project on the host"
            ),
        ));
    }
    Ok(path.components().collect())
}

/// An effort's name: a lowercase word (the catalog says at the start which the model takes).
pub(super) fn parse_effort(e: String) -> Result<Effort, EngineError> {
    match Effort::parse(&e) {
        Some(effort) => Ok(effort),
        None => Err(EngineError::invalid(
            "reasoning_effort",
            format!(
                "`{e}` is not an effort's name; use one the model offers, such as {}",
                crate::codex::builtin_efforts()
            ),
        )),
    }
}

/// The ranges the schemas give, checked here too: the command line builds requests without
/// the schema, and must refuse what the tools refuse, in the same words.
fn in_range(param: &str, value: u64, min: u64, max: u64) -> Result<u64, EngineError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(EngineError::invalid(
            param,
            format!("{value} is out of range; accepted: {min} to {max}"),
        ))
    }
}

pub fn parse_prompt(p: String) -> Result<String, EngineError> {
    if p.trim().is_empty() {
        return Err(EngineError::invalid(
            "prompt",
            "it is empty; give Codex the full task as text",
        ));
    }
    if p.len() > PROMPT_MAX_BYTES {
        return Err(EngineError::invalid(
            "prompt",
            format!(
                "it has {} bytes; at most {PROMPT_MAX_BYTES} are accepted. Put long material in a file under cwd and refer to it",
                p.len()
            ),
        ));
    }
    Ok(p)
}

/// A model's name, in its form.
pub(super) fn parse_model(m: String) -> Result<String, EngineError> {
    parse_name("model", m, is_model_name)
}

/// A model or profile name: passed to codex as given, so only its form is checked.
fn parse_name(
    param: &'static str,
    name: String,
    valid: impl Fn(&str) -> bool,
) -> Result<String, EngineError> {
    if valid(&name) {
        return Ok(name);
    }
    let example = if param == "model" {
        "`gpt-5.1-codex` or `openai/gpt-oss-120b`"
    } else {
        "`fast` or `deep_review`"
    };
    Err(EngineError::invalid(
        param,
        format!(
            "`{name}` is not a {param} name; accepted: ASCII letters, digits and {} (at most {NAME_MAX} characters, not starting with `-`), like {example}",
            if param == "model" {
                "`_ . : / @ + -`"
            } else {
                "`_ . -`"
            }
        ),
    ))
}

pub(super) fn parse_cwd(c: &str) -> Result<PathBuf, EngineError> {
    let path = Path::new(c);
    if c.is_empty() || !path.is_absolute() {
        return Err(EngineError::invalid(
            "cwd",
            format!(
                "`{c}` is not an absolute path; pass the absolute path of the project directory"
            ),
        ));
    }
    match std::fs::metadata(path) {
        Ok(md) if md.is_dir() => {
            let real = std::fs::canonicalize(path)
                .map_err(|e| EngineError::invalid("cwd", format!("cannot resolve `{c}`: {e}")))?;
            // Paths are kept in JSON records, which hold text only.
            if real.to_str().is_none() {
                return Err(EngineError::invalid(
                    "cwd",
                    format!(
                        "`{c}` resolves to `{}`, which is not valid UTF-8; rename the directory or use another one",
                        real.display()
                    ),
                ));
            }
            Ok(real)
        }
        Ok(_) => Err(EngineError::invalid(
            "cwd",
            format!("`{c}` is not a directory"),
        )),
        Err(e) => Err(EngineError::invalid(
            "cwd",
            format!("`{c}` does not exist or cannot be read ({e})"),
        )),
    }
}

pub fn parse_topic(t: &str) -> Result<Topic, EngineError> {
    let bad = |why: &str| {
        EngineError::invalid(
            "topic",
            format!(
                "`{t}` {why}. Accepted: `<type>-<desc>-v<N>` matching {TOPIC_PATTERN}, at most {TOPIC_MAX} characters, e.g. `review-auth_module-v1` or `implement-login_form-v2`"
            ),
        )
    };
    if t.len() > TOPIC_MAX {
        return Err(bad("is too long"));
    }
    let parts: Vec<&str> = t.split('-').collect();
    if parts.len() < 3 {
        return Err(bad(
            "does not have the three parts type, description and version",
        ));
    }
    let kind = parts[0];
    if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_lowercase()) {
        return Err(bad("has a type that is not lowercase ASCII letters"));
    }
    let last = parts[parts.len() - 1];
    let version = last
        .strip_prefix('v')
        .filter(|n| !n.is_empty() && n.len() <= 6 && n.chars().all(|c| c.is_ascii_digit()))
        .and_then(|n| n.parse::<u32>().ok())
        .ok_or_else(|| bad("does not end with a version like `-v1`"))?;
    let desc_parts = &parts[1..parts.len() - 1];
    if desc_parts
        .iter()
        .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        return Err(bad(
            "has a description with characters other than ASCII letters, digits and underscores",
        ));
    }
    Ok(Topic {
        full: t.to_string(),
        kind: kind.to_string(),
        desc: desc_parts.join("-"),
        version,
    })
}

/// A codex session id: only a canonical UUID is accepted, so nothing like `--last` or a thread
/// name can reach codex's command line.
pub fn parse_session_id(s: &str) -> Result<String, EngineError> {
    let ok = s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    if !ok {
        return Err(EngineError::invalid(
            "session_id",
            format!(
                "`{s}` is not a session id; pass the UUID from an earlier result's `session_id` (like 01a200e7-30c1-7f70-988f-0d0342cef250), or omit it to start a new session"
            ),
        ));
    }
    Ok(s.to_ascii_lowercase())
}

/// A task id names a folder in the store, so it must be a plain name.
pub fn parse_task_id(s: &str) -> Result<TaskId, EngineError> {
    TaskId::parse(s).map_err(|_| {
        EngineError::invalid(
            "task_id",
            format!(
                "`{s}` is not a task id; pass a `task_id` returned by codex or codex_dispatch (like `codex-review-auth_module-v1`: `codex-` then ASCII letters, digits, `-` and `_`, at most {TASK_ID_MAX_LEN} characters), or omit it to list tasks"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics() {
        let t = parse_topic("review-auth_module-v1").unwrap();
        assert_eq!(
            (t.kind.as_str(), t.desc.as_str(), t.version),
            ("review", "auth_module", 1)
        );
        let t = parse_topic("implement-login-form-v12").unwrap();
        assert_eq!(t.desc, "login-form");
        assert_eq!(t.next_version(), "implement-login-form-v13");
        for bad in [
            "",
            "review",
            "review-v1",
            "Review-x-v1",
            "review-x-1",
            "review-x-v",
            "review--v1",
            "review-a b-v1",
            "review-../x-v1",
            "review-x-v1/..",
            "review-x-vv1",
        ] {
            assert!(parse_topic(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn session_ids() {
        assert!(parse_session_id("01a200e7-30c1-7f70-988f-0d0342cef250").is_ok());
        assert_eq!(
            parse_session_id("01A200E7-30C1-7F70-988F-0D0342CEF250").unwrap(),
            "01a200e7-30c1-7f70-988f-0d0342cef250"
        );
        for bad in [
            "--last",
            "",
            "01a200e730c17f70988f0d0342cef250",
            "my-thread",
        ] {
            assert!(parse_session_id(bad).is_err());
        }
    }

    /// The patterns shown to calling models in the schemas accept exactly what the code does.
    #[test]
    fn schema_patterns_agree_with_the_checks() {
        let agree =
            |pattern: &str, max: usize, accepts: &dyn Fn(&str) -> bool, samples: &[&str]| {
                let schema =
                    serde_json::json!({"type": "string", "pattern": pattern, "maxLength": max});
                let v = jsonschema::validator_for(&schema).unwrap();
                for s in samples {
                    assert_eq!(
                        v.is_valid(&serde_json::json!(s)),
                        accepts(s),
                        "{s:?} against {pattern}"
                    );
                }
            };
        let long_topic = format!("review-{}-v1", "a".repeat(TOPIC_MAX));
        agree(
            TOPIC_PATTERN,
            TOPIC_MAX,
            &|t| parse_topic(t).is_ok(),
            &[
                "review-auth_module-v1",
                "implement-login-form-v12",
                "review-x-v1-v2",
                "Review-x-v1",
                "review-x",
                "review--v1",
                "review-a b-v1",
                "review-../x-v1",
                "review-x-vv1",
                "review-x-v",
                "fix-é-v1",
                "review-x-v1234567",
                &long_topic,
            ],
        );
        let long_id = format!("codex-{}", "a".repeat(TASK_ID_MAX_LEN));
        agree(
            crate::store::TASK_ID_PATTERN,
            TASK_ID_MAX_LEN,
            &|t| parse_task_id(t).is_ok(),
            &[
                "codex-review-x-v1-r2",
                "codex-a_b",
                "codex-",
                "codex-a/b",
                "codex-a.b",
                "../codex-x",
                "x",
                &long_id,
            ],
        );
    }

    #[test]
    fn task_ids() {
        assert!(parse_task_id("codex-review-x-v1-r2").is_ok());
        let e = parse_task_id("../x").unwrap_err().to_string();
        assert!(e.contains("`task_id`") && e.contains("codex-"), "{e}");
    }
}
