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
    assert_eq!(tools.len(), 7);
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

/// Every `enum` in a schema, with the description of the property that holds it (directly, or
/// through a `$ref` to a shared definition, or as the items of an array).
fn enums_with_descriptions(schema: &Value, out: &mut Vec<(Vec<String>, String)>) {
    let defs = schema.get("$defs").cloned().unwrap_or(Value::Null);
    fn resolve<'a>(v: &'a Value, defs: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => &defs[r.trim_start_matches("#/$defs/")],
            None => v,
        }
    }
    fn walk(v: &Value, defs: &Value, described: &str, out: &mut Vec<(Vec<String>, String)>) {
        let Value::Object(map) = v else {
            if let Value::Array(items) = v {
                items.iter().for_each(|i| walk(i, defs, described, out));
            }
            return;
        };
        let here = map
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or(described);
        let target = resolve(v, defs);
        if let Some(values) = target.get("enum").and_then(Value::as_array) {
            let names = values
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect();
            out.push((names, here.to_string()));
        }
        for (k, child) in map {
            if k == "$defs" || k == "description" {
                continue;
            }
            let pass = if k == "properties" { "" } else { here };
            walk(child, defs, pass, out);
        }
        if !std::ptr::eq(target, v) {
            walk(target, defs, here, out);
        }
    }
    walk(schema, &defs, "", out);
}

#[test]
fn every_enum_value_is_documented_and_no_description_lists_some_of_them() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/tools.md"),
    )
    .unwrap();
    let list = checked_in_tools_list();
    let mut wrong = Vec::new();
    for tool in list["tools"].as_array().unwrap() {
        let name = tool["name"].as_str().unwrap();
        for schema in [&tool["inputSchema"], &tool["outputSchema"]] {
            let mut found = Vec::new();
            enums_with_descriptions(schema, &mut found);
            for (values, description) in found {
                for v in values.iter().filter(|v| !doc.contains(&format!("`{v}`"))) {
                    wrong.push(format!("{name}: value `{v}` is not in docs/tools.md"));
                }
                // A description that names values names all of them: a partial list lies.
                let named: Vec<&String> = values
                    .iter()
                    .filter(|v| description.contains(&format!("`{v}`")))
                    .collect();
                if named.len() > 1 && named.len() < values.len() {
                    let left: Vec<&String> = values.iter().filter(|v| !named.contains(v)).collect();
                    wrong.push(format!(
                        "{name}: a description names some of {values:?} but not {left:?}: {description}"
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_tools_list_stays_small() {
    let list = checked_in_tools_list();
    let size = serde_json::to_string(&list).unwrap().len();
    // Claude Code loads a tool's schema into its model's context; every tool's whole list,
    // without spaces, stays within 60,000 characters (docs/tools.md says the figure).
    assert!(size <= 60_000, "tools/list is {size} characters");
}
