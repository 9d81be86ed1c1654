//! What codex-mcp reads from app-server: the answers to its requests, the notifications of a
//! turn, and the requests app-server makes of it (approvals and the like). Fields codex-mcp
//! does not use are not declared; a field Codex may leave out has a default, so a message reads
//! unless what it carries is of another kind than the schema says.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

#[cfg(test)]
use super::client::{
    ApprovalAnswer, ElicitationAnswer, PermissionsAnswer, ReviewAnswer, ToolCallAnswer,
    UserInputAnswer,
};

/// `params` read as `T`, or why not.
fn read<T: DeserializeOwned>(params: Value) -> Result<T, String> {
    serde_json::from_value(params).map_err(|e| e.to_string())
}

/// Declares each notification codex-mcp reads once: its method, its variant and its
/// parameters' type. Any other method is `Other`; a known one whose parameters do not read is
/// `Unreadable`, with why.
macro_rules! server_notifications {
    ($($name:ident = $method:literal => $variant:ident($params:ty),)*) => {
        /// A notification from app-server, by what it is.
        #[derive(Debug, Clone, PartialEq)]
        pub enum ServerNotification {
            $($variant($params),)*
            /// A notification codex-mcp has no use for.
            Other { method: String },
            /// A notification codex-mcp reads whose parameters are not what it knows.
            Unreadable { method: String, why: String },
        }

        // Every method named once, whether or not codex-mcp compares with it.
        #[allow(dead_code)]
        impl ServerNotification {
            $(pub const $name: &'static str = $method;)*

            /// The notification `method` with `params`.
            pub fn read(method: &str, params: Value) -> ServerNotification {
                match method {
                    $($method => read(params).map_or_else(
                        |why| ServerNotification::Unreadable { method: method.into(), why },
                        ServerNotification::$variant,
                    ),)*
                    _ => ServerNotification::Other { method: method.into() },
                }
            }
        }

        /// Every notification codex-mcp reads, with its parameters' schema.
        #[cfg(test)]
        pub(super) fn read_notifications() -> Vec<(&'static str, schemars::Schema)> {
            vec![$(($method, schemars::schema_for!($params)),)*]
        }
    };
}

server_notifications! {
    THREAD_STARTED = "thread/started" => ThreadStarted(ThreadOpened),
    TURN_STARTED = "turn/started" => TurnStarted(TurnStarted),
    ITEM_STARTED = "item/started" => ItemStarted(ItemNotification),
    ITEM_COMPLETED = "item/completed" => ItemCompleted(ItemNotification),
    TOKEN_USAGE_UPDATED = "thread/tokenUsage/updated" => TokenUsageUpdated(TokenUsageNotification),
    ERROR = "error" => Error(ErrorNotification),
    TURN_COMPLETED = "turn/completed" => TurnCompleted(TurnCompleted),
    PLAN_UPDATED = "turn/plan/updated" => PlanUpdated(PlanNotification),
}

impl ServerNotification {
    /// The turn is over: it completed, or its end came in a form that cannot be read (it is
    /// over all the same).
    pub fn ends_turn(&self) -> bool {
        match self {
            ServerNotification::TurnCompleted(_) => true,
            ServerNotification::Unreadable { method, .. } => method == Self::TURN_COMPLETED,
            _ => false,
        }
    }
}

/// Declares each request app-server makes that codex-mcp knows, once: its method, its variant,
/// its parameters' type, and the type of codex-mcp's answer with the title Codex gives it.
macro_rules! server_requests {
    ($($method:literal => $variant:ident($params:ty) answered by $answer:ty, as $codex:literal;)*) => {
        /// A request from app-server, by what it asks.
        #[derive(Debug, Clone, PartialEq)]
        pub enum ServerRequest {
            $($variant($params),)*
            /// A request this version does not know.
            Unknown { method: String },
            /// A request this version knows whose parameters are not what it knows.
            Unreadable { method: String, why: String },
        }

        impl ServerRequest {
            /// The request `method` with `params`.
            pub fn read(method: &str, params: Value) -> ServerRequest {
                match method {
                    $($method => read(params).map_or_else(
                        |why| ServerRequest::Unreadable { method: method.into(), why },
                        ServerRequest::$variant,
                    ),)*
                    _ => ServerRequest::Unknown { method: method.into() },
                }
            }

            /// Its method, as app-server named it.
            pub fn method(&self) -> &str {
                match self {
                    $(ServerRequest::$variant(_) => $method,)*
                    ServerRequest::Unknown { method } | ServerRequest::Unreadable { method, .. } => method,
                }
            }
        }

        /// Every request codex-mcp answers: its method, its parameters' schema, the schema of
        /// the answer, and the title Codex gives that answer.
        #[cfg(test)]
        pub(super) fn read_requests() -> Vec<(&'static str, schemars::Schema, schemars::Schema, &'static str)> {
            vec![$((
                $method,
                schemars::schema_for!($params),
                schemars::schema_for!($answer),
                $codex,
            ),)*]
        }
    };
}

server_requests! {
    "item/commandExecution/requestApproval" => CommandApproval(CommandApprovalParams)
        answered by ApprovalAnswer, as "CommandExecutionRequestApprovalResponse";
    "execCommandApproval" => LegacyCommandApproval(LegacyCommandParams)
        answered by ReviewAnswer, as "ExecCommandApprovalResponse";
    "item/fileChange/requestApproval" => FileChangeApproval(FileChangeParams)
        answered by ApprovalAnswer, as "FileChangeRequestApprovalResponse";
    "applyPatchApproval" => LegacyPatchApproval(LegacyPatchParams)
        answered by ReviewAnswer, as "ApplyPatchApprovalResponse";
    "item/permissions/requestApproval" => PermissionsApproval(PermissionsParams)
        answered by PermissionsAnswer, as "PermissionsRequestApprovalResponse";
    "mcpServer/elicitation/request" => Elicitation(ElicitationParams)
        answered by ElicitationAnswer, as "McpServerElicitationRequestResponse";
    "item/tool/requestUserInput" => UserInput(UserInputParams)
        answered by UserInputAnswer, as "ToolRequestUserInputResponse";
    "item/tool/call" => ToolCall(ToolCallParams)
        answered by ToolCallAnswer, as "DynamicToolCallResponse";
}

/// A thread, by its id: the answer to `thread/start` and `thread/resume`, and
/// `thread/started`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ThreadOpened {
    pub thread: ThreadRef,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ThreadRef {
    pub id: String,
    /// A resumed thread's turns (empty for a new one): how a turn went while nobody listened.
    #[serde(default)]
    pub turns: Vec<Turn>,
}

/// A turn, by its id: the answer to `turn/start` and `review/start`, and `turn/started`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct TurnStarted {
    pub turn: TurnRef,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct TurnRef {
    pub id: String,
}

/// An item of the turn, started or completed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ItemNotification {
    pub item: ThreadItem,
}

/// The items codex-mcp shows, by their `type`; any other kind is `Other`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ThreadItem {
    #[serde(rename_all = "camelCase")]
    AgentMessage { id: String, text: String },
    #[serde(rename_all = "camelCase")]
    Reasoning {
        id: String,
        #[serde(default)]
        summary: Vec<String>,
    },
    #[serde(rename_all = "camelCase")]
    CommandExecution {
        id: String,
        command: String,
        #[serde(default)]
        aggregated_output: Option<String>,
        #[serde(default)]
        exit_code: Option<i64>,
        status: String,
    },
    #[serde(rename_all = "camelCase")]
    FileChange {
        id: String,
        changes: Vec<FileUpdateChange>,
        status: String,
    },
    #[serde(rename_all = "camelCase")]
    McpToolCall {
        id: String,
        server: String,
        tool: String,
        #[serde(default)]
        arguments: Value,
        #[serde(default)]
        result: Option<Value>,
        #[serde(default)]
        error: Option<Value>,
        status: String,
    },
    #[serde(rename_all = "camelCase")]
    WebSearch { id: String, query: String },
    #[serde(rename_all = "camelCase")]
    EnteredReviewMode { id: String, review: String },
    #[serde(rename_all = "camelCase")]
    ExitedReviewMode { id: String, review: String },
    /// An item codex-mcp does not show (read, not checked against Codex's list).
    #[serde(other)]
    #[cfg_attr(test, schemars(skip))]
    Other,
}

impl ThreadItem {
    /// Its id; `None` for an item codex-mcp does not read.
    pub fn id(&self) -> Option<&str> {
        match self {
            ThreadItem::AgentMessage { id, .. }
            | ThreadItem::Reasoning { id, .. }
            | ThreadItem::CommandExecution { id, .. }
            | ThreadItem::FileChange { id, .. }
            | ThreadItem::McpToolCall { id, .. }
            | ThreadItem::WebSearch { id, .. }
            | ThreadItem::EnteredReviewMode { id, .. }
            | ThreadItem::ExitedReviewMode { id, .. } => Some(id),
            ThreadItem::Other => None,
        }
    }
}

/// One file of a patch.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct FileUpdateChange {
    pub path: String,
    pub kind: PatchChangeKind,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PatchChangeKind {
    /// `add`, `delete` or `update`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// The tokens one model request used.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct TokenUsageNotification {
    pub token_usage: ThreadTokenUsage,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ThreadTokenUsage {
    /// The last model request's (the total counts the whole thread, earlier runs included).
    pub last: TokenBreakdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct TokenBreakdown {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
}

/// An error Codex reports during a turn (it may retry).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ErrorNotification {
    pub error: TurnError,
}

/// An error, with its typed kind when Codex gives one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct TurnError {
    pub message: String,
    /// A name (`usageLimitExceeded`), or an object of one key with its details
    /// (`{"httpConnectionFailed": {"httpStatusCode": 502}}`).
    #[serde(default)]
    pub codex_error_info: Option<Value>,
}

/// The turn ended.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct TurnCompleted {
    pub turn: Turn,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct Turn {
    #[serde(default)]
    pub id: String,
    pub status: TurnStatus,
    #[serde(default)]
    pub error: Option<TurnError>,
    /// Its items: sent with a resumed thread's turns (empty in `turn/completed`).
    #[serde(default)]
    pub items: Vec<ThreadItem>,
}

/// How a turn ended; a status this version does not know is `Unknown` (taken for a failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum TurnStatus {
    Completed,
    Interrupted,
    Failed,
    InProgress,
    #[serde(other)]
    Unknown,
}

/// The plan, re-sent whole as it is ticked off.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PlanNotification {
    pub plan: Vec<PlanStep>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PlanStep {
    pub step: String,
    /// `pending`, `inProgress` or `completed`.
    pub status: String,
}

/// A command (or input to a running one) Codex wants to run.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CommandApprovalParams {
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    pub item_id: String,
    /// `command` (the default) or `writeStdin`; other kinds are declined.
    #[serde(default)]
    pub kind: Option<String>,
    /// Present when the command needs the network: the host it would reach.
    #[serde(default)]
    pub network_approval_context: Option<NetworkApprovalContext>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct NetworkApprovalContext {
    pub host: String,
}

/// The first protocol's command question.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct LegacyCommandParams {
    pub command: Vec<String>,
    pub cwd: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// A patch Codex wants to apply, known by its item (whose paths came with the item).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FileChangeParams {
    pub item_id: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// The first protocol's patch question, with the patch's files.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct LegacyPatchParams {
    pub file_changes: std::collections::BTreeMap<String, Value>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// More permissions for the turn: granted by giving them back.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PermissionsParams {
    pub permissions: Value,
    pub cwd: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// An MCP server of Codex's asks for input.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ElicitationParams {
    pub server_name: String,
}

/// Codex asks free-text questions.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct UserInputParams {}

/// Codex calls a tool of the client's.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ToolCallParams {
    pub tool: String,
}

/// The answer to the handshake: who is speaking (`<name>/<version> (<os>…)`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Initialized {
    pub user_agent: String,
}

impl Initialized {
    /// The Codex version in the user agent (`codex-mcp/0.169.0 (Debian …)` → `0.169.0`).
    pub fn version(&self) -> Option<&str> {
        let (_, rest) = self.user_agent.split_once('/')?;
        rest.split_whitespace().next()
    }
}

/// Whether Codex is logged in: its account, or that it needs none.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AccountState {
    #[serde(default)]
    pub account: Option<Value>,
    pub requires_openai_auth: bool,
}

/// How a command app-server ran ended, and what it printed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CommandOutput {
    pub exit_code: i64,
    pub stdout: String,
    pub stderr: String,
}

/// One page of Codex's model catalog.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ModelPage {
    pub data: Vec<Model>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Model {
    /// The name `-m` takes.
    pub model: String,
    #[serde(default)]
    pub hidden: bool,
    #[serde(default)]
    pub is_default: bool,
    #[serde(default)]
    pub default_reasoning_effort: Option<String>,
    #[serde(default)]
    pub supported_reasoning_efforts: Vec<EffortOption>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct EffortOption {
    pub reasoning_effort: String,
}
