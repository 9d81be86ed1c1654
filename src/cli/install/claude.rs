//! Claude Code keeps its own configuration; its `claude mcp add` and `claude mcp remove` are
//! the supported way in, so this drives them rather than editing Claude's files.

use std::path::{Path, PathBuf};

use super::{Entry, Registration, Scope, shell_words};
use crate::codex::probe;

/// What a project's shared `.mcp.json` runs: `codex-mcp` from each person's PATH.
const SHARED_COMMAND: &str = "codex-mcp";

/// Why a project entry names `codex-mcp` rather than this binary.
const SHARED_NOTE: &str = "note: the project scope writes the project's .mcp.json, which is \
     shared through git, so it runs `codex-mcp` from each person's PATH rather than this \
     machine's path; everyone working on the project installs it (npm install -g codex-mcp)";

/// Registers the binary with `claude mcp add`.
pub(super) fn install(
    scope: Scope,
    reg: &Registration,
    force: bool,
    dry_run: bool,
    claude: Option<PathBuf>,
) -> Result<String, String> {
    // The project's `.mcp.json` is shared through git: it names the command every person has
    // on PATH, not this machine's path.
    let shared;
    let reg = if scope == Scope::Project {
        shared = Registration {
            name: reg.name.clone(),
            command: PathBuf::from(SHARED_COMMAND),
            env: reg.env.clone(),
        };
        &shared
    } else {
        reg
    };
    let add = add_args(scope, reg);
    let Some(claude) = claude else {
        let by_hand = format!("claude {}", shell_words(&add));
        if dry_run {
            return Ok(format!("would run (claude is not on PATH here): {by_hand}"));
        }
        return Err(format!(
            "the `claude` command is not on PATH, so nothing was registered. Install Claude Code \
             (npm install -g @anthropic-ai/claude-code) and run this again, or register by hand:\n  {by_hand}"
        ));
    };
    if dry_run {
        let mut said = format!("would run: {} {}", claude.display(), shell_words(&add));
        if force {
            said.push_str(&format!(
                "\n(after `claude {}` if an entry of that name exists)",
                shell_words(&remove_args(scope, &reg.name))
            ));
        }
        return Ok(with_warning(said, reg));
    }
    let (ok, said) = run(&claude, &add);
    if ok {
        return Ok(with_warning(registered(scope, reg), reg));
    }
    if !said.contains("already exists") {
        return Err(format!("`claude mcp add` failed: {said}"));
    }
    replace(&claude, scope, reg, force, &add)
}

/// An entry of that name is there: nothing to do when it is this one, else replaced when
/// `force` says so.
fn replace(
    claude: &Path,
    scope: Scope,
    reg: &Registration,
    force: bool,
    add: &[String],
) -> Result<String, String> {
    if already_there(claude, scope, reg) {
        return Ok(format!(
            "{} is already registered with Claude Code ({} scope) as {}; nothing changed",
            reg.name,
            scope.as_str(),
            reg.command.display()
        ));
    }
    if !force {
        return Err(format!(
            "Claude Code already has an MCP server named {name} in its {scope} configuration. To \
             replace it with this one: {again} (or choose another --name)",
            name = reg.name,
            scope = scope.as_str(),
            again = super::again_with_force()
        ));
    }
    let (removed, said) = run(claude, &remove_args(scope, &reg.name));
    if !removed {
        return Err(format!("`claude mcp remove` failed: {said}"));
    }
    match run(claude, add) {
        (true, _) => Ok(with_warning(
            format!("replaced the earlier entry\n{}", registered(scope, reg)),
            reg,
        )),
        (false, said) => Err(format!(
            "the earlier entry was removed but `claude mcp add` failed: {said}"
        )),
    }
}

/// Removes the registration with `claude mcp remove`.
pub(super) fn uninstall(
    scope: Scope,
    entry: &Entry,
    claude: Option<PathBuf>,
) -> Result<String, String> {
    let remove = remove_args(scope, &entry.name);
    let Some(claude) = claude else {
        return Err(format!(
            "the `claude` command is not on PATH; remove the entry with: claude {}",
            shell_words(&remove)
        ));
    };
    if entry.dry_run {
        return Ok(format!(
            "would run: {} {}",
            claude.display(),
            shell_words(&remove)
        ));
    }
    match run(&claude, &remove) {
        (true, _) => {
            if scope == Scope::Project {
                remove_if_empty(Path::new(".mcp.json"));
            }
            Ok(format!(
                "removed {} from Claude Code ({} scope)",
                entry.name,
                scope.as_str()
            ))
        }
        (false, said) if said.contains("No MCP server") => Ok(format!(
            "Claude Code has no MCP server named {} in its {} configuration; nothing to remove",
            entry.name,
            scope.as_str()
        )),
        (false, said) => Err(format!("`claude mcp remove` failed: {said}")),
    }
}

/// Removes a settings file that holds nothing but an empty server list, as removing the last
/// entry leaves it: no `{"mcpServers": {}}` debris in the project.
pub(super) fn remove_if_empty(file: &Path) {
    let Ok(Some(text)) = super::config_file::read_text(file) else {
        return;
    };
    let empty = serde_json::from_str::<serde_json::Value>(&text)
        .is_ok_and(|v| v == serde_json::json!({"mcpServers": {}}) || v == serde_json::json!({}));
    if empty {
        let _ = std::fs::remove_file(file);
    }
}

/// Whether `claude mcp get` shows exactly this entry in this scope.
fn already_there(claude: &Path, scope: Scope, reg: &Registration) -> bool {
    let (ok, said) = run(claude, &["mcp".into(), "get".into(), reg.name.clone()]);
    ok && shows_entry(&said, scope, reg)
}

/// Reads `claude mcp get`'s account of an entry: its scope, command, arguments, environment.
fn shows_entry(said: &str, scope: Scope, reg: &Registration) -> bool {
    let field = |name: &str| {
        said.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
    };
    let scope_word = match scope {
        Scope::User => "User",
        Scope::Project => "Project",
        Scope::Local => "Local",
    };
    let env: Vec<&str> = said
        .lines()
        .skip_while(|l| l.trim() != "Environment:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let mut want: Vec<String> = reg.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    want.sort();
    let mut have: Vec<String> = env.iter().map(|s| s.to_string()).collect();
    have.sort();
    field("Scope:").is_some_and(|s| s.starts_with(scope_word))
        && field("Command:") == Some(&*reg.command.to_string_lossy())
        && field("Args:") == Some("")
        && want == have
}

fn add_args(scope: Scope, reg: &Registration) -> Vec<String> {
    let mut args: Vec<String> = ["mcp", "add", "--scope", scope.as_str(), &reg.name]
        .map(String::from)
        .to_vec();
    for (name, value) in &reg.env {
        args.push("-e".into());
        args.push(format!("{name}={value}"));
    }
    // `-e` takes several values: `--` ends them before the command.
    args.push("--".into());
    args.push(reg.command.to_string_lossy().into_owned());
    args
}

fn remove_args(scope: Scope, name: &str) -> Vec<String> {
    ["mcp", "remove", "--scope", scope.as_str(), name]
        .map(String::from)
        .to_vec()
}

fn run(claude: &Path, args: &[String]) -> (bool, String) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    probe(claude, &args, None)
}

fn registered(scope: Scope, reg: &Registration) -> String {
    let mut said = format!(
        "registered {} with Claude Code ({} scope): {}\ncheck it with: claude mcp list",
        reg.name,
        scope.as_str(),
        reg.command.display()
    );
    if let Scope::Project = scope {
        said.push_str(
            "\nthe entry is in ./.mcp.json: Claude Code asks each person to approve it once \
             (until then `claude mcp list` shows it as pending approval)",
        );
        said.push('\n');
        said.push_str(SHARED_NOTE);
    }
    said
}

fn with_warning(said: String, reg: &Registration) -> String {
    match reg.path_warning() {
        Some(w) => format!("{said}\n{w}"),
        None => said,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GET: &str = "codex:\n  Scope: User config (available in all your projects)\n  Status: ✔ Connected\n  Type: stdio\n  Command: /opt/codex-mcp\n  Args: \n  Environment:\n    A=1\n\nTo remove this server, run: claude mcp remove codex -s user\n";

    fn reg(env: &[(&str, &str)]) -> Registration {
        Registration {
            name: "codex".into(),
            command: PathBuf::from("/opt/codex-mcp"),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn an_identical_entry_is_recognised() {
        assert!(shows_entry(GET, Scope::User, &reg(&[("A", "1")])));
        assert!(!shows_entry(GET, Scope::Local, &reg(&[("A", "1")])));
        assert!(!shows_entry(GET, Scope::User, &reg(&[])));
        assert!(!shows_entry(
            &GET.replace("/opt/codex-mcp", "/bin/cat"),
            Scope::User,
            &reg(&[("A", "1")])
        ));
    }
}
