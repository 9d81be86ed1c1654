//! The doctor's checks of this machine and the server's settings: git, tmux, the store, the
//! `CODEXMCP_` variables, where logs are linked.

use super::{Check, Verdict};
use crate::codex::probe;
use crate::config::Config;

/// Tasks started here link their logs in `./.codex-tasks/`; in a git repository that folder is
/// excluded through `.git/info/exclude`, elsewhere nothing can exclude it.
pub(super) fn check_links_here() -> Option<Check> {
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
pub(super) fn check_settings(config: &Config) -> Check {
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

pub(super) fn check_program(
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

pub(super) fn check_store(config: &Config) -> Check {
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
