//! `codex-mcp review`: Codex's own code review from the terminal, followed live, its findings
//! printed grouped by file and coloured by priority (`--json`: the object codex_review
//! returns).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::style::Style;
use crate::engine::{Engine, EngineError, ReviewArgs, ReviewTargetArg, ReviewView, parse_task_id};
use crate::vocab::{Finding, ReviewVerdict};

/// `codex-mcp review`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  codex-mcp review\n  codex-mcp review --base main \"focus on the error handling\"\n  codex-mcp review --commit HEAD\n  codex-mcp review --task implement-auth-v1\n\nExit status: 0 when the review ran (whatever it found), 1 when it did not, 2 for a usage error, 130 after Ctrl-C (which cancels it)."
)]
pub struct ReviewCmdArgs {
    /// Extra review instructions, beside Codex's own guidelines (a focus, a stance); `-` reads
    /// them from stdin
    instructions: Option<String>,
    /// Review the uncommitted changes: staged, unstaged, untracked (the default)
    #[arg(long, conflicts_with_all = ["base", "commit", "task"])]
    uncommitted: bool,
    /// Review the current branch against this base branch
    #[arg(long, value_name = "BRANCH", conflicts_with_all = ["commit", "task"])]
    base: Option<String>,
    /// Review the changes of this commit (a sha, or a revision such as HEAD)
    #[arg(long, value_name = "SHA", conflicts_with = "task")]
    commit: Option<String>,
    /// Review a full-access task's work: its commits and what it left uncommitted
    #[arg(long, value_name = "ID")]
    task: Option<String>,
    /// The repository to review (default: the current directory)
    #[arg(long)]
    cwd: Option<PathBuf>,
    /// The review task's name (default: review-<what>-v1)
    #[arg(long)]
    topic: Option<String>,
    /// The model that reviews
    #[arg(long)]
    model: Option<String>,
    /// How hard it reasons (an effort the model offers)
    #[arg(long, visible_alias = "reasoning-effort", value_name = "EFFORT")]
    effort: Option<String>,
    /// The longest the review may run, in seconds
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// Review on this host of hosts.toml (`--cwd` is a path there), or `any`
    #[arg(long, value_name = "NAME", conflicts_with = "task")]
    host: Option<String>,
    /// Print the result as JSON (the object codex_review returns)
    #[arg(long)]
    json: bool,
}

impl ReviewCmdArgs {
    fn request(&self, engine: &Engine) -> Result<ReviewArgs, EngineError> {
        let target = match (&self.base, &self.commit, &self.task) {
            (Some(b), _, _) => ReviewTargetArg::Base(b.clone()),
            (_, Some(c), _) => ReviewTargetArg::Commit(c.clone()),
            (_, _, Some(t)) => {
                ReviewTargetArg::Task(super::words::task_named(engine, t)?.to_string())
            }
            _ => ReviewTargetArg::Uncommitted,
        };
        let cwd = match &self.cwd {
            Some(c) => c.clone(),
            None => std::env::current_dir()
                .map_err(|e| EngineError::invalid("cwd", format!("no current directory: {e}")))?,
        };
        let cwd = std::path::absolute(&cwd).unwrap_or(cwd);
        Ok(ReviewArgs {
            cwd: Some(cwd.to_string_lossy().into_owned()),
            target: Some(target),
            instructions: self.instructions()?,
            task_id: None,
            topic: self.topic.clone(),
            model: self.model.clone(),
            reasoning_effort: self.effort.clone(),
            host: self.host.clone(),
            timeout_seconds: self.timeout,
        })
    }

    fn instructions(&self) -> Result<Option<String>, EngineError> {
        match self.instructions.as_deref() {
            Some("-") => {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text).map_err(|e| {
                    EngineError::invalid("instructions", format!("cannot read stdin: {e}"))
                })?;
                Ok(Some(text))
            }
            other => Ok(other.map(str::to_string)),
        }
    }
}

/// Runs the review in the foreground and prints what it found.
pub fn review(args: ReviewCmdArgs, engine: &Engine) -> ExitCode {
    let spec = match args
        .request(engine)
        .and_then(|r| engine.blocking_review_spec(r))
    {
        Ok(s) => s,
        Err(e) => return super::failed(&e),
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let ended = runtime.block_on(async {
        let mut followed = engine
            .dispatch_followed(spec)
            .await
            .map_err(|e| super::failed(&e))?;
        let id = parse_task_id(&followed.view.task_id).map_err(|e| super::failed(&e))?;
        eprintln!("{} · {}", followed.view.task_id, followed.view.log_file);
        super::follow::to_the_end(engine, &mut followed, &id).await
    });
    runtime.shutdown_background();
    let mut view = match ended {
        Ok(v) => v,
        Err(code) => return code,
    };
    view.fit(0, usize::MAX);
    let ok = view.success;
    let result = ReviewView::of(view);
    if args.json {
        super::print_json(&result);
    } else {
        print!(
            "{}",
            readable(&result, Style::for_stdout(engine.no_color()))
        );
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The review for a person: the verdict, then the findings by file, most urgent first.
pub(super) fn readable(r: &ReviewView, style: Style) -> String {
    let mut out = String::new();
    if !r.success {
        out.push_str(&format!(
            "the review did not run to its end ({}): {}\n",
            r.status.as_str(),
            r.error.as_deref().unwrap_or("see the log")
        ));
        return out;
    }
    let verdict = match r.verdict {
        Some(ReviewVerdict::Correct) => "correct",
        Some(ReviewVerdict::Incorrect) => "incorrect",
        None => "—",
    };
    out.push_str(&format!("{} {verdict}", style.bold("verdict")));
    if let Some(c) = r.confidence {
        out.push_str(&format!(" (confidence {c:.2})"));
    }
    if let Some(e) = &r.explanation {
        out.push_str(&format!(" · {e}"));
    }
    out.push('\n');
    let mut by_file: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in &r.findings {
        let file = f.file.clone().unwrap_or_else(|| "(no file)".into());
        by_file.entry(file).or_default().push(f);
    }
    for (file, findings) in &by_file {
        out.push_str(&format!("\n{}\n", style.bold(file)));
        for f in findings {
            let lines = f.lines.map_or(String::new(), |l| match l.start == l.end {
                true => format!("{}", l.start),
                false => format!("{}-{}", l.start, l.end),
            });
            out.push_str(&format!(
                "  {} {:<9} {}\n",
                style.priority(f.priority),
                lines,
                f.title
            ));
            for line in f.body.lines() {
                out.push_str(&format!("               {}\n", style.dim(line)));
            }
        }
    }
    let count = r.findings.len() + r.findings_omitted.unwrap_or(0);
    out.push_str(&format!(
        "\n{count} finding(s) · {} · codex-mcp show {}\n",
        r.reviewed, r.task_id
    ));
    out
}
