//! Tool definitions: names, descriptions a calling model can act on, and JSON schemas.

use std::sync::Arc;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};

use crate::engine::TOPIC_PATTERN;

pub const CODEX: &str = "codex";
pub const DISPATCH: &str = "codex_dispatch";
pub const STATUS: &str = "codex_status";
pub const CANCEL: &str = "codex_cancel";

pub const TASK_PARAMS: &[&str] = &["prompt", "cwd", "topic", "sandbox", "session_id"];
pub const STATUS_PARAMS: &[&str] = &["task_id", "limit"];
pub const CANCEL_PARAMS: &[&str] = &["task_id"];

pub const INSTRUCTIONS: &str = "\
Delegates coding work to the OpenAI Codex CLI. Every task is kept on disk with its full log.
- `codex`: run a task and wait for the answer. Use it for short questions and reviews.
- `codex_dispatch`: start a task and get its `task_id` at once. Use it for anything that may take
  minutes, or to run several tasks in parallel; then poll `codex_status` with the `task_id`.
- `codex_status`: with `task_id`, live progress or the final result; without, the task list.
- `codex_cancel`: stop a running task and everything it started.
`topic` names the task as `<type>-<desc>-v<N>`, e.g. `review-auth_module-v1`.
`sandbox`: `read-only` for reviews and questions (every write is refused); `full-access` for
implementation: Codex works in its own git worktree on branch `agent/<type>-<desc>`, never in the
user's checkout; the result reports the branch, `commits_ahead` and `diff_stat` to review/merge.
Several full-access tasks with different `<type>-<desc>` run in parallel.
To continue a conversation, pass the `session_id` of an earlier result with a new topic version
(e.g. `-v2`); a full-access follow-up reuses the same worktree and branch.";

fn task_input_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "prompt": {
                "type": "string",
                "minLength": 1,
                "description": "The complete task for Codex, in plain language: what to do, where, and what to report back. Codex sees only this text and the files in `cwd`."
            },
            "cwd": {
                "type": "string",
                "description": "Absolute path of an existing directory Codex works in, normally the project root (e.g. /home/me/project)."
            },
            "topic": {
                "type": "string",
                "pattern": TOPIC_PATTERN,
                "maxLength": 80,
                "description": "A short name for the task: `<type>-<desc>-v<N>`. type: lowercase letters (review, implement, fix, explain, test…); desc: letters, digits and underscores, parts joined by dashes; N: a version number. Example: `review-auth_module-v1`. The log is linked at <cwd>/.codex-tasks/<topic>/codex-exec.log."
            },
            "sandbox": {
                "type": "string",
                "enum": ["read-only", "full-access"],
                "description": "`read-only`: Codex may read files and run commands, but every write is refused (reviews, questions, analysis). `full-access`: Codex may change anything, inside its own git worktree on branch `agent/<type>-<desc>` next to the repository, in a tmux session you can attach to; your checkout is never modified (cwd must be in a git repository with at least one commit, on a branch)."
            },
            "session_id": {
                "type": "string",
                "format": "uuid",
                "description": "Optional. The `session_id` (a UUID) from an earlier result, to continue that Codex conversation with a follow-up prompt. Omit it to start a new session."
            }
        },
        "required": ["prompt", "cwd", "topic", "sandbox"],
        "additionalProperties": false
    })
}

fn usage_schema() -> Value {
    json!({
        "type": "object",
        "description": "Tokens of the Codex session so far (a resumed session includes earlier turns).",
        "properties": {
            "input_tokens": {"type": "integer"},
            "cached_input_tokens": {"type": "integer"},
            "output_tokens": {"type": "integer"},
            "reasoning_output_tokens": {"type": "integer"}
        },
        "required": ["input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens"]
    })
}

/// The result of a finished task (and of `codex_status` on one); running tasks add `progress`.
fn task_result_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "success": {"type": "boolean", "description": "True when the task completed."},
            "status": {"type": "string", "enum": ["running", "completed", "failed", "cancelled"]},
            "task_id": {"type": "string"},
            "topic": {"type": "string"},
            "sandbox": {"type": "string"},
            "cwd": {"type": "string"},
            "session_id": {"type": ["string", "null"], "description": "Pass it back as `session_id` to continue this conversation."},
            "result": {"type": "string", "description": "Codex's final answer (at most about 40,000 characters; longer answers are cut with a pointer to the log)."},
            "exit_code": {"type": ["integer", "null"]},
            "elapsed_seconds": {"type": "number"},
            "usage": usage_schema(),
            "log_file": {"type": "string", "description": "The raw `codex exec --json` log."},
            "started_at": {"type": "string"},
            "ended_at": {"type": "string"},
            "error": {"type": "string", "description": "What went wrong, when the task did not complete."},
            "warnings": {"type": "array", "items": {"type": "string"}},
            "worktree_dir": {"type": "string", "description": "Full-access: the git worktree Codex works in."},
            "agent_branch": {"type": "string", "description": "Full-access: the branch of that worktree (`agent/<type>-<desc>`)."},
            "base_branch": {"type": "string", "description": "Full-access: the branch the worktree started from."},
            "commits_ahead": {"type": "integer", "description": "Full-access, finished: commits on the agent branch not on the base branch."},
            "diff_stat": {"type": "string", "description": "Full-access, finished: `git diff --stat` of the worktree (committed and uncommitted) against the merge-base with the base branch."},
            "uncommitted_changes": {"type": "integer", "description": "Full-access, finished: paths changed in the worktree but not committed."},
            "tmux_session": {"type": "string", "description": "Full-access: the tmux session the task runs in."},
            "attach_command": {"type": "string", "description": "Full-access: the command a human runs to watch the task live (the tmux session closes when the task ends)."},
            "progress": {
                "type": "object",
                "description": "Live progress of a running task.",
                "properties": {
                    "phase": {"type": "string", "enum": ["starting", "thinking", "running_command", "editing_files", "calling_tool", "finished"]},
                    "commands_run": {"type": "integer"},
                    "files_changed": {"type": "integer"},
                    "last_message": {"type": ["string", "null"]},
                    "last_command": {"type": ["string", "null"]}
                }
            }
        },
        "required": ["success", "status", "task_id", "session_id", "exit_code", "elapsed_seconds", "usage", "log_file"]
    })
}

fn object(v: Value) -> Arc<JsonObject> {
    match v {
        Value::Object(m) => Arc::new(m),
        _ => Arc::new(JsonObject::new()),
    }
}

pub fn all_tools() -> Vec<Tool> {
    let read_only = |title: &str| {
        let mut a = ToolAnnotations::new();
        a.title = Some(title.into());
        a.read_only_hint = Some(true);
        a.open_world_hint = Some(false);
        a
    };
    let acting = |title: &str, destructive: bool| {
        let mut a = ToolAnnotations::new();
        a.title = Some(title.into());
        a.read_only_hint = Some(false);
        a.destructive_hint = Some(destructive);
        a.open_world_hint = Some(true);
        a
    };
    vec![
        Tool::new(
            CODEX,
            "Run a task with the Codex CLI and wait for its answer. Returns `result` (Codex's final message), `session_id` (to continue the conversation), `usage`, `log_file`, on failure `error`, and for full-access tasks the worktree, branch, `commits_ahead` and `diff_stat`. For work that may take more than a minute or two, prefer codex_dispatch + codex_status.",
            object(task_input_schema()),
        )
        .with_raw_output_schema(object(task_result_schema()))
        .with_annotations(acting("Run Codex and wait", false)),
        Tool::new(
            DISPATCH,
            "Start a Codex task in the background and return at once with its `task_id`. The task keeps running even if this server or the client exits. Follow it with codex_status (progress, then the full result) and stop it with codex_cancel. Full-access tasks also return `worktree_dir`, `agent_branch` and the `attach_command` to watch them.",
            object(task_input_schema()),
        )
        .with_raw_output_schema(object(json!({
            "type": "object",
            "properties": {
                "task_id": {"type": "string"},
                "status": {"type": "string"},
                "topic": {"type": "string"},
                "started_at": {"type": "string"},
                "log_file": {"type": "string"},
                "worktree_dir": {"type": "string"},
                "agent_branch": {"type": "string"},
                "base_branch": {"type": "string"},
                "tmux_session": {"type": "string"},
                "attach_command": {"type": "string"},
                "warnings": {"type": "array", "items": {"type": "string"}}
            },
            "required": ["task_id", "status", "topic", "started_at", "log_file"]
        })))
        .with_annotations(acting("Start Codex in the background", false)),
        Tool::new(
            STATUS,
            "With `task_id`: the task's status; while running, its live progress (phase, commands run, files changed, latest message and command, tokens so far); once finished, the same fields as the codex tool's result. Without `task_id`: the newest tasks, one line each.",
            object(json!({
                "type": "object",
                "properties": {
                    "task_id": {"type": "string", "pattern": "^codex-[A-Za-z0-9_-]+$", "description": "A `task_id` from codex or codex_dispatch. Omit it to list tasks."},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 200, "description": "Without task_id: how many tasks to list, newest first (default 20)."}
                },
                "additionalProperties": false
            })),
        )
        .with_annotations(read_only("Codex task status")),
        Tool::new(
            CANCEL,
            "Stop a running Codex task: its whole process tree is terminated and verified gone, and the task is marked `cancelled`. On a task that already finished, reports its final status and changes nothing.",
            object(json!({
                "type": "object",
                "properties": {
                    "task_id": {"type": "string", "pattern": "^codex-[A-Za-z0-9_-]+$", "description": "The `task_id` of the task to stop."}
                },
                "required": ["task_id"],
                "additionalProperties": false
            })),
        )
        .with_annotations(acting("Cancel a Codex task", true)),
    ]
}
