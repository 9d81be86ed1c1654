//! Every message codex-mcp sends or reads, held to the JSON Schema that the Codex under test
//! generates (`codex app-server generate-json-schema`): a Codex that renames, drops or retypes
//! a field codex-mcp uses fails here, not in a person's task.
//!
//! Two checks. Lines codex-mcp writes (each request, the handshake's end, every answer in every
//! decision) validate against Codex's schema as they are. And each of our types is walked beside
//! Codex's definition of the same message: every field we write or read must be one Codex has,
//! of the same kind; a field we cannot do without must be one Codex always sends; a word we
//! send (a sandbox, a decision) must be one Codex takes.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Value, json};

use super::client::sent_requests;
use super::server::{read_notifications, read_requests};
use super::*;
use crate::codex::CodexSandbox;
use crate::vocab::{ApprovalPolicy, Decision, ReviewTarget};

/// Codex's schema documents, by title (each file is whole: its definitions travel with it).
struct Codex(HashMap<String, Value>);

impl Codex {
    /// The schema of the Codex under test, or `None` when the suite runs without one.
    fn generate() -> Option<Codex> {
        let Some(codex) = std::env::var_os("CODEXMCP_TEST_CODEX") else {
            eprintln!("CODEXMCP_TEST_CODEX is not set: the protocol schema check is skipped");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("schema");
        let status = std::process::Command::new(codex)
            .args(["app-server", "generate-json-schema", "--out"])
            .arg(&out)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("CODEX_HOME", dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "generate-json-schema: {status}");
        let mut docs = HashMap::new();
        load(&out, &mut docs);
        assert!(docs.contains_key("ClientRequest"), "{:?}", docs.keys());
        Some(Codex(docs))
    }

    fn doc(&self, title: &str) -> &Value {
        self.0
            .get(title)
            .unwrap_or_else(|| panic!("Codex's schema has no {title}"))
    }

    /// The parameters' schema of `method` in the union document `union` (e.g. ClientRequest),
    /// as a reference into that document.
    fn params_of(&self, union: &str, method: &str) -> Option<Value> {
        let doc = self.doc(union);
        doc["oneOf"]
            .as_array()?
            .iter()
            .find(|v| v["properties"]["method"]["enum"][0] == method)
            .map(|v| v["properties"]["params"].clone())
    }
}

fn load(dir: &Path, docs: &mut HashMap<String, Value>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            load(&path, docs);
        } else if path.extension().is_some_and(|e| e == "json") {
            let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            docs.insert(stem, doc);
        }
    }
}

/// Which way a message goes: what we send must only say what Codex takes; what we read must
/// not need what Codex may leave out.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Way {
    Sent,
    Read,
}

/// A schema and the document its references resolve in.
#[derive(Clone, Copy)]
struct At<'a> {
    schema: &'a Value,
    root: &'a Value,
}

impl<'a> At<'a> {
    /// Follows references and unwraps "this or null" to what the value is when present.
    fn resolved(self) -> At<'a> {
        let mut at = self;
        for _ in 0..32 {
            let s = at.schema;
            if let Some(r) = s["$ref"].as_str() {
                let mut target = at.root;
                for part in r.trim_start_matches("#/").split('/') {
                    target = &target[part];
                }
                at.schema = target;
            } else if let Some(one) = single(&s["allOf"]) {
                at.schema = one;
            } else if let Some(one) = not_null(&s["anyOf"]).or_else(|| not_null(&s["oneOf"])) {
                at.schema = one;
            } else {
                return at;
            }
        }
        panic!("a reference cycle at {}", self.schema)
    }

    fn with(self, schema: &'a Value) -> At<'a> {
        At { schema, ..self }
    }

    /// The alternatives of a union (`oneOf`/`anyOf`), after resolution.
    fn variants(self) -> Vec<At<'a>> {
        let s = self.schema;
        s["oneOf"]
            .as_array()
            .or_else(|| s["anyOf"].as_array())
            .into_iter()
            .flatten()
            .map(|v| self.with(v).resolved())
            .collect()
    }

    /// The strings an enum of words allows (`enum`, `const`, or a union of them).
    fn words(self) -> Vec<String> {
        let s = self.schema;
        let mut words: Vec<String> = s["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(s.get("const"))
            .filter_map(|w| w.as_str().map(str::to_string))
            .collect();
        if s.get("oneOf").is_some() || s.get("anyOf").is_some() {
            for v in self.variants() {
                words.extend(v.words());
            }
        }
        words
    }

    /// The kind of value, without null.
    fn kind(self) -> Option<&'a str> {
        match &self.schema["type"] {
            Value::String(t) => Some(t),
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
            _ => None,
        }
    }

    /// The value of the tag `type` that a variant of a tagged union carries.
    fn tag(self) -> Option<String> {
        let tag = self.with(&self.schema["properties"]["type"]).resolved();
        tag.words().into_iter().next()
    }

    /// What an array holds (a tuple's first place for a fixed-length one).
    fn items(self) -> Option<At<'a>> {
        let s = self.schema;
        s.get("items")
            .filter(|i| i.is_object())
            .or_else(|| s["prefixItems"].get(0))
            .or_else(|| s["items"].get(0))
            .map(|i| self.with(i))
    }

    fn required(self) -> Vec<&'a str> {
        self.schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect()
    }
}

fn single(v: &Value) -> Option<&Value> {
    match v.as_array().map(Vec::as_slice) {
        Some([one]) => Some(one),
        _ => None,
    }
}

/// The one alternative of "X or null".
fn not_null(v: &Value) -> Option<&Value> {
    let alternatives = v.as_array()?;
    let mut rest = alternatives.iter().filter(|a| a["type"] != "null");
    let one = rest.next()?;
    (rest.next().is_none() && alternatives.len() == 2).then_some(one)
}

/// Where `ours` says more than `theirs` allows, one line each (empty: it is covered).
fn covers(ours: At<'_>, theirs: At<'_>, way: Way, path: &str, faults: &mut Vec<String>) {
    let (ours, theirs) = (ours.resolved(), theirs.resolved());
    if ours.schema == &json!(true) || ours.schema.as_object().is_some_and(|o| o.is_empty()) {
        return; // any JSON value: codex-mcp passes it on as it is
    }
    if let (Some(o), Some(t)) = (ours.kind(), theirs.kind()) {
        let same = o == t || (o == "integer" && t == "number");
        if !same {
            faults.push(format!("{path}: ours is {o}, Codex's is {t}"));
            return;
        }
    }
    let our_words = ours.words();
    if !our_words.is_empty() {
        let their_words = theirs.words();
        if way == Way::Sent && !their_words.is_empty() {
            for w in our_words.iter().filter(|w| !their_words.contains(w)) {
                faults.push(format!(
                    "{path}: Codex does not take `{w}` ({their_words:?})"
                ));
            }
        }
        return;
    }
    let our_variants = ours.variants();
    if !our_variants.is_empty() {
        let their_variants = theirs.variants();
        for v in our_variants {
            let Some(tag) = v.tag() else {
                continue; // an untagged catch-all (`Other`) reads whatever comes
            };
            match their_variants
                .iter()
                .find(|t| t.tag().as_deref() == Some(&tag))
            {
                Some(t) => covers(v, *t, way, &format!("{path}[{tag}]"), faults),
                None => faults.push(format!("{path}: Codex has no `{tag}`")),
            }
        }
        return;
    }
    fields(ours, theirs, way, path, faults);
    if let (Some(o), Some(t)) = (ours.items(), theirs.items()) {
        covers(o, t, way, &format!("{path}[]"), faults);
    }
}

/// Our object against Codex's object, or against each form of Codex's union.
fn fields(ours: At<'_>, theirs: At<'_>, way: Way, path: &str, faults: &mut Vec<String>) {
    let their_variants = theirs.variants();
    // Fields beside a union (Codex's flattened enums) are the object's own.
    if their_variants.is_empty() || theirs.schema.get("properties").is_some() {
        objects(ours, theirs, way, path, faults);
    } else {
        // One of our structs for a union of theirs: what we read must read from each of its
        // forms; what we send must be one of them.
        let each: Vec<Vec<String>> = their_variants
            .iter()
            .map(|t| {
                let mut f = Vec::new();
                objects(ours, *t, way, path, &mut f);
                f
            })
            .collect();
        match way {
            Way::Read => faults.extend(each.into_iter().flatten()),
            Way::Sent if each.iter().any(Vec::is_empty) => {}
            Way::Sent => faults.extend(each.into_iter().flatten()),
        }
    }
}

/// Each of our fields against Codex's field of the same name.
fn objects(ours: At<'_>, theirs: At<'_>, way: Way, path: &str, faults: &mut Vec<String>) {
    let Some(props) = ours.schema["properties"].as_object() else {
        return;
    };
    let their_required = theirs.required();
    for (name, schema) in props {
        let field = format!("{path}.{name}");
        if name == "type" && theirs.schema["properties"].get("type").is_some() {
            continue; // a union's tag, matched already
        }
        match theirs.schema["properties"].get(name) {
            Some(t) => covers(ours.with(schema), theirs.with(t), way, &field, faults),
            None => {
                faults.push(format!("{field}: Codex has no such field"));
                continue;
            }
        }
        if way == Way::Read
            && ours.required().contains(&name.as_str())
            && !their_required.contains(&name.as_str())
        {
            faults.push(format!(
                "{field}: codex-mcp needs it, but Codex may leave it out"
            ));
        }
    }
}

fn ours(schema: &schemars::Schema) -> At<'_> {
    At {
        schema: schema.as_value(),
        root: schema.as_value(),
    }
}

fn in_doc(doc: &Value) -> At<'_> {
    At {
        schema: doc,
        root: doc,
    }
}

/// Each of our messages beside Codex's definition of it.
fn faults(codex: &Codex) -> Vec<String> {
    let mut faults = Vec::new();
    for (method, params, response, title) in sent_requests() {
        let union = codex.doc("ClientRequest");
        match codex.params_of("ClientRequest", method) {
            Some(theirs) => {
                let theirs = At {
                    schema: &theirs,
                    root: union,
                };
                covers(ours(&params), theirs, Way::Sent, method, &mut faults);
            }
            None => faults.push(format!("{method}: Codex has no such request")),
        }
        let path = format!("{method} answer");
        covers(
            ours(&response),
            in_doc(codex.doc(title)),
            Way::Read,
            &path,
            &mut faults,
        );
    }
    for (method, params) in read_notifications() {
        let union = codex.doc("ServerNotification");
        match codex.params_of("ServerNotification", method) {
            Some(theirs) => {
                let theirs = At {
                    schema: &theirs,
                    root: union,
                };
                covers(ours(&params), theirs, Way::Read, method, &mut faults);
            }
            None => faults.push(format!("{method}: Codex sends no such notification")),
        }
    }
    for (method, params, answer, title) in read_requests() {
        let union = codex.doc("ServerRequest");
        match codex.params_of("ServerRequest", method) {
            Some(theirs) => {
                let theirs = At {
                    schema: &theirs,
                    root: union,
                };
                covers(ours(&params), theirs, Way::Read, method, &mut faults);
            }
            None => faults.push(format!("{method}: Codex makes no such request")),
        }
        let path = format!("{method} answer");
        covers(
            ours(&answer),
            in_doc(codex.doc(title)),
            Way::Sent,
            &path,
            &mut faults,
        );
    }
    faults
}

#[test]
fn every_message_is_one_the_codex_under_test_defines() {
    let Some(codex) = Codex::generate() else {
        return;
    };
    let faults = faults(&codex);
    assert!(faults.is_empty(), "protocol drift:\n{}", faults.join("\n"));
}

/// The lines codex-mcp writes, of every kind and in every word it uses.
fn written_lines() -> Vec<(&'static str, String)> {
    let config = json!({"model_reasoning_effort": "high"});
    let mut lines = Vec::new();
    for sandbox in <CodexSandbox as strum::VariantArray>::VARIANTS {
        for policy in <ApprovalPolicy as strum::VariantArray>::VARIANTS {
            let settings = ThreadSettings {
                cwd: "/w",
                sandbox: *sandbox,
                approval_policy: *policy,
                model: Some("gpt-5"),
                config: Some(&config),
                developer_instructions: Some("focus on safety"),
            };
            lines.push(("ClientRequest", request_line(1, &ThreadStart(settings))));
            let resume = ThreadResume {
                thread_id: "th",
                settings,
            };
            lines.push(("ClientRequest", request_line(2, &resume)));
        }
    }
    let turn = TurnStart {
        thread_id: "th",
        input: [UserInput::Text { text: "go" }],
    };
    lines.push(("ClientRequest", request_line(3, &turn)));
    lines.extend(review_lines());
    let steer = TurnSteer {
        thread_id: "th",
        expected_turn_id: "u",
        input: [UserInput::Text { text: "also" }],
    };
    lines.push(("ClientRequest", request_line(5, &steer)));
    let interrupt = TurnInterrupt {
        thread_id: "th",
        turn_id: "u",
    };
    lines.push(("ClientRequest", request_line(6, &interrupt)));
    lines.push(("ClientRequest", request_line(7, &Initialize::default())));
    let list = ModelList {
        include_hidden: true,
        cursor: Some("c".into()),
    };
    lines.push(("ClientRequest", request_line(8, &list)));
    lines.push(("ClientNotification", initialized_line()));
    lines
}

/// A review of every kind of target.
fn review_lines() -> Vec<(&'static str, String)> {
    let mut lines = Vec::new();
    let targets = [
        ReviewTarget::UncommittedChanges,
        ReviewTarget::BaseBranch {
            branch: "main".into(),
        },
        ReviewTarget::Commit {
            sha: "abc".into(),
            title: Some("t".into()),
        },
        ReviewTarget::Custom {
            instructions: "look".into(),
        },
    ];
    for target in &targets {
        let review = ReviewStart {
            thread_id: "th",
            target,
        };
        lines.push(("ClientRequest", request_line(4, &review)));
    }
    lines
}

/// Each question in Codex's words, with the title of its answer.
fn questions() -> Vec<(ServerRequest, &'static str)> {
    let ask = |method: &str, params: Value| ServerRequest::read(method, params);
    let base = json!({"threadId": "t", "turnId": "u", "itemId": "i", "startedAtMs": 1});
    let with = |extra: Value| {
        let mut p = base.clone();
        p.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        p
    };
    vec![
        (
            ask(
                "item/commandExecution/requestApproval",
                with(json!({"command": "ls"})),
            ),
            "CommandExecutionRequestApprovalResponse",
        ),
        (
            ask("item/fileChange/requestApproval", base.clone()),
            "FileChangeRequestApprovalResponse",
        ),
        (
            ask(
                "item/permissions/requestApproval",
                with(json!({"cwd": "/w", "permissions": {"network": {"enabled": true}}})),
            ),
            "PermissionsRequestApprovalResponse",
        ),
        (
            ask(
                "execCommandApproval",
                json!({"callId": "c", "conversationId": "t", "command": ["ls"], "cwd": "/w", "parsedCmd": []}),
            ),
            "ExecCommandApprovalResponse",
        ),
        (
            ask(
                "applyPatchApproval",
                json!({"callId": "c", "conversationId": "t", "fileChanges": {}}),
            ),
            "ApplyPatchApprovalResponse",
        ),
    ]
}

#[test]
fn every_line_codex_mcp_writes_validates_against_codex_s_schema() {
    let Some(codex) = Codex::generate() else {
        return;
    };
    let mut lines = written_lines();
    let mut answers = Vec::new();
    for (question, title) in questions() {
        assert!(
            !matches!(question, ServerRequest::Unreadable { .. }),
            "{question:?}"
        );
        for decision in <Decision as strum::VariantArray>::VARIANTS {
            answers.push((
                title,
                crate::codex::answer_line_for(&json!(9), &question, *decision),
            ));
        }
    }
    for (method, title) in [
        (
            "mcpServer/elicitation/request",
            "McpServerElicitationRequestResponse",
        ),
        ("item/tool/requestUserInput", "ToolRequestUserInputResponse"),
        ("item/tool/call", "DynamicToolCallResponse"),
    ] {
        let request = ServerRequest::read(method, json!({"serverName": "s", "tool": "t"}));
        match crate::codex::asked(&json!(9), &request) {
            crate::codex::Asked::Declined { answer, .. } => answers.push((title, answer)),
            other => panic!("{method}: {other:?}"),
        }
    }
    lines.extend(answers.iter().map(|(t, l)| (*t, l.clone())));
    let mut faults = Vec::new();
    for (title, line) in &lines {
        let value: Value = serde_json::from_str(line).unwrap();
        // An answer's schema is its result's; a request's or notification's is the line's.
        let instance = value.get("result").unwrap_or(&value);
        let validator = jsonschema::validator_for(codex.doc(title)).unwrap();
        for error in validator.iter_errors(instance) {
            faults.push(format!("{title}: {line}: {error}"));
        }
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

/// The walk finds drift: a renamed field, a word Codex no longer takes, a field that became
/// optional.
#[test]
fn the_walk_catches_a_renamed_field_a_dropped_word_and_a_field_made_optional() {
    let theirs = json!({
        "definitions": {"Mode": {"enum": ["read-only"], "type": "string"}},
        "type": "object",
        "properties": {
            "workdir": {"type": "string"},
            "sandbox": {"$ref": "#/definitions/Mode"},
            "thread": {"type": "object", "properties": {"id": {"type": ["string", "null"]}}}
        },
        "required": ["workdir"]
    });
    let ours_sent = json!({
        "type": "object",
        "properties": {"cwd": {"type": "string"}, "sandbox": {"type": "string", "enum": ["read-only", "danger-full-access"]}}
    });
    let mut faults = Vec::new();
    covers(
        in_doc(&ours_sent),
        in_doc(&theirs),
        Way::Sent,
        "m",
        &mut faults,
    );
    assert_eq!(faults.len(), 2, "{faults:?}");
    assert!(
        faults[0].contains("m.cwd") || faults[1].contains("m.cwd"),
        "{faults:?}"
    );
    assert!(
        faults.iter().any(|f| f.contains("danger-full-access")),
        "{faults:?}"
    );
    let ours_read = json!({
        "type": "object",
        "properties": {"thread": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}},
        "required": ["thread"]
    });
    let mut faults = Vec::new();
    covers(
        in_doc(&ours_read),
        in_doc(&theirs),
        Way::Read,
        "r",
        &mut faults,
    );
    assert_eq!(faults.len(), 2, "{faults:?}");
    assert!(
        faults.iter().all(|f| f.contains("may leave it out")),
        "{faults:?}"
    );
}
