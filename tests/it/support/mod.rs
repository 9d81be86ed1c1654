//! Shared by the integration tests: a temp HOME/CODEX_HOME/store per test, the scripted model,
//! the real Codex CLI, and an MCP client speaking to the built binary over stdio.

pub mod anthropic;
pub mod contract;
pub mod hosts;
pub mod interactive;
pub use codex_mcp::scripted_model as model;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::model::{CallToolRequestParams, CallToolResult, ProgressNotificationParam};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{Map, Value, json};
use tempfile::TempDir;

pub use codex_mcp::scripted_model::MockModel;

/// An MCP client connected to the server binary; `H` handles what the server sends it.
pub type Client<H = ()> = RunningService<RoleClient, H>;

/// The pinned Codex CLI that `scripts/test.sh` installs under target/. Tests that need it fail
/// loudly when it is missing; they are never skipped.
pub fn codex_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("CODEXMCP_TEST_CODEX") {
        return PathBuf::from(p);
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/codex-cli/node_modules/.bin/codex");
    assert!(
        p.exists(),
        "the Codex CLI is not installed at {}. Run the test suite with `scripts/test.sh`, which \
         installs @openai/codex@0.169.0 there, or set CODEXMCP_TEST_CODEX.",
        p.display()
    );
    p
}

/// The pinned Claude Code that `scripts/test.sh` installs under target/ (never skipped either).
pub fn claude_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("CODEXMCP_TEST_CLAUDE") {
        return PathBuf::from(p);
    }
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/claude-code/node_modules/.bin/claude");
    assert!(
        p.exists(),
        "Claude Code is not installed at {}. Run the test suite with `scripts/test.sh`, which \
         installs @anthropic-ai/claude-code there, or set CODEXMCP_TEST_CLAUDE.",
        p.display()
    );
    p
}

/// A client handler that keeps every progress notification it receives.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<ProgressNotificationParam>>>);

impl Recorder {
    pub fn notifications(&self) -> Vec<ProgressNotificationParam> {
        self.0.lock().unwrap().clone()
    }

    pub fn messages(&self) -> Vec<String> {
        self.notifications()
            .into_iter()
            .filter_map(|n| n.message)
            .collect()
    }
}

impl ClientHandler for Recorder {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _ctx: NotificationContext<RoleClient>,
    ) {
        self.0.lock().unwrap().push(params);
    }
}

/// A client that records the progress the server sends it.
pub async fn recording_client(fx: &Fixture) -> (Client<Recorder>, Recorder) {
    let rec = Recorder::default();
    (fx.client_with(rec.clone()).await, rec)
}

/// The documented variable naming the codex executable.
pub const CODEX_BIN_VAR: &str = "CODEXMCP_CODEX_BIN";

/// The variables of the developer's environment a test's programs get: what a program needs to
/// start, nothing that configures codex-mcp or Codex.
const ALLOWED: &[&str] = &[
    "PATH", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ",
];

pub struct Fixture {
    pub tmp: TempDir,
    pub home: PathBuf,
    pub codex_home: PathBuf,
    pub store_home: PathBuf,
    /// A directory to use as `cwd` (not a git repository unless a test makes it one).
    pub work: PathBuf,
    pub model: MockModel,
    pub extra_env: Vec<(String, String)>,
    /// This test's own tmux server lives here (TMUX_TMPDIR), so tests never touch the user's.
    pub tmux_tmpdir: PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for mut server in [self.tmux(), self.person_tmux()] {
            let _ = server
                .arg("kill-server")
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

impl Fixture {
    pub async fn new() -> Fixture {
        // Under /tmp, not $TMPDIR: tmux socket paths must stay short (macOS's TMPDIR is long).
        let tmp = tempfile::Builder::new()
            .prefix("cmt")
            .tempdir_in("/tmp")
            .unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let home = root.join("home");
        let codex_home = home.join(".codex");
        let store_home = root.join("store");
        let work = root.join("work");
        let tmux_tmpdir = root.join("tmux");
        for d in [&home, &codex_home, &work, &tmux_tmpdir] {
            std::fs::create_dir_all(d).unwrap();
        }
        let model = MockModel::start().await.expect("start the scripted model");
        std::fs::write(
            codex_home.join("config.toml"),
            model.codex_config("mock-model"),
        )
        .unwrap();
        Fixture {
            tmp,
            home,
            codex_home,
            store_home,
            work,
            model,
            extra_env: Vec::new(),
            tmux_tmpdir,
        }
    }

    /// Makes codex believe it talks to one of its bundled models, so that it offers the
    /// `apply_patch` tool (needed by the `@add_file` directive).
    pub fn use_bundled_model(&self) {
        let path = self.codex_home.join("config.toml");
        let config = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            config.replacen("model = \"mock-model\"", "model = \"gpt-6-astra\"", 1),
        )
        .unwrap();
    }

    /// A tmux command on codex-mcp's own tmux server of this test (`tmux -L codex-mcp`, in
    /// this test's TMUX_TMPDIR), where full-access tasks run.
    pub fn tmux(&self) -> std::process::Command {
        let mut c = self.person_tmux();
        c.args(["-L", "codex-mcp"]);
        c
    }

    /// A tmux command on the person's own (default) tmux server of this test.
    pub fn person_tmux(&self) -> std::process::Command {
        let mut c = std::process::Command::new("tmux");
        c.env("TMUX_TMPDIR", &self.tmux_tmpdir).env_remove("TMUX");
        c
    }

    /// Starts a session on codex-mcp's tmux server that belongs to "someone else".
    pub fn foreign_tmux_session(&self, name: &str, env: &[(&str, &str)]) {
        let mut c = self.tmux();
        for (k, v) in env {
            c.env(k, v);
        }
        let ok = c
            .args(["new-session", "-d", "-s", name, "sleep", "600"])
            .status()
            .unwrap();
        assert!(ok.success(), "could not start tmux session {name}");
    }

    /// Starts a session on the person's own tmux server.
    pub fn persons_tmux_session(&self, name: &str) {
        let ok = self
            .person_tmux()
            .args(["new-session", "-d", "-s", name, "sleep", "600"])
            .status()
            .unwrap();
        assert!(ok.success(), "could not start tmux session {name}");
    }

    /// Whether codex-mcp's tmux server has session `name`.
    pub fn tmux_has_session(&self, name: &str) -> bool {
        self.tmux()
            .args(["has-session", "-t", &format!("={name}")])
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
            .success()
    }

    /// Whether the person's tmux server has session `name`.
    pub fn person_has_session(&self, name: &str) -> bool {
        self.person_tmux()
            .args(["has-session", "-t", &format!("={name}")])
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
            .success()
    }

    /// Puts the pinned Claude Code first on this test's PATH (where `codex-mcp install claude`
    /// looks for it), kept from reaching out to the network on its own; returns its path.
    pub fn use_claude(&mut self) -> PathBuf {
        let claude = claude_bin();
        let path = format!(
            "{}:{}",
            claude.parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        self.extra_env.push(("PATH".into(), path));
        for k in [
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
            "DISABLE_AUTOUPDATER",
            "DISABLE_TELEMETRY",
            "DISABLE_ERROR_REPORTING",
        ] {
            self.extra_env.push((k.into(), "1".into()));
        }
        claude
    }

    /// The whole environment of what a test runs, built from an allowlist: the few variables
    /// of the developer's environment a program needs to start (PATH, the user, the locale,
    /// the terminal), then this test's own, then the test's `extra_env` (an empty value unsets
    /// a variable). Nothing else a developer has set (`CODEXMCP_ENGINE`, `CODEXMCP_NOTIFY`, an
    /// API key) ever reaches a test.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = ALLOWED
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
            .collect();
        env.extend([
            ("HOME".into(), self.home.display().to_string()),
            ("CODEX_HOME".into(), self.codex_home.display().to_string()),
            (
                "CODEXMCP_HOME".into(),
                self.store_home.display().to_string(),
            ),
            (CODEX_BIN_VAR.into(), codex_bin().display().to_string()),
            ("TMUX_TMPDIR".into(), self.tmux_tmpdir.display().to_string()),
        ]);
        // No RUST_LOG by default: Codex inherits it, and would then not print what it prints
        // for people (its start-up warnings). CODEXMCP_TEST_RUST_LOG sets one for debugging.
        if let Ok(filter) = std::env::var("CODEXMCP_TEST_RUST_LOG") {
            env.push(("RUST_LOG".into(), filter));
        }
        // The suite runs again on the exec engine (scripts/test.sh): CODEXMCP_TEST_ENGINE.
        if let Ok(engine) = std::env::var("CODEXMCP_TEST_ENGINE") {
            env.push(("CODEXMCP_ENGINE".into(), engine));
        }
        // A test's own settings win; an empty value unsets the variable.
        for (k, v) in &self.extra_env {
            env.retain(|(e, _)| e != k);
            env.push((k.clone(), v.clone()));
        }
        env.retain(|(_, v)| !v.is_empty());
        env
    }

    pub fn command(&self) -> tokio::process::Command {
        self.command_of(Path::new(env!("CARGO_BIN_EXE_codex-mcp")), &[])
    }

    /// The server command with this test's environment, as `program args…` (a copy of the
    /// binary, or a wrapper that runs it).
    pub fn command_of(&self, program: &Path, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args).env_clear().envs(self.env());
        cmd
    }

    /// Starts the server binary and connects an MCP client to it.
    pub async fn client(&self) -> Client {
        self.client_with(()).await
    }

    /// Starts the server binary and connects a client whose handler is `handler`.
    pub async fn client_with<H: ClientHandler>(&self, handler: H) -> Client<H> {
        self.client_and_pid(handler).await.0
    }

    /// Like [`Fixture::client_with`], with the server's pid.
    pub async fn client_and_pid<H: ClientHandler>(&self, handler: H) -> (Client<H>, u32) {
        self.client_of(self.command(), handler).await
    }

    /// Connects a client to the server that `command` starts.
    pub async fn client_of<H: ClientHandler>(
        &self,
        command: tokio::process::Command,
        handler: H,
    ) -> (Client<H>, u32) {
        let (transport, _stderr) = TokioChildProcess::builder(command)
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("start codex-mcp");
        let pid = transport.id().expect("server pid");
        (handler.serve(transport).await.expect("MCP handshake"), pid)
    }

    /// The command line, with this test's environment, run in `dir` (default: the work dir).
    pub fn cli_command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_codex-mcp"));
        cmd.env_clear()
            .env("NO_COLOR", "1")
            .envs(self.env())
            .current_dir(&self.work)
            .args(args);
        cmd
    }

    /// Runs the command line to its end: exit status, stdout, stderr. Async, so the scripted
    /// model in this test's runtime keeps answering meanwhile.
    pub async fn cli(&self, args: &[&str]) -> (i32, String, String) {
        self.cli_with_stdin(args, "").await
    }

    /// Like [`Fixture::cli`], with `input` on its stdin.
    pub async fn cli_with_stdin(&self, args: &[&str], input: &str) -> (i32, String, String) {
        use tokio::io::AsyncWriteExt;
        let mut cmd = tokio::process::Command::from(self.cli_command(args));
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).await.unwrap();
        drop(stdin);
        let out = child.wait_with_output().await.unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn tasks_dir(&self) -> PathBuf {
        self.store_home.join("tasks")
    }

    pub fn task_dir(&self, id: &str) -> PathBuf {
        self.tasks_dir().join(id)
    }
}

pub fn args(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("arguments must be an object"),
    }
}

pub async fn call<H: ClientHandler>(
    client: &Client<H>,
    tool: &'static str,
    arguments: Value,
) -> CallToolResult {
    let r = client
        .call_tool(CallToolRequestParams::new(tool).with_arguments(args(arguments)))
        .await
        .expect("tools/call");
    contract::check_result(tool, &r);
    r
}

/// Calls a tool and returns its structured body.
pub async fn call_body<H: ClientHandler>(
    client: &Client<H>,
    tool: &'static str,
    arguments: Value,
) -> Value {
    body(&call(client, tool, arguments).await)
}

/// The structured body of a result (and checks the text content carries the same JSON).
pub fn body(r: &CallToolResult) -> Value {
    let v = r
        .structured_content
        .clone()
        .unwrap_or_else(|| panic!("no structured content: {r:?}"));
    let text = r
        .content
        .first()
        .and_then(|c| c.as_text())
        .map(|t| t.text.clone())
        .unwrap_or_default();
    assert_eq!(
        serde_json::from_str::<Value>(&text).ok(),
        Some(v.clone()),
        "text differs from structured content"
    );
    v
}

pub fn is_error(r: &CallToolResult) -> bool {
    r.is_error == Some(true)
}

pub fn error_text(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| c.as_text())
        .map(|t| t.text.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn task(prompt: &str, cwd: &Path, topic: &str) -> Value {
    json!({"prompt": prompt, "cwd": cwd.display().to_string(), "topic": topic, "sandbox": "read-only"})
}

pub fn full_task(prompt: &str, cwd: &Path, topic: &str) -> Value {
    json!({"prompt": prompt, "cwd": cwd.display().to_string(), "topic": topic, "sandbox": "full-access"})
}

/// Runs git in `dir` with a fixed identity, asserting success; returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Makes `dir` a repository on `main` with one commit holding `files`.
pub fn init_repo(dir: &Path, files: &[(&str, &str)]) {
    git(dir, &["init", "-q"]);
    for (path, content) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", "initial"]);
}

pub fn read_meta(fx: &Fixture, id: &str) -> Value {
    serde_json::from_slice(&std::fs::read(fx.task_dir(id).join("meta.json")).unwrap()).unwrap()
}

/// Polls `codex_status` until the task leaves `running`.
pub async fn wait_final<H: ClientHandler>(
    client: &Client<H>,
    task_id: &str,
    timeout: Duration,
) -> Value {
    let start = Instant::now();
    loop {
        let r = call(client, "codex_status", json!({"task_id": task_id})).await;
        let v = body(&r);
        // A task started while others wait for a place is `queued` for a moment first.
        if v["status"] != "running" && v["status"] != "queued" {
            return v;
        }
        assert!(
            start.elapsed() < timeout,
            "task {task_id} still running after {timeout:?}: {v}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `codex_status` until `pred` holds for the running view.
pub async fn wait_until<H: ClientHandler>(
    client: &Client<H>,
    task_id: &str,
    timeout: Duration,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let start = Instant::now();
    loop {
        let v = body(&call(client, "codex_status", json!({"task_id": task_id})).await);
        if pred(&v) {
            return v;
        }
        assert!(
            start.elapsed() < timeout,
            "condition not met for {task_id} within {timeout:?}: {v}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until `ready` holds, looking every 50 ms; fails saying what did not happen.
pub async fn eventually(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < timeout,
            "{what} did not happen within {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What a child writes on one of its streams, gathered as it comes, for a test to wait on.
#[derive(Clone, Default)]
pub struct Gathered(Arc<Mutex<String>>);

impl Gathered {
    pub fn from(mut stream: impl tokio::io::AsyncRead + Unpin + Send + 'static) -> Gathered {
        use tokio::io::AsyncReadExt;
        let gathered = Gathered::default();
        let sink = gathered.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = stream.read(&mut buf).await {
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                sink.0.lock().unwrap().push_str(&text);
            }
        });
        gathered
    }

    pub fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }
}

/// True when process `pid` has ended (gone, or a zombie nobody reaped yet).
pub fn process_ended(pid: i64) -> bool {
    let out = std::process::Command::new("ps")
        .args(["-o", "stat=", "-p", &pid.to_string()])
        .output()
        .unwrap();
    let stat = String::from_utf8_lossy(&out.stdout);
    stat.trim().is_empty() || stat.trim_start().starts_with('Z')
}

/// Pids of live processes whose command line contains `needle` (Linux /proc, else `ps`).
pub fn pids_matching(needle: &str) -> Vec<i32> {
    let out = std::process::Command::new("ps")
        .args(["-A", "-ww", "-o", "pid=,stat=,args="])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(needle) && !l.contains("ps -A"))
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let pid = f.next()?.parse().ok()?;
            let stat = f.next()?;
            (!stat.starts_with('Z')).then_some(pid)
        })
        .collect()
}

/// True when `pid` is a live process (not a zombie).
pub fn pid_alive(pid: i32) -> bool {
    let out = std::process::Command::new("ps")
        .args(["-o", "stat=", "-p", &pid.to_string()])
        .output()
        .unwrap();
    let stat = String::from_utf8_lossy(&out.stdout);
    out.status.success() && !stat.trim().is_empty() && !stat.trim_start().starts_with('Z')
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

/// Dispatches a task and waits until it runs its (first) command; returns its id.
pub async fn dispatch_running<H: ClientHandler>(client: &Client<H>, arguments: Value) -> String {
    let d = call_body(client, "codex_dispatch", arguments).await;
    let id = d["task_id"]
        .as_str()
        .unwrap_or_else(|| panic!("not started: {d}"))
        .to_string();
    wait_until(client, &id, Duration::from_secs(30), |v| {
        v["progress"]["phase"] == "running_command"
    })
    .await;
    id
}

/// How a task's Codex was told to sandbox itself, whichever engine ran it: `codex exec` takes it
/// on its command line (`-s`, or `sandbox_mode` for a resume), app-server when the thread opens
/// (the driver logs it as `thread.settings`). Also whether the run resumed a session.
pub fn codex_sandbox_of(fx: &Fixture, task_id: &str) -> (String, bool) {
    let meta = read_meta(fx, task_id);
    let argv: Vec<String> = serde_json::from_value(meta["argv"].clone()).unwrap();
    if argv.iter().any(|a| a == "app-server") {
        let log = std::fs::read_to_string(fx.task_dir(task_id).join("codex-exec.log")).unwrap();
        let settings = log
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|e| e["type"] == "thread.settings")
            .unwrap_or_else(|| panic!("no thread.settings in the log of {task_id}:\n{log}"));
        return (
            settings["sandbox"].as_str().unwrap_or_default().to_string(),
            !settings["resume"].is_null(),
        );
    }
    let resumed = argv.iter().any(|a| a == "resume");
    let sandbox = argv
        .windows(2)
        .find(|w| w[0] == "-s")
        .map(|w| w[1].clone())
        .or_else(|| {
            argv.iter().find_map(|a| {
                a.strip_prefix("sandbox_mode=\"")
                    .map(|s| s.trim_end_matches('"').to_string())
            })
        })
        .unwrap_or_default();
    (sandbox, resumed)
}

/// The folder a task's Codex was told to work in (`-C` for exec, the thread's `cwd` for
/// app-server).
pub fn codex_cwd_of(fx: &Fixture, task_id: &str) -> String {
    let meta = read_meta(fx, task_id);
    let argv: Vec<String> = serde_json::from_value(meta["argv"].clone()).unwrap();
    if argv.iter().any(|a| a == "app-server") {
        let log = std::fs::read_to_string(fx.task_dir(task_id).join("codex-exec.log")).unwrap();
        return log
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|e| e["type"] == "thread.settings")
            .and_then(|e| e["cwd"].as_str().map(str::to_string))
            .unwrap_or_default();
    }
    argv.windows(2)
        .find(|w| w[0] == "-C")
        .map(|w| w[1].clone())
        .unwrap_or_default()
}
