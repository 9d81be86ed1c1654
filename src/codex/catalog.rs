//! Reading Codex's model catalog: one short-lived `codex app-server`, `initialize`, then
//! `model/list` with the hidden models, page by page. It costs about a tenth of a second; the
//! store keeps the answer per Codex binary, so it is asked once per installed Codex.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use super::protocol::{
    ClientRequest, Initialize, Model, ModelList, initialized_line, request_line,
};
use crate::child::with_clean_signals;
use crate::vocab::{Catalog, CatalogModel};

/// What is said of an app-server that went away before answering (its exit status follows).
const ENDED: &str = "codex app-server ended without answering";

/// The longest the catalog may take to come.
const CATALOG_TIMEOUT: Duration = Duration::from_secs(15);

/// Codex's catalog, asked of the Codex at `codex`; `Err` says why it could not be read.
pub fn read_catalog(codex: &Path) -> Result<Catalog, String> {
    let mut cmd = super::command_for(codex);
    with_clean_signals(&mut cmd)
        .arg("app-server")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", codex.display()))?;
    let (mut stdin, stdout) = match (child.stdin.take(), child.stdout.take()) {
        (Some(i), Some(o)) => (i, o),
        _ => return Err("no pipes to codex app-server".into()),
    };
    let (tx, rx) = mpsc::channel::<Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<Value>(&line)
                && tx.send(v).is_err()
            {
                break;
            }
        }
    });
    let mut result = converse(&mut stdin, &rx);
    drop(stdin);
    // A Codex that ended by itself says how; that is the fact behind "ended without answering".
    if let (Err(why), Ok(Some(status))) = (&mut result, child.try_wait()) {
        *why = format!("{why} ({status})");
    }
    let _ = child.kill();
    let _ = child.wait();
    result
}

fn converse(stdin: &mut impl Write, rx: &mpsc::Receiver<Value>) -> Result<Catalog, String> {
    send(stdin, &request_line(1, &Initialize::default()))?;
    answer(rx, 1)?;
    send(stdin, &initialized_line())?;
    let mut models = Vec::new();
    let mut cursor: Option<String> = None;
    for id in 2..50 {
        let list = ModelList {
            include_hidden: true,
            cursor: cursor.take(),
        };
        send(stdin, &request_line(id, &list))?;
        let page: <ModelList as ClientRequest>::Response = serde_json::from_value(answer(rx, id)?)
            .map_err(|e| format!("codex app-server's model/list answer could not be read: {e}"))?;
        models.extend(page.data.into_iter().map(model_of));
        cursor = page.next_cursor;
        if cursor.is_none() {
            return Ok(Catalog { models });
        }
    }
    Ok(Catalog { models })
}

fn send(stdin: &mut impl Write, line: &str) -> Result<(), String> {
    writeln!(stdin, "{line}")
        .and_then(|()| stdin.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => ENDED.to_string(),
            _ => format!("cannot write to codex app-server: {e}"),
        })
}

/// The result of request `id`.
fn answer(rx: &mpsc::Receiver<Value>, id: u64) -> Result<Value, String> {
    let until = std::time::Instant::now() + CATALOG_TIMEOUT;
    loop {
        let left = until.saturating_duration_since(std::time::Instant::now());
        let v = rx.recv_timeout(left).map_err(|e| match e {
            mpsc::RecvTimeoutError::Timeout => format!(
                "codex app-server did not answer within {} s",
                CATALOG_TIMEOUT.as_secs()
            ),
            mpsc::RecvTimeoutError::Disconnected => ENDED.to_string(),
        })?;
        if v["id"] != id {
            continue;
        }
        if let Some(e) = v.get("error") {
            return Err(e["message"].as_str().unwrap_or("an error").to_string());
        }
        return Ok(v["result"].clone());
    }
}

fn model_of(m: Model) -> CatalogModel {
    CatalogModel {
        model: m.model,
        hidden: m.hidden,
        is_default: m.is_default,
        default_effort: m.default_reasoning_effort,
        efforts: m
            .supported_reasoning_efforts
            .into_iter()
            .map(|e| e.reasoning_effort)
            .collect(),
    }
}
