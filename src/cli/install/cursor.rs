//! Cursor reads its MCP servers from `mcp.json` (`~/.cursor/mcp.json`, or a project's
//! `.cursor/mcp.json`) and has no command to add one, so this edits the file: only the one
//! entry changes, every other key stays as it was, and a file that is not valid JSON is left
//! untouched (Cursor ignores such a file silently; overwriting it would lose the person's work).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::config_file::{read_text, write_target};
use super::{Entry, Registration};
use crate::store::write_atomic;

/// Adds (or, with `force`, replaces) the entry.
pub(super) fn install(
    project: Option<&Path>,
    reg: &Registration,
    force: bool,
    dry_run: bool,
) -> Result<String, String> {
    let file = config_file(project)?;
    let raw = read_text(&file)?;
    let mut doc = parse(&file, raw.as_deref())?.unwrap_or_default();
    let servers = servers_of(&mut doc, &file)?;
    let entry = entry_for(reg);
    let replacing = match servers.get(&reg.name) {
        Some(existing) if *existing == entry => {
            return Ok(format!(
                "{} already runs {} in {}; nothing changed",
                reg.name,
                reg.command.display(),
                file.display()
            ));
        }
        Some(existing) if !force => {
            return Err(format!(
                "{} already has a server named {}: {existing}. To replace it with this one: \
                 {} (or choose another --name)",
                file.display(),
                reg.name,
                super::again_with_force()
            ));
        }
        Some(_) => true,
        None => false,
    };
    // Only this entry's text changes; the rest of the file stays as the person wrote it.
    let entry_text = serde_json::to_string(&entry).unwrap_or_default();
    servers.insert(reg.name.clone(), entry);
    let text = raw
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        .and_then(|r| super::splice::set_entry(r, &reg.name, &entry_text))
        .unwrap_or_else(|| render(&doc));
    if dry_run {
        return Ok(format!("would write {}:\n{text}", file.display()));
    }
    write(&file, &text)?;
    let mut said = format!(
        "{} {} in {}: {}\nCursor loads it on its next start (Settings → MCP shows it)",
        if replacing { "replaced" } else { "added" },
        reg.name,
        file.display(),
        reg.command.display()
    );
    if let Some(w) = reg.path_warning() {
        said.push('\n');
        said.push_str(&w);
    }
    Ok(said)
}

/// Removes the entry, keeping the rest of the file as it was.
pub(super) fn uninstall(project: Option<&Path>, entry: &Entry) -> Result<String, String> {
    let file = config_file(project)?;
    let nothing = || {
        Ok(format!(
            "{} has no server named {}; nothing to remove",
            file.display(),
            entry.name
        ))
    };
    let raw = read_text(&file)?;
    let Some(mut doc) = parse(&file, raw.as_deref())? else {
        return nothing();
    };
    let servers = servers_of(&mut doc, &file)?;
    if servers.shift_remove(&entry.name).is_none() {
        return nothing();
    }
    let text = raw
        .as_deref()
        .and_then(|r| super::splice::remove_entry(r, &entry.name))
        .unwrap_or_else(|| render(&doc));
    if entry.dry_run {
        return Ok(format!("would write {}:\n{text}", file.display()));
    }
    write(&file, &text)?;
    super::claude::remove_if_empty(&write_target(&file)?);
    Ok(format!("removed {} from {}", entry.name, file.display()))
}

/// The entry Cursor runs: this binary, no arguments, the named environment.
fn entry_for(reg: &Registration) -> Value {
    let mut entry = json!({
        "command": reg.command.to_string_lossy(),
        "args": [],
    });
    if !reg.env.is_empty() {
        let env: Map<String, Value> = reg
            .env
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        entry["env"] = Value::Object(env);
    }
    entry
}

/// `~/.cursor/mcp.json`, or `DIR/.cursor/mcp.json`.
fn config_file(project: Option<&Path>) -> Result<PathBuf, String> {
    match project {
        Some(dir) => {
            let dir = dir.canonicalize().map_err(|e| {
                format!(
                    "--project {}: {e}; give an existing directory",
                    dir.display()
                )
            })?;
            if !dir.is_dir() {
                return Err(format!(
                    "--project {}: not a directory; give the project's folder",
                    dir.display()
                ));
            }
            Ok(dir.join(".cursor").join("mcp.json"))
        }
        None => dirs::home_dir()
            .map(|h| h.join(".cursor").join("mcp.json"))
            .ok_or_else(|| "cannot tell your home directory; set HOME, or use --project".into()),
    }
}

/// The file's JSON object; `None` when there is no file (an empty one counts as `{}`).
fn parse(file: &Path, text: Option<&str>) -> Result<Option<Map<String, Value>>, String> {
    let Some(text) = text else {
        return Ok(None);
    };
    if text.trim().is_empty() {
        return Ok(Some(Map::new()));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(doc)) => Ok(Some(doc)),
        Ok(_) => Err(format!(
            "{} does not hold a JSON object, so it was left as it is; Cursor expects \
             {{\"mcpServers\": {{…}}}}",
            file.display()
        )),
        Err(e) => Err(format!(
            "{} is not valid JSON ({e}), so it was left as it is (Cursor ignores it too); fix \
             it, or move it away and run this again",
            file.display()
        )),
    }
}

/// The `mcpServers` object, created when missing.
fn servers_of<'a>(
    doc: &'a mut Map<String, Value>,
    file: &Path,
) -> Result<&'a mut Map<String, Value>, String> {
    doc.entry("mcpServers")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or_else(|| {
            format!(
                "\"mcpServers\" in {} is not an object, so the file was left as it is; fix it \
                 (Cursor expects {{\"mcpServers\": {{\"name\": {{\"command\": …}}}}}})",
                file.display()
            )
        })
}

fn render(doc: &Map<String, Value>) -> String {
    let mut text = serde_json::to_string_pretty(doc).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}

/// Replaces the file atomically. A symlinked mcp.json (dotfiles) is written through to its
/// target, and an existing file keeps its permissions; a new one is private.
fn write(file: &Path, text: &str) -> Result<(), String> {
    let target = write_target(file)?;
    let old_mode = fs::metadata(&target).ok().map(|m| m.permissions().mode());
    if let Some(dir) = target.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    write_atomic(&target, text.as_bytes()).map_err(|e| e.to_string())?;
    if let Some(mode) = old_mode {
        let _ = fs::set_permissions(&target, fs::Permissions::from_mode(mode & 0o7777));
    }
    Ok(())
}
