//! JSON schemas of the tools, generated from the argument and result types.
//!
//! Subschemas are inlined (no `$defs`/`$ref`) and no `$schema` is declared: some clients resolve
//! neither, and a schema a client cannot compile makes it drop the tool. Formats that are not
//! JSON Schema's own (schemars' `uint64`, `double`…) are left out for the same reason; ranges
//! say what they meant.

use std::sync::Arc;

use rmcp::model::JsonObject;
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

/// Formats JSON Schema defines that the tools use.
const STANDARD_FORMATS: &[&str] = &["uuid", "date-time", "uri", "email"];

/// The schema of what a tool accepts: `T`'s deserialize contract.
pub fn input_schema<T: JsonSchema>() -> Arc<JsonObject> {
    schema_of::<T>(false)
}

/// The schema of what a tool returns: `T`'s serialize contract (a field skipped when empty is
/// not required).
pub fn output_schema<T: JsonSchema>() -> Arc<JsonObject> {
    schema_of::<T>(true)
}

fn schema_of<T: JsonSchema>(for_output: bool) -> Arc<JsonObject> {
    let mut settings = SchemaSettings::draft2020_12();
    // A tool's input is what a calling model reads: whole, without references. A result's
    // shape is for validation: a type used in several places (a task in a batch and in the
    // list) is defined once in `$defs`.
    settings.inline_subschemas = !for_output;
    settings.meta_schema = None;
    if for_output {
        settings = settings.for_serialize();
    }
    let schema = settings.into_generator().into_root_schema_for::<T>();
    let mut value = schema.to_value();
    tidy(&mut value);
    let Value::Object(mut object) = value else {
        return Arc::new(JsonObject::new());
    };
    // The root's title and description are the Rust type's name and doc: noise to a model.
    object.remove("title");
    object.remove("description");
    prune_defs(&mut object);
    // So are a shared type's own: the fields that hold it say what they hold.
    if let Some(Value::Object(defs)) = object.get_mut("$defs") {
        for def in defs.values_mut().filter_map(Value::as_object_mut) {
            def.remove("description");
        }
    }
    // A union of object shapes (`anyOf`) is still an object, and clients expect to read that
    // at the root.
    if !object.contains_key("type") && object.contains_key("anyOf") {
        object.insert("type".into(), Value::from("object"));
    }
    Arc::new(object)
}

/// Drops non-standard formats, joins the lines of descriptions (they come from doc comments
/// wrapped at 100 columns; a blank line still separates paragraphs), and writes an enum of
/// documented values as a plain `enum` (the field that holds it says what each means).
fn tidy(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(values) = map.get("oneOf").and_then(plain_values) {
                map.remove("oneOf");
                map.insert("type".into(), Value::from("string"));
                map.insert("enum".into(), Value::Array(values));
            }
            if map
                .get("format")
                .and_then(Value::as_str)
                .is_some_and(|f| !STANDARD_FORMATS.contains(&f))
            {
                map.remove("format");
            }
            if let Some(Value::String(d)) = map.get_mut("description") {
                *d = unwrap_lines(d);
            }
            map.values_mut().for_each(tidy);
        }
        Value::Array(items) => items.iter_mut().for_each(tidy),
        _ => {}
    }
}

/// Drops the `$defs` nothing refers to any more (a schema trimmed to fewer fields).
fn prune_defs(object: &mut JsonObject) {
    loop {
        let Some(Value::Object(defs)) = object.get("$defs") else {
            return;
        };
        let text = Value::Object(object.clone()).to_string();
        let unused: Vec<String> = defs
            .keys()
            .filter(|name| !text.contains(&format!("\"#/$defs/{name}\"")))
            .cloned()
            .collect();
        if unused.is_empty() {
            return;
        }
        if let Some(Value::Object(defs)) = object.get_mut("$defs") {
            defs.retain(|k, _| !unused.contains(k));
            if defs.is_empty() {
                object.remove("$defs");
            }
        }
    }
}

/// The values of a `oneOf` whose every branch is one string (`const` or a one-value `enum`).
fn plain_values(one_of: &Value) -> Option<Vec<Value>> {
    one_of
        .as_array()?
        .iter()
        .map(|branch| {
            let one = branch.get("const").cloned().or_else(|| {
                let e = branch.get("enum")?.as_array()?;
                (e.len() == 1).then(|| e[0].clone())
            })?;
            one.is_string().then_some(one)
        })
        .collect()
}

fn unwrap_lines(text: &str) -> String {
    text.split("\n\n")
        .map(|para| {
            para.split('\n')
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}
