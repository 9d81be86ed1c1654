//! Holds the two seams to their promise: callers ask a launch or a driver what to do, and never
//! which kind it is. Outside the runner (and the plain definitions in `vocab/`), no code names
//! tmux or an engine's variant, and nothing in the engine, the MCP edge or the command line
//! signals a process itself. Read from the source, comments and string literals left out
//! (messages and docs may well say "tmux"); test modules left out.

use std::path::{Path, PathBuf};

/// Every source file, with its code: no comments, no string or char literals, no tests.
fn code_of_files() -> Vec<(PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    crate::layering::rust_files(&src, &mut files);
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            let text = text.split("#[cfg(test)]").next().unwrap_or_default();
            let rel = f.strip_prefix(&src).unwrap_or(&f).to_path_buf();
            (rel, code_only(text))
        })
        .collect()
}

/// `text` without comments and literals (each literal left as `""`).
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let rest = |k: usize| chars.get(i + k).copied();
        match (chars[i], rest(1)) {
            ('/', Some('/')) => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            ('/', Some('*')) => {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            }
            ('r', Some('"' | '#')) if is_raw_string(&chars[i..]) => {
                i += skip_raw_string(&chars[i..]);
                out.push_str("\"\"");
            }
            ('"', _) => {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            ('\'', Some(c)) if rest(2) == Some('\'') || (c == '\\' && rest(3) == Some('\'')) => {
                i += if c == '\\' { 4 } else { 3 };
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn is_raw_string(s: &[char]) -> bool {
    let hashes = s[1..].iter().take_while(|c| **c == '#').count();
    s.get(1 + hashes) == Some(&'"')
}

/// The length of the raw string literal `s` starts with.
fn skip_raw_string(s: &[char]) -> usize {
    let hashes = s[1..].iter().take_while(|c| **c == '#').count();
    let mut i = 2 + hashes;
    while i < s.len() {
        if s[i] == '"'
            && s[i + 1..]
                .iter()
                .take(hashes)
                .filter(|c| **c == '#')
                .count()
                == hashes
        {
            return i + 1 + hashes;
        }
        i += 1;
    }
    s.len()
}

/// The lines of files outside `allowed` whose code matches `bad`.
fn offending(allowed: &[&str], bad: impl Fn(&str) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for (file, code) in code_of_files() {
        let name = file.to_string_lossy().replace('\\', "/");
        if allowed.iter().any(|a| name.starts_with(a)) {
            continue;
        }
        for (n, line) in code.lines().enumerate() {
            if bad(line) {
                found.push(format!("src/{name}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn only_the_runner_names_tmux() {
    let found = offending(
        &["runner/", "vocab/launch.rs", "vocab/mod.rs", "seams.rs"],
        |l| l.to_ascii_lowercase().contains("tmux"),
    );
    assert!(
        found.is_empty(),
        "ask the launch instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn only_the_runner_names_an_engine() {
    let found = offending(&["runner/", "vocab/", "config/", "seams.rs"], |l| {
        ["CodexEngine::Exec", "CodexEngine::AppServer"]
            .iter()
            .any(|v| l.contains(v))
    });
    assert!(
        found.is_empty(),
        "ask the driver instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn nothing_above_the_runner_signals_a_process() {
    let below = [
        "runner/",
        "workspace/",
        "codex/",
        "store/",
        "vocab/",
        "config/",
        "child.rs",
    ];
    let found = offending(
        &[
            &below[..],
            &["seams.rs", "lib.rs", "text.rs", "scripted_model"],
        ]
        .concat(),
        |l| {
            [
                "terminate_tree",
                "signal::kill",
                "killpg",
                "Signal::SIGKILL",
                "Signal::SIGTERM",
            ]
            .iter()
            .any(|s| l.contains(s))
        },
    );
    assert!(
        found.is_empty(),
        "stop it through its launch:\n{}",
        found.join("\n")
    );
}

#[test]
fn comments_and_literals_are_not_code() {
    let code =
        code_only("let a = \"tmux\"; // tmux\nlet b = r#\"tmux \"x\"\"#; /* tmux */ let c = 'x';");
    assert!(!code.contains("tmux"), "{code}");
    assert!(code.contains("let a") && code.contains("let b") && code.contains("let c"));
}
