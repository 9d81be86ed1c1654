//! `codex-mcp run`: a task from the terminal, followed live to its answer.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::logs::end_code;
use super::show::readable;
use super::style::Style;
use crate::engine::{Engine, EngineError, TaskRequest, TaskSpec, parse_task_id};
use crate::store::{Sandbox, now_ms, rfc3339};
use crate::vocab::ApprovalPolicy;

/// `codex-mcp run`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  codex-mcp run \"Explain what src/main.rs does\"\n  codex-mcp run --sandbox full-access --topic fix-flaky_test-v1 \"Fix the flaky test in tests/net.rs\"\n  git diff | codex-mcp run --detach -\n\nExit status: 0 when the task completed, 1 when it did not, 130 after Ctrl-C (which cancels it)."
)]
pub struct RunArgs {
    /// What Codex should do; `-` reads it from stdin
    prompt: String,
    /// read-only (default): Codex may not write; full-access: in its own git worktree and
    /// branch. With --session: the session's own, unless given
    #[arg(long, value_enum)]
    sandbox: Option<Sandbox>,
    /// The directory Codex works in (default: the current one)
    #[arg(long)]
    cwd: Option<PathBuf>,
    /// The task's name, `<type>-<desc>-v<N>` (default: run-<date>_<time>_<ms>_<pid>-v1)
    #[arg(long)]
    topic: Option<String>,
    /// The model Codex uses (`codex -m`)
    #[arg(long)]
    model: Option<String>,
    /// How hard the model reasons: an effort the model offers (low, medium, high, xhigh, max,
    /// ultra with Codex 0.169/0.171; Codex's model catalog decides)
    #[arg(long, visible_alias = "reasoning-effort", value_name = "EFFORT")]
    effort: Option<String>,
    /// A Codex profile (`codex -p`)
    #[arg(long)]
    profile: Option<String>,
    /// The longest the task may run, in seconds
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// Continue this Codex session (a `session_id` an earlier task printed): in the session's
    /// folder and worktree, with its sandbox, options and approval policy unless given here
    #[arg(long, value_name = "ID")]
    session: Option<String>,
    /// Retry a failure that may pass (rate limit, network, crash) up to N times, 0 to 3
    #[arg(long, value_name = "N")]
    retries: Option<u32>,
    /// When Codex asks before it acts: never (default), on-request, untrusted. On a terminal
    /// the question is asked here ([y/N/s]); otherwise answer with `codex-mcp approve`/`deny`
    #[arg(long, value_name = "POLICY")]
    approval_policy: Option<ApprovalPolicy>,
    /// Run Codex on this host of hosts.toml (`--cwd` is a path there), or `any`: the host
    /// with the most free places (see `codex-mcp hosts`)
    #[arg(long, value_name = "NAME")]
    host: Option<String>,
    /// Start the task, print its id and return at once
    #[arg(long)]
    detach: bool,
    /// Print the task as JSON (the fields of codex_status) instead of the answer
    #[arg(long)]
    json: bool,
}

impl RunArgs {
    fn prompt(&self) -> Result<String, EngineError> {
        if self.prompt != "-" {
            return Ok(self.prompt.clone());
        }
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| EngineError::invalid("prompt", format!("cannot read stdin: {e}")))?;
        Ok(text)
    }

    /// The task to start, and what the person should know about it. With --session, what was
    /// not given here comes from the session's newest task, as a follow-up by codex_reply
    /// does: its folder (and worktree), sandbox, options and approval policy.
    fn spec(&self, engine: &Engine) -> Result<(TaskSpec, Vec<String>), EngineError> {
        let prompt = self.prompt()?;
        let base = match &self.session {
            Some(session) => engine.blocking_session_follow_up(session, prompt.clone())?,
            None => None,
        };
        let cwd = match &self.cwd {
            Some(c) => std::path::absolute(c).unwrap_or_else(|_| c.clone()),
            None => std::env::current_dir()
                .map_err(|e| EngineError::invalid("cwd", format!("no current directory: {e}")))?,
        };
        let request = TaskRequest {
            prompt,
            cwd: cwd.to_string_lossy().into_owned(),
            topic: self.topic.clone().unwrap_or_else(default_topic),
            sandbox: self.sandbox.unwrap_or(Sandbox::ReadOnly),
            session_id: self.session.clone(),
            timeout_seconds: self.timeout,
            model: self.model.clone(),
            reasoning_effort: self.effort.clone(),
            profile: self.profile.clone(),
            retries: self.retries,
            approval_policy: self.approval_policy,
            host: self.host.clone(),
        };
        let mut spec = TaskSpec::try_from(request)?;
        let notes = match base {
            Some(base) => self.keep_from_session(&mut spec, base),
            None => Vec::new(),
        };
        Ok((spec, notes))
    }

    /// What was not given here comes from the session's newest task; says where what was
    /// given differs from the session.
    fn keep_from_session(&self, spec: &mut TaskSpec, base: TaskSpec) -> Vec<String> {
        let mut notes = Vec::new();
        if self.cwd.is_none() {
            spec.cwd = base.cwd;
        }
        if self.topic.is_none() {
            spec.topic = base.topic;
        }
        if self.host.is_none() {
            spec.host = base.host;
        }
        match self.sandbox {
            None => spec.sandbox = base.sandbox,
            Some(asked) if asked != base.sandbox => notes.push(format!(
                "the session ran {}; this run is {asked}, as --sandbox says (leave --sandbox out \
                 to keep the session's)",
                base.sandbox
            )),
            Some(_) => {}
        }
        let o = &mut spec.options;
        o.model = o.model.take().or(base.options.model);
        o.reasoning_effort = o.reasoning_effort.take().or(base.options.reasoning_effort);
        o.profile = o.profile.take().or(base.options.profile);
        spec.timeout_seconds = spec.timeout_seconds.or(base.timeout_seconds);
        if self.retries.is_none() {
            spec.retries = base.retries;
        }
        if self.approval_policy.is_none() {
            spec.approval_policy = base.approval_policy;
        }
        notes
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
    let spec = match args.spec(engine) {
        Ok((s, notes)) => {
            for note in notes {
                eprintln!("warning: {note}");
            }
            s
        }
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
    let mut followed = match engine.dispatch_followed(spec).await {
        Ok(f) => f,
        Err(e) => return super::failed(&e),
    };
    let started = followed.view.clone();
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
            eprint!("{}", where_it_starts(&started));
        }
        return ExitCode::SUCCESS;
    }
    eprintln!("{} · {}", started.task_id, started.log_file);
    // What codex_dispatch says of the start (the worktree, an uncommitted checkout), said before
    // Codex's first word.
    eprint!("{}", where_it_starts(&started));
    let mut ended = match super::follow::to_the_end(engine, &mut followed, &id).await {
        Ok(v) => v,
        Err(code) => return code,
    };
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

/// Where a task starts to work and what the person should know first, as codex_dispatch
/// returns it: a full-access task's worktree, branch and attach command, and the warnings.
fn where_it_starts(started: &crate::engine::DispatchView) -> String {
    let mut out = String::new();
    if let Some(iso) = &started.isolation {
        out.push_str(&format!(
            "worktree  {}\nbranch    {} (from {})\n",
            iso.worktree_dir, iso.agent_branch, iso.base_branch
        ));
        if let Some(attach) = &iso.attach_command {
            out.push_str(&format!(
                "watch     {attach}  (or codex-mcp attach {})\n",
                started.task_id
            ));
        }
    }
    for w in &started.warnings {
        out.push_str(&format!("warning   {}\n", super::words::for_terminal(w)));
    }
    out
}

/// Where a full-access task's work is and what to do with it, in terminal terms: its commits
/// and what it left uncommitted counted apart, and next steps that fit what is there.
fn work_summary(v: &crate::engine::TaskView) -> Option<String> {
    let iso = v.isolation.as_ref()?;
    let (branch, base, id) = (&iso.agent_branch, &iso.base_branch, &v.task_id);
    let ahead = iso.commits_ahead.unwrap_or(0);
    let loose = iso.uncommitted_changes.unwrap_or(0);
    let on = v
        .host
        .as_ref()
        .map(|h| format!(" (on host {h})"))
        .unwrap_or_default();
    let mut out = format!(
        "worktree  {}{on}\nbranch    {branch} ({})\n",
        iso.worktree_dir,
        super::words::work_counts(ahead, loose, base)
    );
    if let Some(stat) = iso.diff_stat.as_ref().filter(|s| !s.trim().is_empty()) {
        out.push_str(stat);
        out.push('\n');
    }
    for w in &v.warnings {
        out.push_str(&format!("warning   {}\n", super::words::for_terminal(w)));
    }
    let next = match (ahead, loose) {
        // On a host: the work comes here by git, as the task says.
        _ if v.host.is_some() => iso
            .next_steps
            .clone()
            .unwrap_or_else(|| format!("codex-mcp show {id}")),
        (0, 0) => format!("codex-mcp show {id}"),
        (0, _) => {
            format!("codex-mcp review --task {id} · codex-mcp land {id} · codex-mcp show {id}")
        }
        _ => format!(
            "codex-mcp review --task {id} · codex-mcp land {id} · git diff {base}...{branch} · \
             codex-mcp show {id}"
        ),
    };
    out.push_str(&format!("next      {next}\n"));
    Some(out)
}
