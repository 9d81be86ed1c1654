//! How long a whole read-only task takes, side by side: bare `codex exec`, `codex-mcp run` on
//! the exec engine and on the app-server engine, against the same scripted model, runs taken
//! in turn so a drift of the machine's speed falls on all three. Ignored in the parallel suite
//! (other tests' load would be measured); `scripts/test.sh` runs it alone afterwards
//! (`cargo test --test it -- --ignored speed::`), and it asserts the app-server engine's
//! overhead over bare `codex exec`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::*;

/// Runs of each command counted (after one warm-up each).
const RUNS: usize = 21;

/// How much slower than bare `codex exec` the app-server engine may be, on the median.
const APP_SERVER_OVERHEAD: Duration = Duration::from_millis(30);

/// The task: a read-only one that says something and ends.
const PROMPT: &str = "@answer SAY";

async fn timed(mut cmd: tokio::process::Command) -> Duration {
    let t0 = Instant::now();
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    let took = t0.elapsed();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("SAY"));
    took
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The native binary npm's launcher runs (`@openai/codex-<platform>/vendor/<triple>/bin/codex`
/// beside the launcher's package).
fn native_codex() -> PathBuf {
    let script = std::fs::canonicalize(codex_bin()).unwrap();
    let scope = script.parent().unwrap().parent().unwrap().parent().unwrap();
    std::fs::read_dir(scope)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("codex-"))
        .flat_map(|e| {
            std::fs::read_dir(e.path().join("vendor"))
                .into_iter()
                .flatten()
        })
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin/codex"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("no native codex under {}", scope.display()))
}

/// The command line with this test's environment, run by `program` when one is given (a
/// release build: what a person runs), else by the build under test.
fn ours(fx: &Fixture, program: Option<&std::ffi::OsStr>, engine: &str) -> tokio::process::Command {
    let built = fx.cli_command(&["run", "--sandbox", "read-only", PROMPT]);
    let mut cmd = std::process::Command::new(program.unwrap_or(built.get_program()));
    cmd.args(built.get_args()).env_clear().current_dir(&fx.work);
    for (k, v) in built.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    cmd.env("CODEXMCP_ENGINE", engine);
    tokio::process::Command::from(cmd)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: run alone, as scripts/test.sh does"]
async fn the_app_server_engine_is_within_30_ms_of_bare_codex_exec() {
    let fx = Fixture::new().await;
    let exec = |codex: &Path| {
        let mut c = tokio::process::Command::new(codex);
        c.env_clear().envs(fx.env()).current_dir(&fx.work).args([
            "exec",
            "--skip-git-repo-check",
            "--sandbox",
            "read-only",
            PROMPT,
        ]);
        c
    };
    let native = native_codex();
    let program = std::env::var_os("CODEXMCP_TEST_BENCH_BIN");
    let program = program.as_deref();
    // Bare codex exec as a person runs it (npm's launcher), the native binary alone, and
    // codex-mcp on each engine.
    let mut runs: [Vec<Duration>; 4] = Default::default();
    for round in 0..=RUNS {
        let took = [
            timed(exec(&codex_bin())).await,
            timed(exec(&native)).await,
            timed(ours(&fx, program, "exec")).await,
            timed(ours(&fx, program, "app-server")).await,
        ];
        // The first round warms the caches (the page cache, the store's facts of this Codex).
        if round > 0 {
            for (all, one) in runs.iter_mut().zip(took) {
                all.push(one);
            }
        }
    }
    // The overhead is judged round by round (each round's runs are next to each other in
    // time), so the machine's drift between rounds does not count.
    let over: Vec<i128> = runs[3]
        .iter()
        .zip(&runs[0])
        .map(|(a, b)| a.as_micros() as i128 - b.as_micros() as i128)
        .collect();
    let mut sorted = over.clone();
    sorted.sort();
    let overhead_us = sorted[sorted.len() / 2];
    let [bare, native, on_exec, on_app_server] = runs.map(median);
    eprintln!(
        "measured: read-only task, median of {RUNS}: bare codex exec {bare:?}, its native binary \
         {native:?}, codex-mcp on exec {on_exec:?}, codex-mcp on app-server {on_app_server:?}; \
         app-server engine minus bare codex exec, round by round: median {} ms",
        overhead_us as f64 / 1000.0
    );
    assert!(
        overhead_us <= APP_SERVER_OVERHEAD.as_micros() as i128,
        "the app-server engine is more than {APP_SERVER_OVERHEAD:?} slower than bare codex exec \
         (median {overhead_us} µs over, rounds {over:?})"
    );
}

/// npm's layout of `@openai/codex` under `prefix`, whose launcher notes each start in
/// `marker` and then runs the real native binary, and whose platform package says
/// `platform_version`. The launcher's path.
fn npm_layout(fx: &Fixture, prefix: &str, platform_version: &str, marker: &Path) -> PathBuf {
    let native = native_codex();
    let triple = native.parent().unwrap().parent().unwrap();
    let platform = triple.parent().unwrap().parent().unwrap();
    let modules = fx.tmp.path().join(prefix).join("lib/node_modules/@openai");
    let root = modules.join("codex");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::write(
        root.join("package.json"),
        r#"{"name": "@openai/codex", "version": "0.169.0", "bin": {"codex": "bin/codex.js"}}"#,
    )
    .unwrap();
    let launcher = root.join("bin/codex.js");
    std::fs::write(
        &launcher,
        format!(
            "#!/bin/sh\necho started >> '{}'\nexec '{}' \"$@\"\n",
            marker.display(),
            native.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &launcher,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let ours = modules.join(platform.file_name().unwrap());
    let bin = ours
        .join("vendor")
        .join(triple.file_name().unwrap())
        .join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(
        ours.join("package.json"),
        format!(r#"{{"name": "@openai/codex", "version": "{platform_version}"}}"#),
    )
    .unwrap();
    std::os::unix::fs::symlink(&native, bin.join("codex")).unwrap();
    launcher
}

#[tokio::test(flavor = "multi_thread")]
async fn npms_launcher_is_skipped_for_its_binary_and_run_when_its_layout_is_not_known() {
    let mut fx = Fixture::new().await;
    for (prefix, platform_version, launcher_runs) in [
        ("npm-known", "0.169.0-linux-x64", false),
        ("npm-other-version", "0.168.0-linux-x64", true),
    ] {
        let marker = fx.tmp.path().join(format!("{prefix}.started"));
        let launcher = npm_layout(&fx, prefix, platform_version, &marker);
        fx.extra_env.retain(|(k, _)| k != CODEX_BIN_VAR);
        fx.extra_env
            .push((CODEX_BIN_VAR.into(), launcher.display().to_string()));
        let mut first = true;
        // The first run of a Codex new to the store asks it what it can do (through the
        // launcher, once); the runs after that are the task's alone.
        for engine in ["app-server", "app-server", "exec"] {
            let _ = std::fs::remove_file(&marker);
            let mut cmd = fx.cli_command(&["run", "--json", "--sandbox", "read-only", PROMPT]);
            cmd.env("CODEXMCP_ENGINE", engine);
            let out = tokio::process::Command::from(cmd).output().await.unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let v: serde_json::Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{e}: {text}{}", String::from_utf8_lossy(&out.stderr)));
            assert_eq!(v["status"], "completed", "{prefix} on {engine}: {v}");
            assert_eq!(v["result"], "SAY");
            // The task's Codex ran from the launcher only when its layout was not the known one.
            let task_ran_launcher = std::fs::read_to_string(&marker)
                .map(|m| m.lines().count())
                .unwrap_or(0);
            if std::mem::take(&mut first) {
                continue;
            }
            if launcher_runs {
                assert!(task_ran_launcher >= 1, "{prefix} on {engine}");
            } else {
                assert_eq!(
                    task_ran_launcher, 0,
                    "{prefix} on {engine}: the launcher ran"
                );
            }
        }
    }
}

/// Rounds of the hosts benchmark (after one warm-up).
const HOST_RUNS: usize = 7;

/// A trivial task and a dispatch, here and on two hosts — one over a loopback WebSocket, one
/// through a real sshd on 127.0.0.1 — side by side in one run (docs/benchmarks.md).
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: run alone, as scripts/test.sh does"]
async fn a_task_on_a_host_is_timed_beside_one_here() {
    use crate::support::hosts::{TestHost, TestSshd, command_entry};
    let fx = Fixture::new().await;
    let ws = TestHost::ws(&fx, "lab").await;
    let unix = TestHost::unix(&fx, "devbox").await;
    let sshd = TestSshd::start(&fx).await;
    let entries = format!(
        "{}{}",
        ws.entry(8),
        command_entry("devbox", &sshd.command_for(&unix), 8)
    );
    crate::support::hosts::write_hosts_text(&fx, &entries);
    let program = std::env::var_os("CODEXMCP_TEST_BENCH_BIN");
    let cmd = |host: Option<&str>, detach: bool| {
        let mut args = vec!["run", "--sandbox", "read-only"];
        if let Some(h) = host {
            args.extend(["--host", h, "--cwd"]);
        }
        let work = fx.work.display().to_string();
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        if host.is_some() {
            all.push(work);
        }
        if detach {
            all.push("--detach".into());
        }
        all.push(PROMPT.into());
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let built = fx.cli_command(&refs);
        let mut c = std::process::Command::new(program.as_deref().unwrap_or(built.get_program()));
        c.args(built.get_args()).env_clear().current_dir(&fx.work);
        for (k, v) in built.get_envs() {
            if let Some(v) = v {
                c.env(k, v);
            }
        }
        tokio::process::Command::from(c)
    };
    let places: [Option<&str>; 3] = [None, Some("lab"), Some("devbox")];
    let mut task: [Vec<Duration>; 3] = Default::default();
    let mut dispatch: [Vec<Duration>; 3] = Default::default();
    for round in 0..=HOST_RUNS {
        for (i, place) in places.iter().enumerate() {
            let took = timed(cmd(*place, false)).await;
            let t0 = Instant::now();
            let out = cmd(*place, true).output().await.unwrap();
            let started = t0.elapsed();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            if round > 0 {
                task[i].push(took);
                dispatch[i].push(started);
            }
        }
    }
    let [here, lab, ssh] = task.map(median);
    let [d_here, d_lab, d_ssh] = dispatch.map(median);
    eprintln!(
        "measured: median of {HOST_RUNS}: a trivial task here {here:?}, on a ws host {lab:?}, \
         on an ssh host {ssh:?}; dispatch (run --detach) here {d_here:?}, ws host {d_lab:?}, \
         ssh host {d_ssh:?}"
    );
    // A host adds a connection and a handshake, not seconds.
    assert!(lab < here + Duration::from_secs(1), "{lab:?} vs {here:?}");
    assert!(ssh < here + Duration::from_secs(2), "{ssh:?} vs {here:?}");
}
