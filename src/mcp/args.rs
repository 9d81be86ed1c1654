//! How a call's arguments become the argument type its tool takes (the types themselves are the
//! contract, `engine/contract/`).
//!
//! rmcp's own `Parameters<T>` answers a bad argument with a protocol error a model cannot read.
//! Here the arguments are first checked against the tool's input schema (generated from the
//! same type), so every mistake is a tool error that names the parameter and what is
//! accepted; the engine then checks meaning (paths, topics, ids) with messages of its own.

use rmcp::model::JsonObject;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::engine::EngineError;

/// Checks `args` against `schema` (the input schema of `T`), then reads them into `T`.
pub fn parse_args<T: DeserializeOwned>(
    schema: &JsonObject,
    args: Option<&JsonObject>,
) -> Result<T, EngineError> {
    let empty = JsonObject::new();
    let args = args.unwrap_or(&empty);
    let props = schema.get("properties").and_then(Value::as_object);
    let names: Vec<&str> = props
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    if let Some(unknown) = args.keys().find(|k| !names.contains(&k.as_str())) {
        return Err(EngineError::invalid(
            "arguments",
            format!(
                "unknown parameter `{unknown}`; this tool accepts: {}",
                names.join(", ")
            ),
        ));
    }
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, prop) in props.into_iter().flatten() {
        match args.get(name) {
            None | Some(Value::Null) if required.contains(&name.as_str()) => {
                return Err(EngineError::invalid(name, "it is required"));
            }
            None | Some(Value::Null) => {}
            Some(value) => check(prop, value).map_err(|m| EngineError::invalid(name, m))?,
        }
    }
    serde_json::from_value(Value::Object(args.clone()))
        .map_err(|e| EngineError::invalid("arguments", e.to_string()))
}

/// Whether `value` fits `prop` (type, allowed values, range); the error says what does.
fn check(prop: &Value, value: &Value) -> Result<(), String> {
    let types: Vec<&str> = match &prop["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|t| is_of_type(value, t)) {
        let types: Vec<&str> = types.into_iter().filter(|t| *t != "null").collect();
        let wanted: Vec<String> = types.iter().map(|t| a_type(t)).collect();
        return Err(format!(
            "expected {}, got {}",
            wanted.join(" or "),
            kind(value)
        ));
    }
    if let Some(wanted) = prop.get("const")
        && wanted != value
    {
        return Err(format!("expected {wanted}"));
    }
    if let Some(allowed) = prop["enum"].as_array()
        && !allowed.contains(value)
    {
        let shown = value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_string);
        return Err(format!(
            "`{shown}` is not accepted; use {}",
            one_of(allowed)
        ));
    }
    if let Some(alternatives) = prop["oneOf"].as_array().or(prop["anyOf"].as_array())
        && !alternatives.iter().any(|a| check(a, value).is_ok())
    {
        let forms: Vec<String> = alternatives.iter().filter_map(form).collect();
        return Err(format!(
            "{} is not accepted; use one of: {}",
            value,
            forms.join(", ")
        ));
    }
    if let Some(fields) = value.as_object() {
        check_object(prop, fields)?;
    }
    if let Some(items) = value.as_array() {
        check_array(prop, items)?;
    }
    if let Some(n) = value.as_f64() {
        check_range(prop, n)?;
    }
    Ok(())
}

/// A number is within its schema's minimum and maximum.
fn check_range(prop: &Value, n: f64) -> Result<(), String> {
    let (min, max) = (prop["minimum"].as_f64(), prop["maximum"].as_f64());
    if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
        let range = match (min, max) {
            (Some(lo), Some(hi)) => format!("{lo} to {hi}"),
            (Some(lo), None) => format!("{lo} or more"),
            (None, Some(hi)) => format!("at most {hi}"),
            (None, None) => String::new(),
        };
        return Err(format!("{n} is out of range; accepted: {range}"));
    }
    Ok(())
}

/// An object's required keys are there, and no key its schema does not allow.
fn check_object(prop: &Value, fields: &serde_json::Map<String, Value>) -> Result<(), String> {
    let known = prop["properties"].as_object();
    for key in prop["required"].as_array().into_iter().flatten() {
        if let Some(k) = key.as_str()
            && !fields.contains_key(k)
        {
            return Err(format!("`{k}` is required in it"));
        }
    }
    if prop["additionalProperties"] == Value::Bool(false)
        && let Some(unknown) = fields
            .keys()
            .find(|k| !known.is_some_and(|p| p.contains_key(*k)))
    {
        return Err(format!("`{unknown}` is not accepted in it"));
    }
    for (key, value) in fields {
        if let Some(p) = known.and_then(|p| p.get(key)) {
            check(p, value).map_err(|m| format!("`{key}`: {m}"))?;
        }
    }
    Ok(())
}

/// One accepted form of a value, as a person writes it: `"uncommitted"`, `{"base": …}`.
fn form(alternative: &Value) -> Option<String> {
    if let Some(inner) = alternative["oneOf"]
        .as_array()
        .or(alternative["anyOf"].as_array())
    {
        let forms: Vec<String> = inner.iter().filter_map(form).collect();
        return (!forms.is_empty()).then(|| forms.join(", "));
    }
    if let Some(value) = alternative.get("const") {
        return Some(value.to_string());
    }
    if let Some(values) = alternative["enum"].as_array() {
        return Some(one_of(values));
    }
    let keys: Vec<String> = alternative["properties"]
        .as_object()?
        .keys()
        .map(|k| format!("{{\"{k}\": …}}"))
        .collect();
    Some(keys.join(", "))
}

fn check_array(prop: &Value, items: &[Value]) -> Result<(), String> {
    let (min, max) = (prop["minItems"].as_u64(), prop["maxItems"].as_u64());
    let n = items.len() as u64;
    if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
        return Err(format!(
            "it has {n} items; accepted: {} to {}",
            min.unwrap_or(0),
            max.map_or("any number".into(), |m| m.to_string())
        ));
    }
    for (i, item) in items.iter().enumerate() {
        check(&prop["items"], item).map_err(|m| format!("item {}: {m}", i + 1))?;
    }
    Ok(())
}

fn is_of_type(v: &Value, t: &str) -> bool {
    match t {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "null" => v.is_null(),
        _ => true,
    }
}

fn a_type(t: &str) -> String {
    match t {
        "string" => "a string".into(),
        "integer" => "a whole number".into(),
        "number" => "a number".into(),
        "boolean" => "true or false".into(),
        "array" => "an array".into(),
        "object" => "an object".into(),
        other => other.into(),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a fractional number",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// "`a` or `b`", or "one of `a`, `b`, `c`".
fn one_of(allowed: &[Value]) -> String {
    // `null` means "absent" for an optional parameter: it is not a value to offer.
    let names: Vec<String> = allowed
        .iter()
        .filter(|v| !v.is_null())
        .map(|v| {
            format!(
                "`{}`",
                v.as_str().map_or_else(|| v.to_string(), str::to_string)
            )
        })
        .collect();
    match names.as_slice() {
        [a, b] => format!("{a} or {b}"),
        _ => format!("one of {}", names.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::StatusArgs;
    use crate::mcp::schema::input_schema;
    use serde_json::json;

    fn parse(args: Value) -> Result<StatusArgs, String> {
        let schema = input_schema::<StatusArgs>();
        parse_args::<StatusArgs>(&schema, args.as_object()).map_err(|e| e.to_string())
    }

    #[test]
    fn every_mistake_names_the_parameter_and_what_is_accepted() {
        assert!(parse(json!({})).is_ok());
        assert_eq!(parse(json!({"limit": 7})).unwrap().limit, Some(7));
        let cases = [
            (
                json!({"limit": 0}),
                "invalid `limit`: 0 is out of range; accepted: 1 to 200",
            ),
            (
                json!({"limit": "5"}),
                "invalid `limit`: expected a whole number, got a string",
            ),
            (
                json!({"limit": 1.5}),
                "invalid `limit`: expected a whole number, got a fractional number",
            ),
            (
                json!({"task_id": 3}),
                "invalid `task_id`: expected a string, got a number",
            ),
            (
                json!({"verbose": true}),
                "invalid `arguments`: unknown parameter `verbose`; this tool accepts: task_id, task_ids, wait_seconds, wait_for, result_offset, limit",
            ),
        ];
        for (args, expected) in cases {
            assert_eq!(parse(args).unwrap_err(), expected);
        }
    }

    #[test]
    fn required_parameters_and_enums() {
        let schema = input_schema::<crate::engine::TaskRequest>();
        let err = |args: Value| {
            parse_args::<crate::engine::TaskRequest>(&schema, args.as_object())
                .unwrap_err()
                .to_string()
        };
        let good =
            json!({"prompt": "p", "cwd": "/", "topic": "review-x-v1", "sandbox": "read-only"});
        let mut no_prompt = good.clone();
        no_prompt["prompt"] = Value::Null;
        assert_eq!(err(no_prompt), "invalid `prompt`: it is required");
        let mut bad_sandbox = good.clone();
        bad_sandbox["sandbox"] = json!("workspace-write");
        assert_eq!(
            err(bad_sandbox),
            "invalid `sandbox`: `workspace-write` is not accepted; use `read-only` or `full-access`"
        );
        assert!(parse_args::<crate::engine::TaskRequest>(&schema, good.as_object()).is_ok());
    }
}
