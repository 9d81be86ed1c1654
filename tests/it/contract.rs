//! The public surface: the whole `tools/list` answer is pinned in a checked-in file, so any
//! change to a tool's parameters or results shows up as a diff in review, and every field of
//! it must be documented in docs/tools.md.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::support::contract::{check_result, checked_in_tools_list, tools_list_path};
use crate::support::*;

/// Set to rewrite `tests/fixtures/tools_list.json` from the server after a deliberate change.
const BLESS: &str = "CODEXMCP_BLESS";

async fn served_tools_list(fx: &Fixture) -> Value {
    let client = fx.client().await;
    let tools = client.list_all_tools().await.unwrap();
    client.cancel().await.unwrap();
    json!({ "tools": tools })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tools_list_is_the_checked_in_contract() {
    let fx = Fixture::new().await;
    let served = served_tools_list(&fx).await;
    let pretty = serde_json::to_string_pretty(&served).unwrap() + "\n";
    if std::env::var_os(BLESS).is_some() {
        std::fs::write(tools_list_path(), &pretty).unwrap();
    }
    let checked_in = std::fs::read_to_string(tools_list_path()).unwrap_or_default();
    if checked_in != pretty {
        let first_difference = checked_in
            .lines()
            .zip(pretty.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| checked_in.lines().count().min(pretty.lines().count()));
        panic!(
            "the served tools/list differs from {} from line {}:\n  checked in: {:?}\n  served:     {:?}\n\
             If the change is meant, run `{BLESS}=1 scripts/test.sh contract` and commit the file.",
            tools_list_path().display(),
            first_difference + 1,
            checked_in.lines().nth(first_difference).unwrap_or("<end>"),
            pretty.lines().nth(first_difference).unwrap_or("<end>"),
        );
    }
}

/// Every property name in a schema, at any depth (objects, unions, array items).
fn property_names(schema: &Value, into: &mut BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                into.extend(props.keys().cloned());
            }
            map.values().for_each(|v| property_names(v, into));
        }
        Value::Array(items) => items.iter().for_each(|v| property_names(v, into)),
        _ => {}
    }
}

/// The text of `## `<tool>` …` up to the next `## ` heading.
fn section<'a>(doc: &'a str, tool: &str) -> &'a str {
    let heading = format!("## `{tool}`");
    let start = doc
        .find(&heading)
        .unwrap_or_else(|| panic!("docs/tools.md has no section `{heading}`"));
    let rest = &doc[start + heading.len()..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

#[test]
fn every_parameter_and_result_field_is_documented() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/tools.md"),
    )
    .unwrap();
    let list = checked_in_tools_list();
    let tools = list["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 5);
    let mut missing = Vec::new();
    for tool in tools {
        let name = tool["name"].as_str().unwrap();
        let own = section(&doc, name);
        let mut inputs = BTreeSet::new();
        property_names(&tool["inputSchema"], &mut inputs);
        for p in inputs.iter().filter(|p| !own.contains(&format!("`{p}`"))) {
            missing.push(format!("parameter `{p}` of {name} (in its section)"));
        }
        let mut outputs = BTreeSet::new();
        property_names(&tool["outputSchema"], &mut outputs);
        for f in outputs.iter().filter(|f| !doc.contains(&format!("`{f}`"))) {
            missing.push(format!("result field `{f}` of {name}"));
        }
        assert!(
            tool["outputSchema"].is_object(),
            "{name} has no outputSchema"
        );
    }
    assert!(missing.is_empty(), "docs/tools.md lacks: {missing:#?}");
}

#[test]
fn a_result_that_breaks_its_schema_is_caught() {
    let r = rmcp::model::CallToolResult::structured(json!({"task_id": "codex-x-y-v1"}));
    let caught = std::panic::catch_unwind(|| check_result("codex_dispatch", &r));
    assert!(caught.is_err(), "a dispatch result without `status` passed");
}
