//! The seven tools: names, descriptions a calling model can act on, annotations, and schemas
//! generated from the argument and result types. `tests/fixtures/tools_list.json` pins the
//! whole list, so any change to it shows in review.

use std::sync::Arc;

use rmcp::model::{JsonObject, MetaObject, Tool, ToolAnnotations};

use super::schema::{input_schema, output_schema};
use crate::engine::{
    CancelArgs, CancelView, DispatchView, LandArgs, LandView, ReplyArgs, ReplyView, ReviewArgs,
    ReviewView, StatusArgs, StatusResult, TaskRequest, TaskView,
};

/// One of the tools this server offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolKind {
    Codex,
    Dispatch,
    Status,
    Reply,
    Cancel,
    Review,
    Land,
}

impl ToolKind {
    pub const ALL: [ToolKind; 7] = [
        ToolKind::Codex,
        ToolKind::Dispatch,
        ToolKind::Status,
        ToolKind::Reply,
        ToolKind::Cancel,
        ToolKind::Review,
        ToolKind::Land,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ToolKind::Codex => "codex",
            ToolKind::Dispatch => "codex_dispatch",
            ToolKind::Status => "codex_status",
            ToolKind::Reply => "codex_reply",
            ToolKind::Cancel => "codex_cancel",
            ToolKind::Review => "codex_review",
            ToolKind::Land => "codex_land",
        }
    }

    pub fn from_name(name: &str) -> Option<ToolKind> {
        ToolKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// The server's instructions to the calling model.
pub const INSTRUCTIONS: &str = "\
Delegates coding work to the OpenAI Codex CLI. Every task is kept on disk with its full log.

How to call it at least cost:
- If your client runs `codex` as a background task (it tells you the call moved to the
  background and that a notification will bring the result), just call `codex` and keep
  working: the result arrives by itself, even for work that takes an hour. Nothing to poll.
- Otherwise, a quick question or a short review: `codex` (runs and waits for the answer).
- Anything that may take more than a minute, when results do not come back by themselves:
  `codex_dispatch` (returns a `task_id` at once), then `codex_status` with that `task_id` and
  `wait_seconds` (up to 600): the call returns the moment the task ends, so there is no need
  to poll. Repeat while `status` is `running`.
- Several tasks: dispatch each, then one `codex_status` with `task_ids` and `wait_seconds`;
  add `wait_for: \"any\"` to collect each as it lands.
- A blocking `codex` call that your client moves to the background or times out keeps
  running; its result stays in `codex_status` under its `task_id` (`codex-<topic>`).
- `codex_reply` talks to a task: a `prompt` steers a running one or follows up an ended one (a
  new task in the same session); a `decision` answers a task that is `input_required`.
- With `approval_policy` `on-request` or `untrusted`, Codex may stop and ask (status
  `input_required`, its questions in `input_requests`): ask the user, then answer each with
  codex_reply `decision` and its `id` as `request_id`. An accepted request runs outside Codex's
  sandbox; never accept for the user.
- `codex_cancel` stops a task and everything it started.
- A second opinion: `codex_review` runs Codex's own review of the uncommitted changes (before a
  commit), of a branch (`target: {\"base\": \"main\"}`) or a commit, and returns `findings`.
- Implementation work, as one habit: a full-access `codex` (or `codex_dispatch`) task, then
  `codex_review` with its `task_id`; if a finding is serious, a codex_reply `prompt` to fix it
  (a follow-up in the same worktree) and review again; then `codex_land` brings the work into
  the user's branch (one squashed commit by default) and removes the worktree.

`topic` names the task as `<type>-<desc>-v<N>`, e.g. `review-auth_module-v1`.
`sandbox`: `read-only` for reviews and questions (every write is refused); `full-access` for
implementation: Codex works in its own git worktree on branch `agent/<type>-<desc>` (a change it
makes to the user's checkout anyway is reported as `checkout_changes`); the result reports the
branch, `commits_ahead` and `diff_stat` to review/merge.
Several full-access tasks with different `<type>-<desc>` run in parallel.
Per task you may set `model`, `reasoning_effort` and `profile` (e.g. a small model for a quick
review) and `timeout_seconds` (the task fails with \"timed out\" when it passes).
To continue a conversation, pass the `session_id` of an earlier result with a new topic version
(e.g. `-v2`); a follow-up keeps the model and effort, and a full-access one the same worktree.
`usage` is the task's own tokens; a long `result` is cut: read on with `result_offset`.";

/// Every tool, in the order clients list them.
pub fn all_tools() -> Vec<Tool> {
    ToolKind::ALL.into_iter().map(definition).collect()
}

fn definition(kind: ToolKind) -> Tool {
    let (description, input, output, annotations): (&str, _, _, _) = match kind {
        ToolKind::Codex => (
            "Run a task with the Codex CLI and wait for its answer. Returns `result` (Codex's final message), `session_id` (to continue the conversation), `usage`, `log_file`, on failure `error`, and for full-access tasks the worktree, branch, `commits_ahead` and `diff_stat`. Use it for quick questions; for work that may take more than a minute, use codex_dispatch, then codex_status with `wait_seconds`. If the client stops waiting, the task keeps running and codex_status has its result.",
            input_schema::<TaskRequest>(),
            output_schema::<TaskView>(),
            acting("Run Codex and wait", false),
        ),
        ToolKind::Dispatch => (
            "Start a Codex task in the background and return at once with its `task_id`. The task keeps running even if this server or the client exits. Then call codex_status with the `task_id` and `wait_seconds` (up to 600) to get the result the moment it is ready, without polling; for several tasks, one codex_status with `task_ids`. Stop it with codex_cancel. Full-access tasks also return `worktree_dir`, `agent_branch` and the `attach_command` to watch them.",
            input_schema::<TaskRequest>(),
            output_schema::<DispatchView>(),
            acting("Start Codex in the background", false),
        ),
        ToolKind::Status => (
            "With `task_id`: the task's status; while running, its live progress (phase, commands run, files changed, latest message and command, `idle_seconds`); once finished, the same fields as the codex tool's result. Add `wait_seconds` (up to 600) to wait for the end in this one call. With `task_ids` (up to 20): each of those tasks, in order; with `wait_seconds` it waits for all of them, or with `wait_for: \"any\"` for the first. A long answer is cut: pass `result_offset` (the `next_offset` given) to read on. Without either: the newest tasks, one object each, with `total_usage`.",
            input_schema::<StatusArgs>(),
            output_schema::<StatusResult>(),
            read_only("Codex task status"),
        ),
        ToolKind::Reply => (
            "Talk to a Codex task. With `prompt`: a running task gets it in its current turn (steered; Codex reads it at its next model request, and its result reflects it); a queued one starts with it; an ended one gets a follow-up turn in the same session, as a new task (next topic version, same worktree) answered like codex_dispatch. With `decision` and `request_id`: the answer to that question of a task that is `input_required` (see its `input_requests`): `accept`, `accept_for_session`, `decline` or `cancel`; it reaches that question or none. Returns `delivered` (`steer`, `queued`, `answer`, `follow_up`) and the `task_id` to follow with codex_status.",
            input_schema::<ReplyArgs>(),
            output_schema::<ReplyView>(),
            acting("Reply to a Codex task", false),
        ),
        ToolKind::Cancel => (
            "Stop a running Codex task: its whole process tree is terminated and verified gone, and the task is marked `cancelled`. On a task that already finished, reports its final status and changes nothing.",
            input_schema::<CancelArgs>(),
            output_schema::<CancelView>(),
            acting("Cancel a Codex task", true),
        ),
        ToolKind::Review => (
            "Codex's own code review (its review mode), read-only: of the uncommitted changes (default), a branch against a base, a commit, or a full-access task's work (`task_id`). Returns `findings` (title, priority 0-3, file, lines, body), Codex's `verdict` and `explanation`, and the `review` as Codex wrote it. Runs as a task like codex (background for a client that follows tasks).",
            input_schema::<ReviewArgs>(),
            output_schema::<ReviewView>(),
            reviewing(),
        ),
        ToolKind::Land => (
            "Bring an ended full-access task's work into your branch: commits what Codex left uncommitted (with a `Codex-Task:` trailer), then squash (default), merge or rebase it into the branch checked out where the task started (or `into`), with git itself (your hooks run). A conflict or a refusal changes nothing in your checkout and says why. Then removes the worktree and branch unless `keep`.",
            input_schema::<LandArgs>(),
            output_schema::<LandView>(),
            acting("Land a Codex task's work", true),
        ),
    };
    let title = annotations.title.clone().unwrap_or_default();
    Tool::new(kind.name(), description, input)
        .with_title(title)
        .with_raw_output_schema(output)
        .with_annotations(annotations)
        .with_meta(client_hints(kind))
}

/// Claude Code lists MCP tools to its model by name only and loads a schema when the model
/// searches for it (`ToolSearch`): `anthropic/searchHint` holds the words a model looking for
/// this tool would use. No tool is `anthropic/alwaysLoad`: docs/tools.md has the measurement.
fn client_hints(kind: ToolKind) -> MetaObject {
    let hint = match kind {
        ToolKind::Codex => {
            "delegate a coding task to OpenAI Codex: review, implement, fix, refactor, explain; \
             runs as a background task and the result comes back by itself"
        }
        ToolKind::Dispatch => {
            "start an OpenAI Codex background task and return at once; delegate, implement, \
             review, several in parallel"
        }
        ToolKind::Status => {
            "Codex task status, progress and result; wait for background tasks; list tasks"
        }
        ToolKind::Reply => {
            "steer or follow up a Codex task, send it more instructions, answer its approval \
             request: accept or decline"
        }
        ToolKind::Cancel => "cancel or stop a running Codex background task",
        ToolKind::Review => {
            "code review, second opinion on a change by OpenAI Codex: uncommitted changes, a \
             branch, a commit or a Codex task's work; findings with priorities"
        }
        ToolKind::Land => {
            "land, merge, squash or rebase a Codex task's branch into my branch; apply its work"
        }
    };
    let mut meta = JsonObject::new();
    meta.insert("anthropic/searchHint".into(), hint.into());
    MetaObject(meta)
}

fn read_only(title: &str) -> ToolAnnotations {
    let mut a = ToolAnnotations::new();
    a.title = Some(title.into());
    a.read_only_hint = Some(true);
    a.open_world_hint = Some(false);
    a
}

/// A review writes nothing, but asks a model out in the world.
fn reviewing() -> ToolAnnotations {
    let mut a = read_only("Codex code review");
    a.open_world_hint = Some(true);
    a
}

fn acting(title: &str, destructive: bool) -> ToolAnnotations {
    let mut a = ToolAnnotations::new();
    a.title = Some(title.into());
    a.read_only_hint = Some(false);
    a.destructive_hint = Some(destructive);
    a.open_world_hint = Some(true);
    a
}

/// The input schema of the tool `kind` from a list made by [`all_tools`].
pub fn input_of(tools: &[Tool], kind: ToolKind) -> Arc<JsonObject> {
    tools
        .iter()
        .find(|t| t.name == kind.name())
        .map(|t| t.input_schema.clone())
        .unwrap_or_default()
}
