//! What Codex writes to stderr, told apart: the lines it prints at every start (warnings about
//! its own setup, which are never the cause of a failed run but may be worth a word to the
//! person), its tracing chatter, and the error lines about this run. Nothing here does I/O.

/// Lines Codex prints at (nearly) every start, and what a person should know of each: `None`
/// for those that need nothing from anyone.
const START_UP: &[(&str, Option<&str>)] = &[
    (
        "could not find bubblewrap on path",
        Some(
            "Codex could not find bubblewrap on PATH and uses the copy it bundles: install \
             bubblewrap (apt install bubblewrap, dnf install bubblewrap) for Codex's own sandbox",
        ),
    ),
    (
        "proceeding, even though we could not create path aliases",
        None,
    ),
    ("reading additional input from stdin", None),
    ("reading prompt from stdin", None),
];

/// What a stretch of Codex's stderr says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stderr {
    /// The error lines about this run, the last twenty, without colour codes.
    pub errors: Vec<String>,
    /// What to tell the person about Codex's start-up warnings, once each.
    pub warnings: Vec<String>,
}

impl Stderr {
    /// Reads `text` (the end or the start of a task's `codex-stderr.log`).
    pub fn read(text: &str) -> Stderr {
        let plain = strip_ansi(text);
        let mut out = Stderr::default();
        for line in plain.lines().map(str::trim_end) {
            if line.trim().is_empty() || is_chatter(line) || is_backtrace(line) {
                continue;
            }
            let lower = line.to_ascii_lowercase();
            if let Some((_, warn)) = START_UP.iter().find(|(w, _)| lower.contains(w)) {
                if let Some(w) = warn.map(str::to_string)
                    && !out.warnings.contains(&w)
                {
                    out.warnings.push(w);
                }
                continue;
            }
            out.errors.push(line.to_string());
        }
        let start = out.errors.len().saturating_sub(20);
        out.errors.drain(..start);
        out
    }

    /// The error lines as one text.
    pub fn error_text(&self) -> String {
        self.errors.join("\n")
    }
}

/// A line of Codex's own tracing below ERROR (`2026-…Z  INFO …`): not words about a failure.
fn is_chatter(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let stamp = words.next().unwrap_or_default();
    let level = words.next().unwrap_or_default();
    stamp.len() >= 20
        && stamp.ends_with('Z')
        && stamp.as_bytes().get(4) == Some(&b'-')
        && matches!(level, "INFO" | "DEBUG" | "TRACE" | "WARN")
}

/// Rust's backtrace of an error Codex exits with: `Stack backtrace:`, `   3: <unknown>`.
fn is_backtrace(line: &str) -> bool {
    let t = line.trim();
    if t == "Stack backtrace:" {
        return true;
    }
    let Some((number, rest)) = t.split_once(':') else {
        return false;
    };
    number.chars().all(|c| c.is_ascii_digit()) && rest.trim() == "<unknown>"
}

/// Text without terminal colour codes (app-server writes its log in colour).
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Codex 0.169.0's app-server printed at a start with no bubblewrap on PATH and its
    /// home under /tmp, and what its exec printed for a missing CODEX_HOME.
    const SEEN: &str = "WARNING: proceeding, even though we could not create PATH aliases: Refusing to create helper binaries under temporary dir \"/tmp\"\n\
\u{1b}[2m2026-12-01T22:33:03.709888Z\u{1b}[0m \u{1b}[31mERROR\u{1b}[0m codex_app_server: Codex could not find bubblewrap on PATH. Install bubblewrap with your OS package manager. See the sandbox prerequisites: https://developers.openai.com/codex/concepts/sandboxing#prerequisites. Codex will use the bundled bubblewrap in the meantime.\n\
\u{1b}[2m2026-12-01T22:32:04.192917Z\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m session_init: new\n\
Error: CODEX_HOME points to \"/tmp/x/nope\", but that path does not exist\n\
Stack backtrace:\n   0: <unknown>\n   1: <unknown>\n";

    #[test]
    fn start_up_lines_are_warnings_never_errors() {
        let s = Stderr::read(SEEN);
        assert_eq!(
            s.errors,
            vec!["Error: CODEX_HOME points to \"/tmp/x/nope\", but that path does not exist"]
        );
        assert_eq!(s.warnings.len(), 1);
        assert!(s.warnings[0].contains("install bubblewrap"));
        assert!(!s.error_text().to_ascii_lowercase().contains("sandbox"));
    }
}
