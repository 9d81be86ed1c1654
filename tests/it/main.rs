//! The integration tests: one binary, a module per area. Each test drives the built
//! `codex-mcp` the way its users do: as an MCP client over stdio, or from a terminal, with the
//! pinned real Codex CLI talking to a scripted model.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod agent_loop;
mod answers;
mod audit;
mod background;
mod blocking_call;
mod budget;
mod catalog;
mod checkout;
mod claude_code;
mod claude_code_tasks;
mod cli;
mod contract;
mod conversation_cli;
mod delegation;
mod endings;
mod failures;
mod faults;
mod follow;
mod full_access;
mod gc;
mod hosts;
mod inputs;
mod install;
mod land;
mod mcp_tasks;
mod npm_package;
mod outlive;
mod readonly;
mod release;
mod review;
mod secrets;
mod signals;
mod speed;
mod store_layout;
mod talk;
mod terminal;
mod transcripts;
mod trust;
mod walkthrough;
