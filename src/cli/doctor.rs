//! `codex-mcp doctor`: checks what tasks need and says, one line each, what is wrong and how to
//! fix it — offline, without calling a model. `--smoke` goes further: one read-only and one
//! full-access task through the real Codex CLI against the scripted model built into this
//! binary, in a temporary repository and store, cleaned up after.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use super::install::{Client, Registered, registrations};
use crate::codex::locate_codex;
use crate::codex::probe;
use crate::config::{Config, is_executable};
use crate::text::shorten;

/// The Codex CLI versions this build's tests ran against, oldest first.
const TESTED_CODEX: [&str; 2] = ["0.169.0", "0.171.0"];

/// `0.171.0` as numbers, to tell whether a version is within the tested range.
fn version_of(text: &str) -> Option<(u32, u32, u32)> {
    let v = text.split_whitespace().last()?;
    let mut n = v
        .split('.')
        .map(|p| p.trim_start_matches('v').parse::<u32>().ok());
    Some((n.next()??, n.next()??, n.next()??))
}

/// `codex-mcp doctor`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  codex-mcp doctor\n  codex-mcp doctor --smoke\n  codex-mcp doctor --json\n\nExit status: 0 when everything a task needs works, 1 when something is broken."
)]
pub struct DoctorArgs {
    /// Print the checks as JSON
    #[arg(long)]
    json: bool,
    /// Also run one read-only and one full-access task against a scripted model (offline)
    #[arg(long)]
    smoke: bool,
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Verdict {
    Ok,
    /// Works, with something worth knowing.
    Note,
    /// Something a task needs is broken.
    Fail,
}

/// One line of the report.
#[derive(Debug, Clone, Serialize)]
struct Check {
    check: &'static str,
    status: Verdict,
    detail: String,
    /// What to do, when something is to be done.
    #[serde(skip_serializing_if = "String::is_empty")]
    fix: String,
}

impl Check {
    fn new(check: &'static str, status: Verdict, detail: impl Into<String>) -> Check {
        Check {
            check,
            status,
            detail: detail.into(),
            fix: String::new(),
        }
    }

    fn fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = fix.into();
        self
    }
}

/// Runs the checks (and the smoke test), prints them, and says whether all is well.
pub fn doctor(args: &DoctorArgs, config: &Config) -> ExitCode {
    let mut checks = Vec::new();
    let codex = check_codex(config, &mut checks);
    checks.extend(check_codex_home());
    checks.push(check_login(config, codex.as_deref()));
    checks.push(check_program(
        config,
        "git",
        &["--version"],
        "needed to work in repositories",
        "install git",
    ));
    checks.push(check_program(
        config,
        "tmux",
        &["-V"],
        "needed for full-access tasks",
        "install tmux (apt install tmux, brew install tmux)",
    ));
    checks.push(check_store(config));
    checks.push(check_settings(config));
    checks.extend(check_links_here());
    let engine = super::engine_check::engine_finding(config, codex.as_deref());
    let verdict = if engine.ok {
        Verdict::Ok
    } else {
        Verdict::Fail
    };
    let found = Check::new("engine", verdict, engine.detail);
    checks.push(match engine.fix {
        Some(fix) => found.fix(fix),
        None => found,
    });
    if let Some(codex) = &codex {
        checks.push(check_models(config, codex));
        checks.push(check_sandbox(config, codex));
    }
    checks.extend(check_clients(config));
    let broken = checks.iter().any(|c| c.status == Verdict::Fail);
    if !args.json {
        for c in &checks {
            print_check(c);
        }
    }
    // The smoke test needs no login (its model is built in), only a Codex that starts.
    let smoke = match (args.smoke, &codex) {
        (false, _) => None,
        (true, Some(_)) => Some(super::smoke::smoke(config, !args.json)),
        (true, None) => {
            if !args.json {
                println!("\nthe smoke test needs a Codex CLI that starts (see above)");
            }
            Some(super::smoke::SmokeReport {
                passed: false,
                steps: Vec::new(),
            })
        }
    };
    let smoke_ok = smoke.as_ref().is_none_or(|s| s.passed);
    if args.json {
        // One document: the checks, and the smoke test's steps when it ran.
        match &smoke {
            None => super::print_json(&checks),
            Some(smoke) => super::print_json(&serde_json::json!({
                "checks": checks,
                "smoke": smoke,
            })),
        }
    }
    if broken || !smoke_ok {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn print_check(c: &Check) {
    let mark = match c.status {
        Verdict::Ok => "✔",
        Verdict::Note => "!",
        Verdict::Fail => "✘",
    };
    let fix = if c.fix.is_empty() {
        String::new()
    } else {
        format!(" — {}", c.fix)
    };
    println!("{mark} {:<9} {}{fix}", c.check, c.detail);
}

/// A CODEX_HOME that names no folder stops Codex at every start: said as such, with what to do.
fn check_codex_home() -> Option<Check> {
    let home = std::env::var_os("CODEX_HOME").filter(|v| !v.is_empty())?;
    let path = PathBuf::from(home);
    if path.is_dir() {
        return Some(Check::new(
            "codex_home",
            Verdict::Ok,
            format!("CODEX_HOME={}", path.display()),
        ));
    }
    Some(
        Check::new(
            "codex_home",
            Verdict::Fail,
            format!(
                "CODEX_HOME points to {}, which does not exist: Codex refuses to start",
                path.display()
            ),
        )
        .fix(format!(
            "create it (mkdir -p {} && codex login), or unset CODEX_HOME so Codex uses ~/.codex",
            path.display()
        )),
    )
}

fn check_codex(config: &Config, checks: &mut Vec<Check>) -> Option<PathBuf> {
    let codex = match locate_codex(config) {
        Ok(p) => p,
        Err(e) => {
            // The error's own text says how to install Codex: the fix says it once, not twice.
            let detail = match &e {
                crate::codex::CodexError::NotFound { detail } => format!("not found: {detail}"),
                other => other.to_string(),
            };
            checks.push(
                Check::new("codex", Verdict::Fail, detail)
                    .fix("npm install -g @openai/codex, or set CODEXMCP_CODEX_BIN to its path"),
            );
            return None;
        }
    };
    let (ok, said) = probe(&codex, &["--version"], None);
    let line = said.lines().last().unwrap_or_default().to_string();
    let check = if !ok {
        Check::new(
            "codex",
            Verdict::Fail,
            format!(
                "{} does not start: {}",
                codex.display(),
                shorten(&said, 200)
            ),
        )
        .fix("reinstall it: npm install -g @openai/codex")
    } else if !within_tested(&line) {
        Check::new(
            "codex",
            Verdict::Note,
            format!(
                "{} ({line}), outside the versions this build was tested with ({} to {})",
                codex.display(),
                TESTED_CODEX[0],
                TESTED_CODEX[1]
            ),
        )
        .fix(format!(
            "install a tested one (npm install -g @openai/codex@{}), or expect a change in Codex \
             to show",
            TESTED_CODEX[1]
        ))
    } else {
        Check::new(
            "codex",
            Verdict::Ok,
            format!(
                "{} ({line}; this build was tested with {} and {})",
                codex.display(),
                TESTED_CODEX[0],
                TESTED_CODEX[1]
            ),
        )
    };
    let works = check.status != Verdict::Fail;
    checks.push(check);
    works.then_some(codex)
}

/// Whether the version `line` names is within the tested ones.
fn within_tested(line: &str) -> bool {
    let (Some(v), Some(lo), Some(hi)) = (
        version_of(line),
        version_of(TESTED_CODEX[0]),
        version_of(TESTED_CODEX[1]),
    ) else {
        return false;
    };
    (lo..=hi).contains(&v)
}

/// Codex's default model and its efforts, as its catalog says; what a task's `model` and
/// `reasoning_effort` are held to.
fn check_models(config: &Config, codex: &Path) -> Check {
    let settings = config
        .codex_home
        .as_deref()
        .map(|h| crate::codex::CodexSettings::read(h, None))
        .unwrap_or_default();
    let picked = match (&settings.model, settings.uses_openai()) {
        (Some(m), true) => format!("; Codex's config.toml picks `{m}`"),
        (Some(m), false) => format!(
            "; Codex's config.toml picks `{m}` of its own provider `{}` (not in the catalog: \
             models are not checked)",
            settings.provider.as_deref().unwrap_or_default()
        ),
        (None, _) => String::new(),
    };
    match crate::codex::read_catalog(codex) {
        Ok(catalog) => {
            let default = catalog.default_model().map_or_else(
                || "no default model".to_string(),
                |m| {
                    format!(
                        "default model `{}` (efforts {})",
                        m.model,
                        m.efforts.join(", ")
                    )
                },
            );
            Check::new(
                "models",
                Verdict::Ok,
                format!(
                    "{default}; {} models offered, {} hidden{picked}",
                    catalog.offered().len(),
                    catalog.models.len() - catalog.offered().len()
                ),
            )
        }
        Err(e) => Check::new(
            "models",
            Verdict::Note,
            format!(
                "Codex's model catalog could not be read ({}): a task's effort is held to the \
                 built-in list ({}){picked}",
                shorten(&e, 120),
                crate::codex::builtin_efforts()
            ),
        ),
    }
}

fn check_login(config: &Config, codex: Option<&Path>) -> Check {
    if let Some(codex) = codex {
        let (ok, said) = probe(codex, &["login", "status"], None);
        if ok {
            return Check::new("login", Verdict::Ok, shorten(&said, 120));
        }
    }
    if let Some(var) = config.api_key_var {
        return Check::new("login", Verdict::Ok, format!("API key in {var}"));
    }
    // A provider of the user's own (a local model, a gateway) needs no OpenAI login.
    let provider = config
        .codex_home
        .as_ref()
        .and_then(|h| std::fs::read_to_string(h.join("config.toml")).ok())
        .and_then(|text| {
            text.lines()
                .map(str::trim)
                .find(|l| l.starts_with("model_provider") && l.contains('='))
                .and_then(|l| l.split('=').nth(1))
                .map(|v| v.trim().trim_matches('"').to_string())
        })
        .filter(|p| p != "openai");
    match provider {
        Some(p) => Check::new(
            "login",
            Verdict::Note,
            format!("not logged in to OpenAI; Codex uses the provider `{p}` from its config.toml"),
        ),
        // Without a Codex that starts, whether it is logged in cannot be told.
        None if codex.is_none() => Check::new(
            "login",
            Verdict::Note,
            "not checked: Codex must start first (see above); then log in with `codex login`",
        ),
        None => Check::new(
            "login",
            Verdict::Fail,
            "Codex is not logged in and no API key is set",
        )
        .fix("run `codex login`, or give the server OPENAI_API_KEY"),
    }
}

/// Tasks started here link their logs in `./.codex-tasks/`; in a git repository that folder is
/// excluded through `.git/info/exclude`, elsewhere nothing can exclude it.
fn check_links_here() -> Option<Check> {
    let here = std::env::current_dir().ok()?;
    if git2::Repository::discover(&here).is_ok() {
        return None;
    }
    Some(
        Check::new(
            "links",
            Verdict::Note,
            format!(
                "{} is not a git repository: tasks started here link their logs in \
                 ./.codex-tasks/, which nothing excludes",
                here.display()
            ),
        )
        .fix("ignore .codex-tasks/ in whatever tracks this folder (a backup, another VCS)"),
    )
}

/// Every `CODEXMCP_` variable: a value that cannot be used is a failure, with what applies.
/// The settings, checked as a task's start checks them: what every task would be refused for
/// is said here first.
fn check_settings(config: &Config) -> Check {
    let problems = match crate::engine::Engine::from_config(config.clone()) {
        Ok(engine) => engine.blocking_settings_problems(),
        Err(_) => config.problems.clone(),
    };
    if problems.is_empty() {
        return Check::new(
            "settings",
            Verdict::Ok,
            "every CODEXMCP_ variable set is usable",
        );
    }
    Check::new("settings", Verdict::Fail, problems.join("; "))
        .fix("correct or unset them where the MCP client starts codex-mcp")
}

fn check_program(
    config: &Config,
    name: &'static str,
    args: &[&str],
    why: &str,
    fix: &str,
) -> Check {
    let Some(path) = config.find_on_path(name) else {
        return Check::new(name, Verdict::Fail, format!("not found on PATH ({why})")).fix(fix);
    };
    let (ok, said) = probe(&path, args, None);
    if ok {
        Check::new(
            name,
            Verdict::Ok,
            format!(
                "{} ({})",
                path.display(),
                said.lines().next().unwrap_or_default()
            ),
        )
    } else {
        Check::new(
            name,
            Verdict::Fail,
            format!("{} does not start ({why})", path.display()),
        )
        .fix(fix)
    }
}

fn check_store(config: &Config) -> Check {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let Some(home) = config.store_home.clone() else {
        return Check::new("store", Verdict::Fail, "no home directory to keep tasks in")
            .fix("set CODEXMCP_HOME");
    };
    let Ok(md) = std::fs::symlink_metadata(&home) else {
        let parent_ok = home.parent().is_some_and(|p| p.is_dir());
        return if parent_ok {
            Check::new(
                "store",
                Verdict::Ok,
                format!("{} (made by the first task)", home.display()),
            )
        } else {
            Check::new(
                "store",
                Verdict::Fail,
                format!("{} cannot be made: its parent is missing", home.display()),
            )
            .fix("set CODEXMCP_HOME to a folder of yours")
        };
    };
    let me = nix::unistd::geteuid().as_raw();
    if md.uid() != me || md.file_type().is_symlink() {
        return Check::new(
            "store",
            Verdict::Fail,
            format!("{} is not a folder of yours", home.display()),
        )
        .fix("set CODEXMCP_HOME to a folder of yours");
    }
    let probe_file = home.join(format!(".doctor-{}", std::process::id()));
    if std::fs::write(&probe_file, b"").is_err() {
        return Check::new(
            "store",
            Verdict::Fail,
            format!("{} is not writable", home.display()),
        )
        .fix("check the folder's permissions and disk");
    }
    let _ = std::fs::remove_file(&probe_file);
    let loose = md.permissions().mode() & 0o077 != 0;
    let free = crate::store::free_bytes(&home).unwrap_or(u64::MAX);
    let detail = format!("{} ({} MB free)", home.display(), free / 1_000_000);
    if free < 100_000_000 {
        Check::new("store", Verdict::Note, detail).fix("less than 100 MB free: logs may not fit")
    } else if loose {
        Check::new("store", Verdict::Note, detail).fix(format!("chmod 700 {}", home.display()))
    } else {
        Check::new("store", Verdict::Ok, detail)
    }
}

fn check_sandbox(config: &Config, codex: &Path) -> Check {
    let (ok, said) = match crate::codex::sandbox_starts(codex) {
        Ok(()) => (true, String::new()),
        Err(said) => (false, said),
    };
    match (ok, config.readonly_fallback) {
        (true, _) => Check::new("sandbox", Verdict::Ok, "Codex's read-only sandbox starts"),
        (false, true) => Check::new(
            "sandbox",
            Verdict::Note,
            format!("Codex's read-only sandbox cannot start ({}); CODEXMCP_READONLY_FALLBACK is on, so read-only tasks run audited", shorten(&said, 120)),
        ),
        (false, false) => Check::new(
            "sandbox",
            Verdict::Fail,
            format!("Codex's read-only sandbox cannot start here ({})", shorten(&said, 160)),
        )
        .fix("common in containers: set CODEXMCP_READONLY_FALLBACK=1 (read-only tasks then run with an audit), or allow user namespaces (Ubuntu: sysctl kernel.apparmor_restrict_unprivileged_userns=0)"),
    }
}

/// Which MCP clients have codex-mcp registered, and whether each entry still starts it.
fn check_clients(config: &Config) -> Vec<Check> {
    let home = dirs::home_dir().unwrap_or_default();
    let here = std::env::current_dir().unwrap_or_default();
    let exe = std::env::current_exe().unwrap_or_default();
    let found = registrations(&home, &here);
    let mut checks = Vec::new();
    for client in [Client::Claude, Client::Cursor] {
        let mut mine = found.iter().filter(|r| r.client == client).peekable();
        if mine.peek().is_none() {
            checks.push(
                Check::new(
                    client.as_str(),
                    Verdict::Note,
                    "codex-mcp is not registered",
                )
                .fix(format!("codex-mcp install {}", client.as_str())),
            );
        }
        checks.extend(mine.map(|r| check_registration(r, config)));
    }
    checks.push(Check::new(
        "program",
        if is_executable(&exe) {
            Verdict::Ok
        } else {
            Verdict::Note
        },
        exe.display().to_string(),
    ));
    checks
}

/// Whether the client can start what the entry names.
fn check_registration(r: &Registered, config: &Config) -> Check {
    let check = r.client.as_str();
    let at = format!("{} in {}", r.name, r.place);
    if r.via_npx {
        return Check::new(
            check,
            Verdict::Note,
            format!(
                "{at} starts codex-mcp through npx, whose start-up can miss the client's handshake"
            ),
        )
        .fix(r.reinstall.clone());
    }
    let command = Path::new(&r.command);
    if command.is_absolute() {
        return if is_executable(command) {
            Check::new(
                check,
                Verdict::Ok,
                format!("registered: {at} → {}", r.command),
            )
        } else {
            Check::new(
                check,
                Verdict::Fail,
                format!(
                    "{at} runs {}, which is not there: the client cannot start it",
                    r.command
                ),
            )
            .fix(r.reinstall.clone())
        };
    }
    match config.find_on_path(&r.command) {
        Some(found) => Check::new(
            check,
            Verdict::Note,
            format!(
                "{at} runs `{}` from PATH ({}); a client started from the desktop may not have \
                 your shell's PATH",
                r.command,
                found.display()
            ),
        )
        .fix(r.reinstall.clone()),
        None => Check::new(
            check,
            Verdict::Fail,
            format!("{at} runs `{}`, which is not on PATH", r.command),
        )
        .fix(r.reinstall.clone()),
    }
}
