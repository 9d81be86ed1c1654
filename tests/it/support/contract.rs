//! The public contract as checked in: `tests/fixtures/tools_list.json` is the server's whole
//! `tools/list` answer. Every structured result a test receives through [`super::call`] is
//! validated against its tool's `outputSchema` there, as Claude Code validates it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use rmcp::model::CallToolResult;
use serde_json::Value;

/// Where the checked-in `tools/list` answer lives.
pub fn tools_list_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tools_list.json")
}

/// The checked-in `tools/list` answer.
pub fn checked_in_tools_list() -> Value {
    let text = std::fs::read_to_string(tools_list_path()).expect("read tools_list.json");
    serde_json::from_str(&text).expect("tools_list.json is JSON")
}

fn validators() -> &'static HashMap<String, jsonschema::Validator> {
    static VALIDATORS: OnceLock<HashMap<String, jsonschema::Validator>> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        let list = checked_in_tools_list();
        list["tools"]
            .as_array()
            .expect("tools")
            .iter()
            .filter(|t| t.get("outputSchema").is_some())
            .map(|t| {
                let name = t["name"].as_str().expect("name").to_string();
                let v = jsonschema::validator_for(&t["outputSchema"])
                    .unwrap_or_else(|e| panic!("the outputSchema of {name} does not compile: {e}"));
                (name, v)
            })
            .collect()
    })
}

/// Panics when `r`'s structured content is not what `tool`'s output schema allows.
pub fn check_result(tool: &str, r: &CallToolResult) {
    let Some(body) = &r.structured_content else {
        return;
    };
    let validator = validators()
        .get(tool)
        .unwrap_or_else(|| panic!("{tool} returns structured content but has no outputSchema"));
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{tool} returned a result its outputSchema does not allow: {errors:?}\n{body}"
    );
}
