//! `codex-mcp gc`.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::style::Style;
use crate::engine::{Engine, GcRules};

/// `codex-mcp gc`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  codex-mcp gc --dry-run\n  codex-mcp gc --older-than 12h\n  codex-mcp gc --older-than 0s --force\n\nA worktree and its agent/* branch are removed when they hold no work of their own: no commits\nahead and no uncommitted changes, or changes already in the base branch (also after a squash\nmerge). Unmerged commits and uncommitted changes are kept unless --force. Nothing of a running\ntask is touched."
)]
pub struct GcArgs {
    /// Print the plan and change nothing
    #[arg(long)]
    dry_run: bool,
    /// Only tasks that ended at least this long ago: 14d, 12h, 30m, 0s
    #[arg(long, value_name = "DURATION", default_value = "14d", value_parser = parse_duration)]
    older_than: Duration,
    /// Also remove unmerged branches and worktrees with uncommitted changes
    #[arg(long)]
    force: bool,
    /// Print the plan (or what was done) as JSON: one object per worktree or task
    #[arg(long)]
    json: bool,
}

/// `14d`, `12h`, `30m`, `45s`.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("`{s}` is not a duration; use a number and d, h, m or s, like 14d or 0s");
    let (n, unit) = s.trim().split_at(s.trim().len().saturating_sub(1));
    let n: u64 = n.parse().map_err(|_| bad())?;
    let secs = match unit {
        "d" => n * 86_400,
        "h" => n * 3_600,
        "m" => n * 60,
        "s" => n,
        _ => return Err(bad()),
    };
    Ok(Duration::from_secs(secs))
}

/// Prints the plan, or what was removed and kept, with the reason for each.
pub fn gc(args: &GcArgs, engine: &Engine) -> ExitCode {
    let rules = GcRules {
        older_than: args.older_than,
        force: args.force,
        dry_run: args.dry_run,
    };
    let items = match engine.gc(rules) {
        Ok(i) => i,
        Err(e) => return super::failed(&e),
    };
    if args.json {
        super::print_json(&items);
        return ExitCode::SUCCESS;
    }
    let style = Style::for_stdout(engine.no_color());
    if items.is_empty() {
        println!("nothing to clean up");
    }
    let verb = |remove: bool| match (remove, args.dry_run) {
        (true, true) => "would remove",
        (true, false) => "removed",
        (false, true) => "would keep",
        (false, false) => "kept",
    };
    for i in &items {
        let what = format!("{:<12} {} {}", verb(i.remove), i.kind, i.target);
        let what = if i.remove { what } else { style.dim(&what) };
        println!("{what} — {}", i.reason);
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_are_read() {
        assert_eq!(super::parse_duration("14d").unwrap().as_secs(), 14 * 86_400);
        assert_eq!(super::parse_duration("0s").unwrap().as_secs(), 0);
        assert!(super::parse_duration("soon").is_err());
        assert!(super::parse_duration("5w").is_err());
    }
}
