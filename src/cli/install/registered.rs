//! Where Claude Code and Cursor have codex-mcp registered, read from their files, so that
//! `doctor` can say whether each registration still starts this server. A stale path fails
//! silently in the clients: the tools just are not there.

use std::path::Path;

use serde_json::Value;

/// The two clients `install` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "lowercase")]
pub(in crate::cli) enum Client {
    Claude,
    Cursor,
}

impl Client {
    pub(in crate::cli) fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One entry that runs codex-mcp.
#[derive(Debug, Clone)]
pub(in crate::cli) struct Registered {
    pub client: Client,
    /// The file it is in (with the scope, for Claude Code's own file).
    pub place: String,
    pub name: String,
    pub command: String,
    /// True when the entry starts it through npx.
    pub via_npx: bool,
    /// A project's shared `.mcp.json`: it runs `codex-mcp` from each person's PATH on purpose.
    pub shared: bool,
    /// The environment the entry gives the server (`install -e`).
    pub env: Vec<(String, String)>,
    /// The command that registers this binary in its place instead, with the entry's settings.
    pub reinstall: String,
}

/// Every entry that runs codex-mcp in the files Claude Code and Cursor read for `home` and the
/// project `here`.
pub(in crate::cli) fn registrations(home: &Path, here: &Path) -> Vec<Registered> {
    let mut found = Vec::new();
    let claude = home.join(".claude.json");
    if let Some(doc) = read(&claude) {
        let shown = claude.display();
        let user = Place {
            client: Client::Claude,
            shown: format!("{shown} (user scope)"),
            flags: String::new(),
        };
        collect(&doc["mcpServers"], &user, &mut found);
        let local = Place {
            client: Client::Claude,
            shown: format!("{shown} (local scope)"),
            flags: " --scope local".into(),
        };
        let project = &doc["projects"][here.to_string_lossy().as_ref()]["mcpServers"];
        collect(project, &local, &mut found);
    }
    let files = [
        (
            Client::Claude,
            here.join(".mcp.json"),
            " --scope project".to_string(),
        ),
        (Client::Cursor, home.join(".cursor/mcp.json"), String::new()),
        (
            Client::Cursor,
            here.join(".cursor/mcp.json"),
            format!(" --project {}", here.display()),
        ),
    ];
    for (client, file, flags) in files {
        if let Some(doc) = read(&file) {
            let place = Place {
                client,
                shown: file.display().to_string(),
                flags,
            };
            collect(&doc["mcpServers"], &place, &mut found);
        }
    }
    found
}

/// A client's file (and scope), and the `install` flags that reach it.
struct Place {
    client: Client,
    shown: String,
    flags: String,
}

fn read(file: &Path) -> Option<Value> {
    serde_json::from_str(&super::config_file::read_text(file).ok()??).ok()
}

fn collect(servers: &Value, place: &Place, found: &mut Vec<Registered>) {
    let Some(servers) = servers.as_object() else {
        return;
    };
    for (name, entry) in servers {
        let command = entry["command"].as_str().unwrap_or_default();
        let args: Vec<&str> = entry["args"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let via_npx = Path::new(command).file_name().is_some_and(|f| f == "npx")
            && args
                .iter()
                .any(|a| *a == "codex-mcp" || a.starts_with("codex-mcp@"));
        let ours = Path::new(command)
            .file_name()
            .is_some_and(|f| f == "codex-mcp");
        if ours || via_npx {
            let named = if name == "codex" {
                String::new()
            } else {
                format!(" --name {name}")
            };
            let env: Vec<(String, String)> = entry["env"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            found.push(Registered {
                client: place.client,
                place: place.shown.clone(),
                name: name.clone(),
                command: command.to_string(),
                via_npx,
                shared: place.flags == " --scope project",
                reinstall: format!(
                    "codex-mcp install {}{}{named}{} --force",
                    place.client.as_str(),
                    place.flags,
                    env_flags(&env)
                ),
                env,
            });
        }
    }
}

/// The entry's settings as `install -e` flags, so reinstalling keeps them: a setting of
/// codex-mcp's own with its value; anything else (an API key) by name only, which passes on the
/// value of the shell it is run from, so no secret is printed.
fn env_flags(env: &[(String, String)]) -> String {
    env.iter()
        .map(|(k, v)| match k.starts_with("CODEXMCP_") {
            true => format!(" -e {k}={v}"),
            false => format!(" -e {k}"),
        })
        .collect()
}
