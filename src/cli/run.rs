//! `codex-mcp run`: a task from the terminal, followed live to its answer.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::logs::{LogReader, end_code};
use super::show::readable;
use super::style::Style;
use crate::codex::{Detail, ReasoningEffort};
use crate::engine::{Engine, EngineError, TaskRequest, TaskSpec, parse_task_id};
use crate::store::{EndedBy, Sandbox, now_ms, rfc3339};
use crate::vocab::ApprovalPolicy;

/// The exit status after Ctrl-C, as shells report it.
const INTERRUPTED: u8 = 130;

/// `codex-mcp run`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  codex-mcp run \"Explain what src/main.rs does\"\n  codex-mcp run --sandbox full-access --topic fix-flaky_test-v1 \"Fix the flaky test in tests/net.rs\"\n  git diff | codex-mcp run --detach -\n\nExit status: 0 when the task completed, 1 when it did not, 130 after Ctrl-C (which cancels it)."
)]
pub struct RunArgs {
    /// What Codex should do; `-` reads it from stdin
    prompt: String,
    /// read-only: Codex may not write; full-access: in its own git worktree and branch
    #[arg(long, value_enum, default_value_t = Sandbox::ReadOnly)]
    sandbox: Sandbox,
    /// The directory Codex works in (default: the current one)
    #[arg(long)]
    cwd: Option<PathBuf>,
    /// The task's name, `<type>-<desc>-v<N>` (default: run-<date>_<time>_<ms>_<pid>-v1)
    #[arg(long)]
    topic: Option<String>,
    /// The model Codex uses (`codex -m`)
    #[arg(long)]
    model: Option<String>,
    /// How hard the model reasons
    #[arg(long, visible_alias = "reasoning-effort", value_enum)]
    effort: Option<ReasoningEffort>,
    /// A Codex profile (`codex -p`)
    #[arg(long)]
    profile: Option<String>,
    /// The longest the task may run, in seconds
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// Continue this Codex session (a `session_id` an earlier task printed)
    #[arg(long, value_name = "ID")]
    session: Option<String>,
    /// Retry a failure that may pass (rate limit, network, crash) up to N times, 0 to 3
    #[arg(long, value_name = "N")]
    retries: Option<u32>,
    /// When Codex asks before it acts: never (default), on-request, untrusted; answer with
    /// `codex-mcp approve ID` or `codex-mcp deny ID`
    #[arg(long, value_name = "POLICY")]
    approval_policy: Option<ApprovalPolicy>,
    /// Start the task, print its id and return at once
    #[arg(long)]
    detach: bool,
    /// Print the task as JSON (the fields of codex_status) instead of the answer
    #[arg(long)]
    json: bool,
}

impl RunArgs {
    fn spec(&self) -> Result<TaskSpec, EngineError> {
        let prompt = if self.prompt == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| EngineError::invalid("prompt", format!("cannot read stdin: {e}")))?;
            text
        } else {
            self.prompt.clone()
        };
        let cwd = match &self.cwd {
            Some(c) => std::path::absolute(c).unwrap_or_else(|_| c.clone()),
            None => std::env::current_dir()
                .map_err(|e| EngineError::invalid("cwd", format!("no current directory: {e}")))?,
        };
        let topic = self.topic.clone().unwrap_or_else(default_topic);
        let request = TaskRequest {
            prompt,
            cwd: cwd.to_string_lossy().into_owned(),
            topic,
            sandbox: self.sandbox,
            session_id: self.session.clone(),
            timeout_seconds: self.timeout,
            model: self.model.clone(),
            reasoning_effort: self.effort,
            profile: self.profile.clone(),
            retries: self.retries,
            approval_policy: self.approval_policy,
        };
        TaskSpec::try_from(request)
    }
}

/// `run-20261122_210455_123_4242-v1`: the time to the millisecond and this process's id, so
/// that a loop of detached runs started within one second never collides; valid as a topic.
fn default_topic() -> String {
    let stamp: String = rfc3339(now_ms())
        .chars()
        .take(23)
        .filter(char::is_ascii_digit)
        .collect();
    format!(
        "run-{}_{}_{}_{}-v1",
        &stamp[..8],
        &stamp[8..14],
        &stamp[14..],
        std::process::id()
    )
}

/// Starts the task and, unless detached, prints its feed (stderr) and answer (stdout).
pub fn run(args: RunArgs, engine: &Engine) -> ExitCode {
    let spec = match args.spec() {
        Ok(s) => s,
        Err(e) => return super::failed(&e),
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let result = runtime.block_on(follow_run(&args, engine, spec));
    // A detached task's supervisor lives on; nothing here waits for it.
    runtime.shutdown_background();
    result
}

async fn follow_run(args: &RunArgs, engine: &Engine, spec: TaskSpec) -> ExitCode {
    let started = match engine.dispatch(spec).await {
        Ok(v) => v,
        Err(e) => return super::failed(&e),
    };
    let Ok(id) = parse_task_id(&started.task_id) else {
        return ExitCode::FAILURE;
    };
    if args.detach {
        if args.json {
            match engine.status(&id).await {
                Ok(v) => super::print_json(&v),
                Err(e) => return super::failed(&e),
            }
        } else {
            // The id alone on stdout, for `ID=$(codex-mcp run --detach …)`; the way on, on stderr.
            println!("{}", started.task_id);
            let id = &started.task_id;
            eprintln!(
                "started {id}. Follow it: codex-mcp logs -f {id} · wait for it: codex-mcp wait {id} · stop it: codex-mcp cancel {id}"
            );
        }
        return ExitCode::SUCCESS;
    }
    eprintln!("{} · {}", started.task_id, started.log_file);
    let mut feed = LogReader::new(PathBuf::from(&started.log_file), Some(Detail::Feed));
    let mut err = std::io::stderr();
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let ended = loop {
        tokio::select! {
            _ = &mut interrupted => {
                let _ = engine.cancel(&id, EndedBy::Cli, None).await;
                eprintln!("\ncancelled {}", started.task_id);
                return ExitCode::from(INTERRUPTED);
            }
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
        feed.print_new(&mut err);
        match engine.status(&id).await {
            Ok(v) if v.status.is_final() => break v,
            Ok(_) => {}
            Err(e) => return super::failed(&e),
        }
    };
    feed.print_new(&mut err);
    let mut ended = ended;
    ended.fit(0, usize::MAX);
    if args.json {
        super::print_json(&ended);
    } else if ended.success {
        let answer = ended.result.clone().unwrap_or_default();
        let _ = writeln!(std::io::stdout(), "{answer}");
        if let Some(summary) = work_summary(&ended) {
            eprint!("\n{summary}");
        }
    } else {
        eprint!(
            "\n{}",
            readable(&ended, Style::for_stdout(engine.no_color()))
        );
    }
    end_code(&ended)
}

/// Where a full-access task's work is and what to do with it, in terminal terms.
fn work_summary(v: &crate::engine::TaskView) -> Option<String> {
    let iso = v.isolation.as_ref()?;
    let (branch, base) = (&iso.agent_branch, &iso.base_branch);
    let mut out = format!(
        "worktree  {}\nbranch    {branch} ({} commit(s) ahead of {base})\n",
        iso.worktree_dir,
        iso.commits_ahead.unwrap_or(0)
    );
    if let Some(stat) = iso.diff_stat.as_ref().filter(|s| !s.trim().is_empty()) {
        out.push_str(stat);
        out.push('\n');
    }
    for w in &v.warnings {
        out.push_str(&format!("warning   {}\n", super::words::for_terminal(w)));
    }
    out.push_str(&format!(
        "next      git diff {base}...{branch} · git merge {branch} · codex-mcp show {}\n",
        v.task_id
    ));
    Some(out)
}
