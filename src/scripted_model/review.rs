//! The scripted model as Codex's reviewer. Codex's review mode (`review/start`, `codex exec
//! review`) sends the model its review guidelines as a developer message ("# Review
//! guidelines:") and asks for a JSON verdict. As a real reviewer does, the scripted one first
//! looks at the change (the command Codex's prompt names, else `git show` of the commit it
//! names, else the working tree's diff and untracked files), then answers with the findings it
//! was told of: each line holding `@finding P<n> <path>:<start>-<end> <title> | <body>` — in a
//! changed file, a commit, or the review's instructions — becomes one finding, its path made
//! absolute from the session's working directory. `@verdict correct|incorrect <why>` sets the
//! overall verdict (default: incorrect when there are findings).

use serde_json::{Value, json};

/// The developer message that starts Codex's review mode.
const GUIDELINES: &str = "# Review guidelines";

/// Whether `request` is one of Codex's review turns.
pub(super) fn is_review(request: &Value) -> bool {
    messages(request, "developer").any(|t| t.trim_start().starts_with(GUIDELINES))
}

/// The command a reviewer runs first to see the change the review is about.
pub(super) fn inspect_command(prompt: &str) -> String {
    let untracked = "git ls-files --others --exclude-standard -z | xargs -0 -r cat";
    if let Some(named) = backticked_git(prompt) {
        // Untracked files are read too, as the prompt for a task's work asks.
        return format!("{named}; {untracked}");
    }
    if let Some(sha) = commit_named(prompt) {
        return format!("git show {sha}");
    }
    format!("git diff HEAD; {untracked}")
}

/// The review as Codex asks for it: JSON with the findings the conversation holds.
pub(super) fn verdict(request: &Value) -> String {
    let texts = all_texts(request);
    let cwd = texts
        .iter()
        .find_map(|t| between(t, "<cwd>", "</cwd>"))
        .unwrap_or_default();
    let mut findings: Vec<Value> = Vec::new();
    let mut verdict: Option<(bool, String)> = None;
    for line in texts.iter().flat_map(|t| t.lines()) {
        if let Some(at) = line.find("@finding ")
            && let Some(f) = finding(&line[at + "@finding ".len()..], &cwd)
            && !findings.contains(&f)
        {
            findings.push(f);
        } else if let Some(at) = line.find("@verdict ") {
            let rest = line[at + "@verdict ".len()..].trim();
            let (word, why) = rest.split_once(' ').unwrap_or((rest, ""));
            verdict = Some((word == "correct", why.to_string()));
        }
    }
    let (correct, why) = verdict.unwrap_or_else(|| {
        let correct = findings.is_empty();
        let why = match correct {
            true => "No issues found in the change.".to_string(),
            false => format!("The change has {} issue(s) to fix.", findings.len()),
        };
        (correct, why)
    });
    json!({
        "findings": findings,
        "overall_correctness": if correct { "patch is correct" } else { "patch is incorrect" },
        "overall_explanation": why,
        "overall_confidence_score": 0.8,
    })
    .to_string()
}

/// One `P<n> <path>:<start>-<end> <title> | <body>` as Codex's finding JSON.
fn finding(spec: &str, cwd: &str) -> Option<Value> {
    let mut words = spec.trim().splitn(3, ' ');
    let priority: u8 = words.next()?.strip_prefix('P')?.parse().ok()?;
    let (path, lines) = words.next()?.rsplit_once(':')?;
    let (start, end) = lines.split_once('-').unwrap_or((lines, lines));
    let (start, end): (u32, u32) = (start.parse().ok()?, end.parse().ok()?);
    let (title, body) = words.next()?.split_once(" | ").unwrap_or((spec, ""));
    let absolute = match path.starts_with('/') {
        true => path.to_string(),
        false => format!("{}/{path}", cwd.trim_end_matches('/')),
    };
    Some(json!({
        "title": format!("[P{priority}] {}", title.trim()),
        "body": body.trim(),
        "confidence_score": 0.7,
        "priority": priority,
        "code_location": {
            "absolute_file_path": absolute,
            "line_range": {"start": start, "end": end},
        },
    }))
}

/// "Run `git diff <sha>`" in Codex's prompt for a base branch.
fn backticked_git(prompt: &str) -> Option<String> {
    let start = prompt.find("`git ")? + 1;
    let len = prompt[start..].find('`')?;
    Some(prompt[start..start + len].to_string())
}

/// "…introduced by commit <sha> …" in Codex's prompt for a commit.
fn commit_named(prompt: &str) -> Option<&str> {
    let rest = &prompt[prompt.find("by commit ")? + "by commit ".len()..];
    let sha = rest.split_whitespace().next()?;
    sha.chars().all(|c| c.is_ascii_hexdigit()).then_some(sha)
}

fn between(text: &str, open: &str, close: &str) -> Option<String> {
    let start = text.find(open)? + open.len();
    let len = text[start..].find(close)?;
    Some(text[start..start + len].trim().to_string())
}

/// The texts of the messages of `role`.
fn messages<'a>(request: &'a Value, role: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    request["input"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(move |i| i["role"] == role)
        .flat_map(|i| content_texts(&i["content"]))
}

fn content_texts(content: &Value) -> Vec<&str> {
    match content {
        Value::String(s) => vec![s.as_str()],
        Value::Array(parts) => parts.iter().filter_map(|p| p["text"].as_str()).collect(),
        _ => Vec::new(),
    }
}

/// Every text of the conversation: messages and tool outputs.
fn all_texts(request: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for item in request["input"].as_array().into_iter().flatten() {
        out.extend(
            content_texts(&item["content"])
                .into_iter()
                .map(str::to_string),
        );
        match &item["output"] {
            Value::String(s) => out.push(s.clone()),
            Value::Null => {}
            other => out.push(other.to_string()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reviewer_looks_where_codexs_prompt_points() {
        assert!(
            inspect_command("… Run `git diff abc123` to inspect the changes relative to main.")
                .starts_with("git diff abc123; ")
        );
        assert_eq!(
            inspect_command("Review the code changes introduced by commit 4fa1 (\"x\")."),
            "git show 4fa1"
        );
        assert!(inspect_command("Review the current code changes").starts_with("git diff HEAD"));
    }

    #[test]
    fn findings_come_from_markers_anywhere_in_the_conversation() {
        let request = json!({"input": [
            {"role": "developer", "content": [{"type": "input_text", "text": "# Review guidelines:\n…"}]},
            {"role": "user", "content": [{"type": "input_text", "text": "<cwd>/w</cwd>"}]},
            {"type": "function_call_output", "output": "+// @finding P1 src/a.rs:3-4 Check the bound | It overflows.\n+x"},
        ]});
        assert!(is_review(&request));
        let v: Value = serde_json::from_str(&verdict(&request)).unwrap();
        assert_eq!(v["overall_correctness"], "patch is incorrect");
        let f = &v["findings"][0];
        assert_eq!(f["title"], "[P1] Check the bound");
        assert_eq!(f["body"], "It overflows.");
        assert_eq!(f["code_location"]["absolute_file_path"], "/w/src/a.rs");
        assert_eq!(f["code_location"]["line_range"]["end"], 4);
    }
}
