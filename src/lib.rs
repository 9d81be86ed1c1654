//! codex-mcp: a stdio MCP server that hands coding work to the OpenAI Codex CLI.
//!
//! The crate is split by concern; each folder is one layer, and imports run one way:
//!
//! ```text
//! cli → mcp → engine → runner → {workspace, codex, store}
//! leaves: config, text, child, vocab, scripted_model
//! ```
//!
//! A layer may use any layer below it (the command line starts a supervisor from `runner`
//! directly), never one above it nor one beside it; every layer may use the leaves, which use
//! no layer, and no leaf but `vocab`, the plain words all of them share. A test (`layering`
//! below) reads these two lines and holds every `crate::` path in `src/` to them.
//!
//! - `cli`: the command line: the MCP server by default, commands for people, and the
//!   `supervise` mode that runs one task.
//! - `mcp`: the seven tools (`codex`, `codex_dispatch`, `codex_status`, `codex_reply`,
//!   `codex_cancel`, `codex_review`, `codex_land`): their arguments checked and read, the
//!   schemas generated from the contract's types, the rmcp handler, progress notifications and
//!   MCP tasks.
//! - `engine`: the task lifecycle behind one API (`engine/api.rs`): request validation, start,
//!   wait, status, the list, reply, cancel, review, land, gc, and recovery of tasks whose
//!   supervisor died.
//! - `runner`: the second program this binary is — the supervisor (`codex-mcp supervise`) that
//!   owns one task's Codex runs and outlives the server — and what others do to it: its launch
//!   (detached, or in a tmux session) and stop, the drivers that run Codex, how a run's outcome
//!   is decided, and process trees.
//! - `workspace`: what a task touches in the user's repository: the `.codex-tasks/<topic>` log
//!   link and git's `info/exclude`, the isolated git worktree of a full-access task, and the
//!   summary of what that task changed on its branch.
//! - `codex`: the Codex CLI itself: finding it, its argv, its `--json` events (decoded once per
//!   line and folded into bounded progress), its model catalog, and the app-server protocol
//!   (`codex/protocol/`, one type per message, held to the schema Codex generates).
//! - `store`: the on-disk task folders, task ids, atomic writes and locks.
//!
//! The leaves: `config` (the settings, read once from the environment), `text` (shortening
//! text for one-line reports), `child` (every program codex-mcp starts begins with no signal
//! blocked or ignored), `vocab` (the plain words every layer shares: a task's sandbox, Codex's
//! options, token usage) and `scripted_model`.
//!
//! Only [`cli::main`] and [`scripted_model`] are public: the binary is the product, and the
//! tests drive it as a user's MCP client or a person at a terminal would, against the scripted
//! model that `codex-mcp doctor --smoke` also uses.

#![deny(missing_docs)]

#[cfg(not(unix))]
compile_error!(
    "codex-mcp supports Linux and macOS only: tasks rely on Unix sessions, signals and process \
     groups, and full-access tasks on tmux. On Windows, run it inside WSL."
);

pub(crate) mod child;
pub mod cli;
pub(crate) mod codex;
pub(crate) mod config;
pub(crate) mod engine;
pub(crate) mod mcp;
pub(crate) mod runner;
pub mod scripted_model;
pub(crate) mod store;
pub(crate) mod text;
pub(crate) mod vocab;
pub(crate) mod workspace;

#[cfg(test)]
mod import_graph;
#[cfg(test)]
mod seams;

#[cfg(test)]
mod layering {
    //! Holds every `crate::` path in `src/` to the layer order written at the top of this file.

    use std::collections::BTreeMap;
    use std::path::Path;

    /// Each layer's rank (higher uses lower), and the leaves (rank 0), read from the doc above.
    fn ranks() -> BTreeMap<String, usize> {
        let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
            .unwrap_or_default();
        let order = lib
            .lines()
            .find(|l| l.contains("cli → mcp"))
            .unwrap_or_default()
            .trim_start_matches("//!");
        let parts: Vec<&str> = order.split('→').collect();
        let mut ranks = BTreeMap::new();
        for (i, part) in parts.iter().enumerate() {
            for name in part.split(',') {
                let name = name.trim().trim_matches(|c| c == '{' || c == '}').trim();
                ranks.insert(name.to_string(), parts.len() - i);
            }
        }
        let leaves = lib
            .lines()
            .find_map(|l| l.trim_start_matches("//!").trim().strip_prefix("leaves:"))
            .unwrap_or_default();
        for name in leaves.split(',') {
            ranks.insert(name.trim().to_string(), 0);
        }
        ranks
    }

    /// Every `.rs` file under `dir` (the import-graph test reads the same files).
    pub(super) fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn no_layer_imports_one_above_or_beside_it() {
        let ranks = ranks();
        assert!(ranks.len() >= 12, "the layer list was not read: {ranks:?}");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut wrong = Vec::new();
        for file in files {
            let rel = file.strip_prefix(&src).unwrap_or(&file);
            let first = rel
                .iter()
                .next()
                .and_then(|c| c.to_str())
                .unwrap_or_default();
            let from = first.trim_end_matches(".rs");
            let Some(&from_rank) = ranks.get(from) else {
                continue; // lib.rs, main.rs
            };
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            for (i, _) in text.match_indices("crate::") {
                let to: String = text[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let Some(&to_rank) = ranks.get(&to) else {
                    continue;
                };
                let allowed = to == from
                    || to == "vocab"
                    || to_rank == 0 && from_rank > 0
                    || to_rank < from_rank;
                if !allowed {
                    wrong.push(format!("{} uses {to}", rel.display()));
                }
            }
        }
        wrong.sort();
        wrong.dedup();
        assert!(
            wrong.is_empty(),
            "imports against the layer order: {wrong:#?}"
        );
    }

    /// Whether a line (without its indentation) opens a function with a body.
    fn opens_fn(body: &str) -> bool {
        let mut rest = body;
        if let Some(after) = rest.strip_prefix("pub") {
            rest = match after.strip_prefix('(') {
                Some(scope) => scope.split_once(") ").map_or("", |(_, r)| r),
                None => after.trim_start(),
            };
        }
        for word in ["const ", "async ", "unsafe "] {
            rest = rest.strip_prefix(word).unwrap_or(rest);
        }
        rest.starts_with("fn ") && !body.ends_with(';')
    }

    /// Functions outside tests stay short enough to read whole: over 60 lines, one asks to be
    /// split where its pieces have names. (rustfmt lays a function's closing brace at its own
    /// indentation, which is what is looked for.) A file's test module is its last item.
    #[test]
    fn no_function_is_over_60_lines() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut long = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let mut i = 0;
            while i < lines.len() {
                let line = lines[i];
                let next = lines.get(i + 1).map_or("", |l| l.trim());
                if line.trim_start().starts_with("#[cfg(test)]")
                    && next.starts_with("mod ")
                    && next.ends_with('{')
                {
                    break;
                }
                let body = line.trim_start();
                let indent = &line[..line.len() - body.len()];
                if !opens_fn(body) {
                    i += 1;
                    continue;
                }
                let close = format!("{indent}}}");
                let end = (i + 1..lines.len())
                    .find(|&k| lines[k] == close)
                    .unwrap_or(i);
                if end - i + 1 > 60 {
                    long.push(format!(
                        "{}:{} ({} lines)",
                        file.display(),
                        i + 1,
                        end - i + 1
                    ));
                }
                i = end + 1;
            }
        }
        assert!(long.is_empty(), "functions over 60 lines: {long:#?}");
    }
}
