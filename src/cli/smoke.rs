//! `codex-mcp doctor --smoke`: the self-check after installing, and the first thing to ask for
//! in a bug report. Offline and without credentials: the scripted model built into this binary
//! answers, the real Codex CLI runs one read-only and one full-access task in a temporary
//! repository and store, and everything made is removed after.

use std::path::Path;
use std::time::Instant;

use crate::config::Config;
use crate::engine::{Engine, TaskRequest, TaskSpec, TaskView};
use crate::scripted_model::MockModel;
use crate::store::{Sandbox, TaskStatus, now_ms};

/// One step of the smoke test.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SmokeStep {
    pub step: String,
    pub ok: bool,
    pub ms: u128,
    pub detail: String,
}

/// The smoke test's steps and whether all passed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SmokeReport {
    pub passed: bool,
    pub steps: Vec<SmokeStep>,
}

/// Collects the steps, printing each as it ends unless the output is JSON.
struct Recorder {
    print: bool,
    steps: std::sync::Mutex<Vec<SmokeStep>>,
}

impl Recorder {
    fn report(&self, ok: bool, step: &str, since: Instant, detail: &str) {
        let ms = since.elapsed().as_millis();
        if self.print {
            let mark = if ok { "✔" } else { "✘" };
            println!("{mark} {step:<22} {ms:>6} ms  {detail}");
        }
        if let Ok(mut steps) = self.steps.lock() {
            steps.push(SmokeStep {
                step: step.into(),
                ok,
                ms,
                detail: detail.into(),
            });
        }
    }
}

/// Runs the smoke test; with `print`, each step is printed with its time as it ends.
pub fn smoke(config: &Config, print: bool) -> SmokeReport {
    let rec = Recorder {
        print,
        steps: std::sync::Mutex::new(Vec::new()),
    };
    if print {
        println!("\nsmoke test: the real Codex CLI against a scripted model, offline");
    }
    let dir = std::env::temp_dir().join(format!(
        "codex-mcp-smoke-{}-{}",
        std::process::id(),
        now_ms()
    ));
    let ok = match std::fs::create_dir_all(&dir) {
        Ok(()) => steps(&rec, &dir, config),
        Err(e) => {
            rec.report(false, "temporary folder", Instant::now(), &e.to_string());
            false
        }
    };
    let t = Instant::now();
    crate::runner::stop_launch_servers(config, &dir.join("tmux"));
    let removed = std::fs::remove_dir_all(&dir);
    rec.report(removed.is_ok(), "cleaned up", t, &dir.display().to_string());
    if print {
        println!(
            "{}",
            if ok {
                "smoke test passed"
            } else {
                "smoke test FAILED"
            }
        );
    }
    SmokeReport {
        passed: ok,
        steps: rec.steps.into_inner().unwrap_or_default(),
    }
}

fn steps(rec: &Recorder, dir: &Path, config: &Config) -> bool {
    let t = Instant::now();
    let repo = dir.join("repo");
    let made = make_repository(&repo).and_then(|()| {
        for d in ["codex-home", "store", "tmux"] {
            std::fs::create_dir_all(dir.join(d)).map_err(|e| e.to_string())?;
        }
        Ok(())
    });
    rec.report(
        made.is_ok(),
        "temporary repository",
        t,
        &made
            .clone()
            .err()
            .unwrap_or_else(|| repo.display().to_string()),
    );
    if made.is_err() {
        return false;
    }
    // SAFETY: no other thread runs yet in this process (the doctor's checks run programs but
    // start no threads); the runtime below is made after. Codex, tmux and the supervisors read
    // these from the environment they inherit.
    unsafe {
        std::env::set_var("CODEX_HOME", dir.join("codex-home"));
        std::env::set_var("CODEXMCP_HOME", dir.join("store"));
        std::env::set_var("TMUX_TMPDIR", dir.join("tmux"));
    }
    let Ok(runtime) = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    else {
        return false;
    };
    let ok = runtime.block_on(tasks(rec, dir, &repo, config));
    runtime.shutdown_background();
    ok
}

async fn tasks(rec: &Recorder, dir: &Path, repo: &Path, config: &Config) -> bool {
    let t = Instant::now();
    let model = match MockModel::start().await {
        Ok(m) => m,
        Err(e) => {
            rec.report(false, "scripted model", t, &e.to_string());
            return false;
        }
    };
    let written = std::fs::write(
        dir.join("codex-home/config.toml"),
        model.codex_config("mock-model"),
    );
    rec.report(
        written.is_ok(),
        "scripted model",
        t,
        &format!("http://127.0.0.1:{}/v1", model.port),
    );
    let mut smoke_config = Config::from_env();
    smoke_config.codex_bin = config.codex_bin.clone();
    let engine = match Engine::from_config(smoke_config) {
        Ok(e) => e,
        Err(e) => {
            rec.report(false, "engine", t, &e.to_string());
            return false;
        }
    };
    // Both run whatever the first found: the report shows each.
    let read_only = smoke_read_only(rec, &engine, repo).await;
    let full_access = smoke_full_access(rec, &engine, repo).await;
    read_only && full_access
}

/// A read-only task: it answers, its log is linked, and Codex's sandbox refused its write.
async fn smoke_read_only(rec: &Recorder, engine: &Engine, repo: &Path) -> bool {
    let t = Instant::now();
    let read_only = run_one(
        engine,
        repo,
        "smoke-read_only-v1",
        Sandbox::ReadOnly,
        "@shell touch smoke-write\n@answer read-only ok",
    )
    .await;
    let ro_ok = read_only.as_ref().is_ok_and(|v| {
        v.status == TaskStatus::Completed && v.result.as_deref() == Some("read-only ok")
    });
    let linked = repo
        .join(".codex-tasks/smoke-read_only-v1/codex-exec.log")
        .is_file();
    let refused = !repo.join("smoke-write").exists();
    rec.report(
        ro_ok && linked,
        "read-only task",
        t,
        &describe(
            &read_only,
            &format!("log linked: {linked} · write refused by the sandbox: {refused}"),
        ),
    );
    ro_ok && linked
}

/// A full-access task: it commits on its own branch in its own worktree.
async fn smoke_full_access(rec: &Recorder, engine: &Engine, repo: &Path) -> bool {
    let t = Instant::now();
    let full = run_one(
        engine,
        repo,
        "smoke-full_access-v1",
        Sandbox::FullAccess,
        "@shell printf 'smoke\\n' > smoke.txt && git add smoke.txt && git -c user.name=smoke -c user.email=smoke@localhost commit -qm smoke\n@answer full-access ok",
    )
    .await;
    let fa_ok = full.as_ref().is_ok_and(|v| {
        v.status == TaskStatus::Completed
            && v.isolation.as_ref().and_then(|i| i.commits_ahead) == Some(1)
    });
    let worktree = full
        .as_ref()
        .ok()
        .and_then(|v| v.isolation.as_ref())
        .map(|i| {
            format!(
                "worktree {} · branch {} · 1 commit",
                i.worktree_dir, i.agent_branch
            )
        })
        .unwrap_or_default();
    rec.report(fa_ok, "full-access task", t, &describe(&full, &worktree));
    fa_ok
}

async fn run_one(
    engine: &Engine,
    repo: &Path,
    topic: &str,
    sandbox: Sandbox,
    prompt: &str,
) -> Result<TaskView, String> {
    let request = TaskRequest {
        prompt: prompt.into(),
        cwd: repo.to_string_lossy().into_owned(),
        topic: topic.into(),
        sandbox,
        session_id: None,
        timeout_seconds: Some(120),
        model: None,
        reasoning_effort: None,
        profile: None,
        retries: None,
        approval_policy: None,
        host: None,
    };
    let spec = TaskSpec::try_from(request).map_err(|e| e.to_string())?;
    let mut view = engine
        .run(spec, std::future::pending(), |_| {})
        .await
        .map_err(|e| e.to_string())?;
    view.fit(0, 4_000);
    Ok(view)
}

fn describe(view: &Result<TaskView, String>, extra: &str) -> String {
    match view {
        Ok(v) => format!(
            "{} in {:.1} s · {extra}{}",
            v.status,
            v.elapsed_seconds,
            v.error
                .as_ref()
                .map(|e| format!(" · {e}"))
                .unwrap_or_default()
        ),
        Err(e) => e.clone(),
    }
}

/// A repository with one commit on its branch, made with git2 (no identity needed).
fn make_repository(repo: &Path) -> Result<(), String> {
    let r = git2::Repository::init(repo).map_err(|e| e.to_string())?;
    std::fs::write(repo.join("README.md"), "codex-mcp smoke test\n").map_err(|e| e.to_string())?;
    let mut index = r.index().map_err(|e| e.to_string())?;
    index
        .add_path(Path::new("README.md"))
        .map_err(|e| e.to_string())?;
    let tree = index.write_tree().map_err(|e| e.to_string())?;
    let tree = r.find_tree(tree).map_err(|e| e.to_string())?;
    let who =
        git2::Signature::now("codex-mcp doctor", "doctor@localhost").map_err(|e| e.to_string())?;
    r.commit(Some("HEAD"), &who, &who, "smoke test", &tree, &[])
        .map_err(|e| e.to_string())?;
    Ok(())
}
