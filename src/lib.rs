//! codex-mcp: a stdio MCP server that hands coding work to the OpenAI Codex CLI.
//!
//! The crate is split by concern; each folder is one layer:
//! - [`mcp`]: tool schemas, argument parsing and the rmcp handler.
//! - [`engine`]: the task lifecycle (validation, start, wait, status, cancel, recovery).
//! - [`store`]: the on-disk task folders, atomic writes and locking.
//! - [`codex`]: locating the CLI, building its argv, and reading its JSONL events.
//! - [`runner`]: the detached supervisor process and process-tree control.
//! - [`workspace`]: the `.codex-tasks` link inside the user's directory.
//! - [`cli`]: the human-facing command line.

#[cfg(not(unix))]
compile_error!(
    "codex-mcp supports Linux and macOS only: tasks rely on Unix sessions, signals and process \
     groups, and full-access tasks on tmux. On Windows, run it inside WSL."
);

pub mod cli;
pub mod codex;
pub mod engine;
pub mod mcp;
pub mod runner;
pub mod store;
pub mod workspace;
