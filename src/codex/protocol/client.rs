//! What codex-mcp sends app-server: its requests, each with its method and the type its answer
//! is read into, and its answers to app-server's own requests.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::line;
use super::server::{ThreadOpened, TurnStarted};
use crate::codex::CodexSandbox;
use crate::vocab::{ApprovalPolicy, Decision, ReviewTarget};

/// A request codex-mcp sends: its parameters are the type, and it says its method and what its
/// answer reads as.
pub trait ClientRequest: Serialize {
    const METHOD: &'static str;
    type Response: DeserializeOwned;
}

/// The request line for `params` with `id`.
pub fn request_line<R: ClientRequest>(id: u64, params: &R) -> String {
    #[derive(Serialize)]
    struct Line<'a, P> {
        id: u64,
        method: &'static str,
        params: &'a P,
    }
    line(&Line {
        id,
        method: R::METHOD,
        params,
    })
}

/// The notification that ends the handshake.
pub fn initialized_line() -> String {
    #[derive(Serialize)]
    struct Line {
        method: &'static str,
    }
    line(&Line {
        method: "initialized",
    })
}

/// Declares each request's method and answer once; the schema check reads the same list.
macro_rules! client_requests {
    ($($params:ident$(<$lt:lifetime>)? = $method:literal -> $response:ty, as $codex:literal;)*) => {
        $(impl<'a> ClientRequest for $params$(<$lt>)? {
            const METHOD: &'static str = $method;
            type Response = $response;
        })*

        /// Every request codex-mcp sends: its method, its parameters' schema, the schema of the
        /// answer it reads, and the title Codex gives that answer.
        #[cfg(test)]
        pub(super) fn sent_requests() -> Vec<(&'static str, schemars::Schema, schemars::Schema, &'static str)> {
            vec![$((
                $method,
                schemars::schema_for!($params),
                schemars::schema_for!($response),
                $codex,
            ),)*]
        }
    };
}

client_requests! {
    Initialize = "initialize" -> super::server::Initialized, as "InitializeResponse";
    ThreadStart<'a> = "thread/start" -> ThreadOpened, as "ThreadStartResponse";
    ThreadResume<'a> = "thread/resume" -> ThreadOpened, as "ThreadResumeResponse";
    TurnStart<'a> = "turn/start" -> TurnStarted, as "TurnStartResponse";
    ReviewStart<'a> = "review/start" -> TurnStarted, as "ReviewStartResponse";
    TurnSteer<'a> = "turn/steer" -> Value, as "TurnSteerResponse";
    TurnInterrupt<'a> = "turn/interrupt" -> Value, as "TurnInterruptResponse";
    ModelList = "model/list" -> super::server::ModelPage, as "ModelListResponse";
    AccountRead = "account/read" -> super::server::AccountState, as "GetAccountResponse";
    CommandExec<'a> = "command/exec" -> super::server::CommandOutput, as "CommandExecResponse";
}

/// The handshake: who is speaking.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Initialize {
    client_info: ClientInfo,
}

#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
struct ClientInfo {
    name: &'static str,
    version: &'static str,
}

impl Default for Initialize {
    fn default() -> Initialize {
        Initialize {
            client_info: ClientInfo {
                name: "codex-mcp",
                version: env!("CARGO_PKG_VERSION"),
            },
        }
    }
}

/// How a thread runs: its folder, sandbox, approval policy and model, and a profile's settings.
/// Given explicitly on a resumed thread as well: a resumed read-only turn stays read-only
/// whatever the last turn had.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ThreadSettings<'a> {
    pub cwd: &'a str,
    pub sandbox: CodexSandbox,
    pub approval_policy: ApprovalPolicy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<&'a Value>,
    /// Instructions beside Codex's own (a review's focus).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub developer_instructions: Option<&'a str>,
}

/// A new thread.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ThreadStart<'a>(pub ThreadSettings<'a>);

/// The thread `thread_id`, resumed.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ThreadResume<'a> {
    pub thread_id: &'a str,
    #[serde(flatten)]
    pub settings: ThreadSettings<'a>,
}

/// What a person says to Codex: text.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum UserInput<'a> {
    Text { text: &'a str },
}

/// A turn with the task's prompt as its input.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct TurnStart<'a> {
    pub thread_id: &'a str,
    pub input: [UserInput<'a>; 1],
}

/// A turn of Codex's review mode, reviewing `target`.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReviewStart<'a> {
    pub thread_id: &'a str,
    pub target: &'a ReviewTarget,
}

/// Text delivered into the running turn `expected_turn_id` (refused if another turn runs).
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct TurnSteer<'a> {
    pub thread_id: &'a str,
    pub expected_turn_id: &'a str,
    pub input: [UserInput<'a>; 1],
}

/// Ends the running turn; the thread stays and can be resumed.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct TurnInterrupt<'a> {
    pub thread_id: &'a str,
    pub turn_id: &'a str,
}

/// One page of Codex's model catalog, hidden models included.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ModelList {
    pub include_hidden: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// Whether Codex there is logged in.
#[derive(Debug, Default, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct AccountRead {}

/// A command run by app-server on its machine, outside any thread (a host's git, a check of
/// its sandbox): its argv, its folder, and the sandbox it runs in.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CommandExec<'a> {
    pub command: &'a [&'a str],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<&'a str>,
    pub sandbox_policy: SandboxPolicy,
}

/// The sandbox of a command app-server runs.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum SandboxPolicy {
    ReadOnly,
    DangerFullAccess,
}

/// The answer to a command or file-change approval, in app-server's words.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ApprovalAnswer {
    pub decision: ApprovalDecision,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum ApprovalDecision {
    Accept,
    AcceptForSession,
    Decline,
    Cancel,
}

impl From<Decision> for ApprovalDecision {
    fn from(d: Decision) -> ApprovalDecision {
        match d {
            Decision::Accept => ApprovalDecision::Accept,
            Decision::AcceptForSession => ApprovalDecision::AcceptForSession,
            Decision::Decline => ApprovalDecision::Decline,
            Decision::Cancel => ApprovalDecision::Cancel,
        }
    }
}

/// The answer to the first protocol's questions (`execCommandApproval`,
/// `applyPatchApproval`), which take its review words.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ReviewAnswer {
    pub decision: ReviewDecision,
}

/// A decline carries its reason (Codex 0.169 reads a bare `denied` as no decision at all).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    Approved,
    ApprovedForSession,
    Denied { rejection: String },
    Abort,
}

impl From<Decision> for ReviewDecision {
    fn from(d: Decision) -> ReviewDecision {
        match d {
            Decision::Accept => ReviewDecision::Approved,
            Decision::AcceptForSession => ReviewDecision::ApprovedForSession,
            Decision::Decline => ReviewDecision::Denied {
                rejection: "declined through codex-mcp".into(),
            },
            Decision::Cancel => ReviewDecision::Abort,
        }
    }
}

/// Permissions are granted by echoing them back, for the turn or the session; a decline grants
/// nothing.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PermissionsAnswer {
    pub permissions: Value,
    pub scope: GrantScope,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum GrantScope {
    Turn,
    Session,
}

/// An MCP server's request for input, declined.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ElicitationAnswer {
    pub action: ElicitationAction,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum ElicitationAction {
    Decline,
}

/// Free-text questions, answered with no answers.
#[derive(Debug, Default, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct UserInputAnswer {
    pub answers: BTreeMap<String, Value>,
}

/// A call of a client tool codex-mcp does not have: it failed, with nothing to show.
#[derive(Debug, Default, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ToolCallAnswer {
    pub success: bool,
    pub content_items: Vec<Value>,
}
