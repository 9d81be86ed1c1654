//! codex-mcp: a stdio MCP server that hands coding work to the OpenAI Codex CLI.
//!
//! The crate is split by concern; each folder is one layer, and imports run one way:
//!
//! ```text
//! cli → mcp → engine → {runner, workspace} → {codex, store}
//! ```
//!
//! A layer may use any layer below it (the command line starts a supervisor from `runner`
//! directly), never one above it.
//!
//! - `cli`: the command line: the MCP server by default, commands for people, and the
//!   `supervise` mode that runs one task.
//! - `mcp`: the four tools: their typed arguments and results, the schemas generated from
//!   them, the rmcp handler, and progress notifications.
//! - `engine`: the task lifecycle: request validation, start, wait, status, the list, cancel,
//!   and recovery of tasks whose supervisor died.
//! - `runner`: the detached supervisor process that owns one codex run, its launch (a new
//!   session, or a tmux session), how its outcome is decided, its live tmux pane, and
//!   process-tree termination.
//! - `workspace`: what a task touches in the user's repository: the `.codex-tasks/<topic>` log
//!   link and git's `info/exclude`, the isolated git worktree of a full-access task, and the
//!   summary of what that task changed on its branch.
//! - `codex`: the Codex CLI itself: finding it, its argv, and its `--json` events, decoded once
//!   per line and folded into bounded progress.
//! - `store`: the on-disk task folders, task ids, atomic writes and locks. It records codex's
//!   token `Usage`, its one import from `codex`.
//!
//! Three leaf modules serve every layer: `config` (the settings, read once from the
//! environment), `text` (shortening text for one-line reports) and `child` (every program
//! codex-mcp starts begins with no signal blocked or ignored).
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
pub(crate) mod workspace;
