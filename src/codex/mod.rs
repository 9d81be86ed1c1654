//! Everything specific to the Codex CLI: finding it, its argv, its `--json` event stream
//! (decoded once per line, then folded into bounded progress), its model catalog, and the
//! app-server protocol (`protocol/`) with what codex-mcp makes of it (`app_server.rs`).

mod app_server;
mod argv;
mod catalog;
mod config_file;
mod events;
mod lines;
mod locate;
mod npm_launcher;
mod probe;
mod progress;
pub(crate) mod protocol;
mod render;
mod review;
mod stderr;

pub(crate) use crate::vocab::{CodexOptions, Usage};
pub(crate) use app_server::{Asked, Question, Translator, answer_line_for, asked, thread_started};
pub(crate) use argv::{
    CodexSandbox, MODEL_PATTERN, NAME_MAX, PROFILE_PATTERN, app_server_argv, builtin_efforts,
    exec_argv, exec_review_argv, is_model_name, is_profile_name, next_run_argv,
};
pub(crate) use catalog::read_catalog;
pub(crate) use config_file::{CodexSettings, profile_config};
pub(crate) use events::{Decoded, Event, Item, decode};
pub(crate) use lines::LineAssembler;
pub(crate) use locate::{CodexError, has_app_server, locate_codex};
pub(crate) use npm_launcher::{command_for, native_behind};
pub(crate) use probe::{probe, sandbox_starts};
pub(crate) use progress::{MESSAGE_KEEP_CHARS, Phase, Progress, TurnEnd};
pub(crate) use render::{Detail, render};
pub(crate) use review::{relative_to, review_from_json, review_from_text};
pub(crate) use stderr::Stderr;
