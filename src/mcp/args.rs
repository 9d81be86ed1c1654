//! Reading tool arguments by hand, so every mistake becomes a tool error that names the
//! parameter and what is accepted (rmcp's typed parsing would answer with an opaque
//! protocol error instead).

use serde_json::{Map, Value};

use crate::engine::EngineError;

pub struct Args<'a> {
    map: &'a Map<String, Value>,
}

impl<'a> Args<'a> {
    /// Rejects any key outside `allowed`.
    pub fn new(
        map: Option<&'a Map<String, Value>>,
        allowed: &[&str],
    ) -> Result<Args<'a>, EngineError> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let map = map.unwrap_or_else(|| EMPTY.get_or_init(Map::new));
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(EngineError::InvalidArgument {
                param: "arguments",
                message: format!(
                    "unknown parameter `{unknown}`; this tool accepts: {}",
                    allowed.join(", ")
                ),
            });
        }
        Ok(Args { map })
    }

    pub fn required_str(&self, name: &'static str) -> Result<&'a str, EngineError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Err(EngineError::invalid(name, "it is required")),
            Some(v) => str_value(name, v),
        }
    }

    pub fn optional_str(&self, name: &'static str) -> Result<Option<&'a str>, EngineError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => str_value(name, v).map(Some),
        }
    }

    pub fn optional_u64(&self, name: &'static str) -> Result<Option<u64>, EngineError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                EngineError::invalid(name, format!("expected a positive whole number, got {v}"))
            }),
        }
    }
}

fn str_value<'a>(name: &'static str, v: &'a Value) -> Result<&'a str, EngineError> {
    v.as_str()
        .ok_or_else(|| EngineError::invalid(name, format!("expected a string, got {}", kind(v))))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
