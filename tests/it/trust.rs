//! Trust under faults: each fault found by attacking the server, reproduced, and pinned.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::*;

/// A copy of the server binary at `dir/codex-mcp`, to remove or replace as an upgrade would.
fn copy_of_the_server(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let copy = dir.join("codex-mcp");
    std::fs::copy(env!("CARGO_BIN_EXE_codex-mcp"), &copy).unwrap();
    copy
}

/// Replaces `path` the way a package manager does: a new file renamed over the old one.
fn replace_with_script(path: &Path, script: &str) {
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, script).unwrap();
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_relative_store_works_for_full_access_tasks() {
    let mut fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    fx.extra_env
        .push(("CODEXMCP_HOME".into(), "relstore".into()));
    let mut cmd = fx.command();
    cmd.current_dir(fx.tmp.path());
    let (client, _) = fx.client_of(cmd, ()).await;
    let v = call_body(
        &client,
        "codex",
        full_task("@answer found the store", &fx.work, "fix-relative-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["result"], "found the store");
    assert!(
        fx.tmp
            .path()
            .join("relstore/tasks/codex-fix-relative-v1/meta.json")
            .is_file()
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_program_is_found_again_or_refused_at_once() {
    let mut fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let copy = copy_of_the_server(&fx.tmp.path().join("old-install"));
    let (client, _) = fx.client_of(fx.command_of(&copy, &[]), ()).await;
    std::fs::remove_file(&copy).unwrap();
    let t0 = Instant::now();
    let r = call(
        &client,
        "codex_dispatch",
        full_task("@answer x", &fx.work, "fix-gone-v1"),
    )
    .await;
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert!(is_error(&r));
    let text = error_text(&r);
    assert!(
        text.contains("is gone") && text.contains("Restart"),
        "{text}"
    );
    client.cancel().await.unwrap();

    // After an upgrade, the installed program is on PATH: the task runs with it.
    let installed = fx.tmp.path().join("new-install");
    std::fs::create_dir_all(&installed).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_codex-mcp"), installed.join("codex-mcp"))
        .unwrap();
    fx.extra_env.push((
        "PATH".into(),
        format!(
            "{}:{}",
            installed.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    ));
    let copy = copy_of_the_server(&fx.tmp.path().join("old-install"));
    let (client, _) = fx.client_of(fx.command_of(&copy, &[]), ()).await;
    std::fs::remove_file(&copy).unwrap();
    let v = call_body(
        &client,
        "codex",
        full_task("@answer upgraded", &fx.work, "fix-upgraded-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_supervisor_that_cannot_start_says_why_within_seconds() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let copy = copy_of_the_server(&fx.tmp.path().join("install"));
    let (client, _) = fx.client_of(fx.command_of(&copy, &[]), ()).await;
    // A broken upgrade: the program at the server's path no longer runs.
    replace_with_script(
        &copy,
        "#!/bin/sh\necho 'codex-mcp: error while loading shared libraries: libbroken.so' >&2\nexit 127\n",
    );
    for (args, id) in [
        (
            full_task("@answer x", &fx.work, "fix-broken_fa-v1"),
            "codex-fix-broken_fa-v1",
        ),
        (
            task("@answer x", &fx.work, "fix-broken_ro-v1"),
            "codex-fix-broken_ro-v1",
        ),
    ] {
        let t0 = Instant::now();
        let v = call_body(&client, "codex_dispatch", args).await;
        assert_eq!(v["task_id"], id);
        let v = call_body(
            &client,
            "codex_status",
            json!({"task_id": id, "wait_seconds": 30}),
        )
        .await;
        assert!(
            t0.elapsed() < Duration::from_secs(4),
            "took {:?}",
            t0.elapsed()
        );
        assert_eq!(v["status"], "failed", "{v}");
        let e = v["error"].as_str().unwrap();
        assert!(e.contains("libbroken.so"), "{e}");
        assert!(
            !fx.task_dir(id).join("launch-env.json").exists(),
            "the handed-over environment outlived the task"
        );
    }
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_users_tmux_settings_do_not_change_how_a_task_runs() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    std::fs::write(
        fx.home.join(".tmux.conf"),
        "set -g remain-on-exit on\nset -g destroy-unattached on\nset -s exit-unattached on\n",
    )
    .unwrap();
    let client = fx.client().await;
    let first = call_body(
        &client,
        "codex",
        full_task(
            "@shell sleep 1\n@answer first",
            &fx.work,
            "fix-tmux_conf-v1",
        ),
    )
    .await;
    assert_eq!(first["status"], "completed", "{first}");
    assert!(
        first["warnings"].to_string().contains("exit-unattached"),
        "{first}"
    );
    // The finished task's session is gone, so the topic runs again.
    assert!(!fx.tmux_has_session("codex-fix-tmux_conf-v1"));
    let again = call_body(
        &client,
        "codex",
        full_task("@answer again", &fx.work, "fix-tmux_conf-v1"),
    )
    .await;
    assert_eq!(again["status"], "completed", "{again}");
    assert_eq!(again["task_id"], "codex-fix-tmux_conf-v1-r2");
    // A session a finished task left behind no longer blocks its topic.
    let mut c = fx.tmux();
    c.args([
        "new-session",
        "-d",
        "-s",
        "codex-fix-tmux_conf-v1",
        "sleep",
        "600",
        ";",
        "set-option",
        "@codexmcp-task",
        "codex-fix-tmux_conf-v1-r2",
    ]);
    assert!(c.status().unwrap().success());
    let third = call_body(
        &client,
        "codex_dispatch",
        full_task(
            "@shell sleep 2\n@answer third",
            &fx.work,
            "fix-tmux_conf-v1",
        ),
    )
    .await;
    assert_eq!(third["status"], "running", "{third}");
    // While it runs, the user's own preference for new sessions is as they set it.
    let out = fx
        .tmux()
        .args(["show-options", "-gv", "destroy-unattached"])
        .output()
        .unwrap();
    let kept = String::from_utf8_lossy(&out.stdout);
    assert!(
        kept.trim() == "on" || kept.trim() == "1",
        "{kept} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = wait_final(
        &client,
        third["task_id"].as_str().unwrap(),
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn git_exclude_is_never_written_through_a_link_or_into_another_repository() {
    let fx = Fixture::new().await;
    // info/exclude is a link to a file outside the repository.
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let outside = fx.tmp.path().join("outside.txt");
    std::fs::write(&outside, "untouched\n").unwrap();
    let exclude = fx.work.join(".git/info/exclude");
    let _ = std::fs::remove_file(&exclude);
    std::os::unix::fs::symlink(&outside, &exclude).unwrap();
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        task("@answer x", &fx.work, "review-link-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "untouched\n");
    assert!(v["warnings"].to_string().contains("exclude"), "{v}");

    // A checkout whose git dir's `commondir` points into another repository.
    let victim = fx.tmp.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    init_repo(&victim, &[("a.txt", "a\n")]);
    let victim_exclude = victim.join(".git/info/exclude");
    let before = std::fs::read_to_string(&victim_exclude).unwrap_or_default();
    let fake_git = fx.tmp.path().join("fake-gitdir");
    std::fs::create_dir(&fake_git).unwrap();
    std::fs::write(fake_git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::write(
        fake_git.join("commondir"),
        format!("{}\n", victim.join(".git").display()),
    )
    .unwrap();
    let redirected = fx.tmp.path().join("redirected");
    std::fs::create_dir(&redirected).unwrap();
    std::fs::write(
        fake_git.join("gitdir"),
        format!("{}/.git\n", redirected.display()),
    )
    .unwrap();
    std::fs::write(
        redirected.join(".git"),
        format!("gitdir: {}\n", fake_git.display()),
    )
    .unwrap();
    let v = call_body(
        &client,
        "codex",
        task("@answer y", &redirected, "review-redirect-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(
        std::fs::read_to_string(&victim_exclude).unwrap_or_default(),
        before,
        "wrote into another repository's exclude file"
    );
    assert!(v["warnings"].to_string().contains("commondir"), "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_of_another_user_is_refused_and_the_log_file_is_private() {
    let mut fx = Fixture::new().await;
    let log = fx.tmp.path().join("server.log");
    fx.extra_env
        .push(("CODEXMCP_LOG_FILE".into(), log.display().to_string()));
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        task("@answer x", &fx.work, "review-own-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed");
    assert_eq!(mode(&log), 0o600);
    client.cancel().await.unwrap();
    // Only root can give the store away; elsewhere this part proves nothing and is skipped.
    let nobody = nix::unistd::Uid::from_raw(65534);
    if nix::unistd::chown(&fx.tasks_dir(), Some(nobody), None).is_err() {
        eprintln!("note: not root, so a store of another user cannot be made here");
        return;
    }
    let client = fx.client().await;
    let r = call(
        &client,
        "codex",
        task("@answer x", &fx.work, "review-foreign-v1"),
    )
    .await;
    assert!(is_error(&r));
    assert!(
        error_text(&r).contains("belongs to user id 65534"),
        "{}",
        error_text(&r)
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_removed_while_the_server_runs_is_made_again() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        task("@answer one", &fx.work, "review-gone-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed");
    std::fs::remove_dir_all(&fx.store_home).unwrap();
    let v = call_body(
        &client,
        "codex",
        task("@answer two", &fx.work, "review-gone-v2"),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["result"], "two");
    let list = call_body(&client, "codex_status", json!({})).await;
    assert_eq!(list["total"], 1);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_finished_tasks_branch_summary_is_taken_once() {
    let fx = Fixture::new().await;
    init_repo(&fx.work, &[("README.md", "hello\n")]);
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        full_task(
            "@shell printf 'x\\n' > made.txt\n@answer made",
            &fx.work,
            "fix-summary-v1",
        ),
    )
    .await;
    assert_eq!(v["uncommitted_changes"], 1, "{v}");
    let wt = PathBuf::from(v["worktree_dir"].as_str().unwrap());
    for i in 0..200 {
        std::fs::write(wt.join(format!("later-{i}.txt")), "later\n").unwrap();
    }
    let again = call_body(&client, "codex_status", json!({"task_id": v["task_id"]})).await;
    assert_eq!(
        again["uncommitted_changes"], 1,
        "the summary was taken again"
    );
    assert_eq!(again["diff_stat"], v["diff_stat"]);
    client.cancel().await.unwrap();
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn a_cwd_that_is_not_utf8_is_refused_and_leaves_nothing() {
    use std::os::unix::ffi::OsStrExt;
    let fx = Fixture::new().await;
    let odd = fx.tmp.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
    std::fs::create_dir(&odd).unwrap();
    init_repo(&odd, &[("a.txt", "a\n")]);
    let plain = fx.tmp.path().join("plain-name");
    std::os::unix::fs::symlink(&odd, &plain).unwrap();
    let client = fx.client().await;
    let r = call(
        &client,
        "codex",
        full_task("@answer x", &plain, "fix-odd-v1"),
    )
    .await;
    assert!(is_error(&r));
    assert!(
        error_text(&r).contains("not valid UTF-8"),
        "{}",
        error_text(&r)
    );
    assert!(!git(&odd, &["branch", "--list"]).contains("agent/"));
    assert_eq!(git(&odd, &["worktree", "list"]).lines().count(), 1);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_null_inside_the_usage_does_not_hide_a_finished_turn() {
    let mut fx = Fixture::new().await;
    let fake = fx.tmp.path().join("fake-codex");
    std::fs::write(
        &fake,
        "#!/bin/sh\ncat > /dev/null\n\
         echo '{\"type\":\"thread.started\",\"thread_id\":\"01a200e7-30c1-7f70-988f-0d0342cef250\"}'\n\
         echo '{\"type\":\"turn.started\"}'\n\
         echo '{\"type\":\"item.completed\",\"item\":{\"id\":\"m\",\"type\":\"agent_message\",\"text\":\"all done\"}}'\n\
         echo '{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":null,\"cached_input_tokens\":2,\"output_tokens\":3,\"reasoning_output_tokens\":null,\"new_field\":{}}}'\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    fx.extra_env
        .push((CODEX_BIN_VAR.into(), fake.display().to_string()));
    // A fake that plays `codex exec`.
    fx.extra_env.push(("CODEXMCP_ENGINE".into(), "exec".into()));
    let client = fx.client().await;
    let v = call_body(&client, "codex", task("go", &fx.work, "fix-drift-v1")).await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["result"], "all done");
    assert_eq!(v["usage"]["output_tokens"], 3);
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_that_cannot_reach_its_model_says_it_is_retrying() {
    let fx = Fixture::new().await;
    let config = fx.codex_home.join("config.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("stream_max_retries = 0", "stream_max_retries = 100");
    std::fs::write(&config, text).unwrap();
    let (client, rec) = recording_client(&fx).await;
    let id = call_body(
        &client,
        "codex_dispatch",
        task("@cut_stream", &fx.work, "review-offline-v1"),
    )
    .await["task_id"]
        .as_str()
        .unwrap()
        .to_string();
    let v = wait_until(&client, &id, Duration::from_secs(60), |v| {
        v["progress"]["retrying"] == true
    })
    .await;
    assert_eq!(v["status"], "running");
    let e = v["progress"]["last_error"].as_str().unwrap();
    assert!(e.contains("Reconnecting"), "{e}");
    assert!(v["progress"]["last_error_seconds_ago"].as_f64().unwrap() < 60.0);
    let _ = call(
        &client,
        "codex_status",
        json!({"task_id": id, "wait_seconds": 4}),
    )
    .await;
    assert!(
        rec.messages()
            .iter()
            .any(|m| m.starts_with("retrying: Reconnecting")),
        "{:?}",
        rec.messages()
    );
    let _ = call(&client, "codex_cancel", json!({"task_id": id})).await;
    client.cancel().await.unwrap();
}

/// Runs the server in a user and mount namespace of its own, with the store on a tmpfs of
/// `size`: a full disk without root and without touching the machine's disks.
#[cfg(target_os = "linux")]
fn server_on_a_small_disk(fx: &Fixture, size: &str) -> tokio::process::Command {
    std::fs::create_dir_all(&fx.store_home).unwrap();
    let script = format!("mount -t tmpfs -o size={size} tmpfs \"$0\" && exec \"$1\"",);
    let store = fx.store_home.display().to_string();
    fx.command_of(
        Path::new("unshare"),
        &[
            "-Urm",
            "sh",
            "-c",
            &script,
            &store,
            env!("CARGO_BIN_EXE_codex-mcp"),
        ],
    )
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_keeps_the_answer_and_says_which_disk() {
    let mut fx = Fixture::new().await;
    let fake = fx.tmp.path().join("fake-codex");
    // 5 MB of output into a 3 MB store, then a pause, then the answer.
    std::fs::write(
        &fake,
        "#!/bin/sh\ncat > /dev/null\n\
         echo '{\"type\":\"thread.started\",\"thread_id\":\"01a200e7-30c1-7f70-988f-0d0342cef250\"}'\n\
         echo '{\"type\":\"turn.started\"}'\n\
         printf '{\"type\":\"item.completed\",\"item\":{\"id\":\"c\",\"type\":\"command_execution\",\"command\":\"fill\",\"aggregated_output\":\"'\n\
         head -c 5000000 /dev/zero | tr '\\0' x\n\
         printf '\",\"exit_code\":0,\"status\":\"completed\"}}\\n'\n\
         sleep 3\n\
         echo '{\"type\":\"item.completed\",\"item\":{\"id\":\"m\",\"type\":\"agent_message\",\"text\":\"finished despite the full disk\"}}'\n\
         echo '{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":5,\"cached_input_tokens\":0,\"output_tokens\":6,\"reasoning_output_tokens\":0}}'\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    fx.extra_env
        .push((CODEX_BIN_VAR.into(), fake.display().to_string()));
    // A fake that plays `codex exec`.
    fx.extra_env.push(("CODEXMCP_ENGINE".into(), "exec".into()));
    let (client, _) = fx.client_of(server_on_a_small_disk(&fx, "3m"), ()).await;
    let id = call_body(
        &client,
        "codex_dispatch",
        task("go", &fx.work, "fix-full_disk-v1"),
    )
    .await["task_id"]
        .as_str()
        .unwrap()
        .to_string();
    // While the disk is full, status answers, names the disk, and says running.
    let v = wait_until(&client, &id, Duration::from_secs(30), |v| {
        v["warnings"].to_string().contains("is full")
    })
    .await;
    assert_eq!(v["status"], "running", "{v}");
    assert!(
        v["warnings"]
            .to_string()
            .contains(&fx.store_home.display().to_string()),
        "{v}"
    );
    // A new task is refused with the same words, and leaves no empty folder.
    let r = call(
        &client,
        "codex_dispatch",
        task("go", &fx.work, "fix-another-v1"),
    )
    .await;
    assert!(is_error(&r));
    assert!(error_text(&r).contains("full"), "{}", error_text(&r));
    // The finished turn is kept: completed, with its answer, and the log said incomplete.
    let v = call_body(
        &client,
        "codex_status",
        json!({"task_id": id, "wait_seconds": 60}),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["result"], "finished despite the full disk");
    assert_eq!(v["usage"]["output_tokens"], 6);
    assert!(v["warnings"].to_string().contains("incomplete"), "{v}");
    let list = call_body(&client, "codex_status", json!({})).await;
    assert_eq!(list["total"], 1, "a refused start left a folder: {list}");
    client.cancel().await.unwrap();
}

/// A fake codex that fills the disk with 5 MB of output, pauses, then answers with `answer_len`
/// characters.
#[cfg(target_os = "linux")]
fn codex_filling_the_disk(fx: &Fixture, answer_len: usize) -> std::path::PathBuf {
    let fake = fx.tmp.path().join(format!("fake-codex-{answer_len}"));
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\ncat > /dev/null\n\
             echo '{{\"type\":\"thread.started\",\"thread_id\":\"01a200e7-30c1-7f70-988f-0d0342cef250\"}}'\n\
             printf '{{\"type\":\"item.completed\",\"item\":{{\"id\":\"c\",\"type\":\"command_execution\",\"command\":\"fill\",\"aggregated_output\":\"'\n\
             head -c 5000000 /dev/zero | tr '\\0' x\n\
             printf '\",\"exit_code\":0,\"status\":\"completed\"}}}}\\n'\n\
             sleep 1\n\
             printf '{{\"type\":\"item.completed\",\"item\":{{\"id\":\"m\",\"type\":\"agent_message\",\"text\":\"'\n\
             head -c {answer_len} /dev/zero | tr '\\0' a\n\
             printf '\"}}}}\\n'\n\
             echo '{{\"type\":\"turn.completed\",\"usage\":{{\"input_tokens\":5,\"output_tokens\":6}}}}'\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    fake
}

/// Pages through a finished task's answer with `result_offset` to the end: the text read, the
/// last page, and how many pages it took.
#[cfg(target_os = "linux")]
async fn read_all_pages(client: &Client, id: &str) -> (String, serde_json::Value, usize) {
    let mut text = String::new();
    let mut offset = 0;
    for page in 1..=40 {
        let v = call_body(
            client,
            "codex_status",
            json!({"task_id": id, "result_offset": offset}),
        )
        .await;
        let result = v["result"].as_str().unwrap_or_default();
        text.push_str(result.split("\n\n[").next().unwrap_or_default());
        match v["next_offset"].as_u64() {
            Some(next) => {
                assert!(next as usize > offset, "paging does not advance: {v}");
                offset = next as usize;
            }
            None => return (text, v, page),
        }
    }
    panic!("paging never ended");
}

/// A task run on a server whose store is a full 3 MB disk, answering `answer_len`
/// characters: its client and its final status.
#[cfg(target_os = "linux")]
async fn ended_on_a_full_disk(
    fx: &mut Fixture,
    answer_len: usize,
    topic: &str,
) -> (Client, serde_json::Value) {
    fx.extra_env.retain(|(k, _)| k != CODEX_BIN_VAR);
    let fake = codex_filling_the_disk(fx, answer_len);
    fx.extra_env
        .push((CODEX_BIN_VAR.into(), fake.display().to_string()));
    // A fake that plays `codex exec`.
    fx.extra_env.push(("CODEXMCP_ENGINE".into(), "exec".into()));
    let (client, _) = fx.client_of(server_on_a_small_disk(fx, "3m"), ()).await;
    call_body(&client, "codex_dispatch", task("go", &fx.work, topic)).await;
    let id = format!("codex-{topic}");
    let v = call_body(
        &client,
        "codex_status",
        json!({"task_id": id, "wait_seconds": 60}),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    (client, v)
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_keeps_a_long_answer_or_says_how_much_was_lost() {
    let mut fx = Fixture::new().await;
    // 72,000 characters: the space set aside at the start holds them.
    let (client, v) = ended_on_a_full_disk(&mut fx, 72_000, "fix-long_answer-v1").await;
    assert_eq!(v["result_total_chars"], 72_000);
    let warnings = v["warnings"].to_string();
    assert!(!warnings.contains("only the first"), "{warnings}");
    let (text, _, _) = read_all_pages(&client, "codex-fix-long_answer-v1").await;
    assert_eq!(text.len(), 72_000, "the whole answer pages through");
    client.cancel().await.unwrap();

    // 600,000 characters do not fit anywhere: paging ends where what was kept ends, and says
    // how much was lost; the warnings do not contradict each other.
    let (client, v) = ended_on_a_full_disk(&mut fx, 600_000, "fix-lost_answer-v1").await;
    let id = "codex-fix-lost_answer-v1";
    let warnings = v["warnings"].to_string();
    assert!(warnings.contains("only the first"), "{warnings}");
    assert!(!warnings.contains("The result is complete"), "{warnings}");
    let (text, last, pages) = read_all_pages(&client, id).await;
    assert!(pages <= 3, "{pages} pages");
    assert_eq!(text.len(), 40_000, "what the record kept");
    let note = last["result"].as_str().unwrap();
    assert!(
        note.contains("560000 characters of the answer were lost"),
        "{note}"
    );
    assert!(last["next_offset"].is_null());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn every_failure_says_its_kind_and_what_to_do() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let cases = [
        (
            "@status 401 Incorrect API key provided",
            "authentication",
            false,
            "codex login",
        ),
        (
            "@status 429 Rate limit reached for requests",
            "rate_limit",
            true,
            "Wait",
        ),
    ];
    for (i, (prompt, kind, retryable, hint)) in cases.into_iter().enumerate() {
        let r = call(
            &client,
            "codex",
            task(prompt, &fx.work, &format!("review-fail_{i}-v1")),
        )
        .await;
        let v = body(&r);
        eprintln!("{}", v["failure"]);
        assert_eq!(v["status"], "failed", "{v}");
        assert_eq!(v["failure"]["kind"], kind, "{v}");
        assert_eq!(v["failure"]["retryable"], retryable);
        assert!(v["failure"]["hint"].as_str().unwrap().contains(hint), "{v}");
        // Codex's words are in `error`, once: `detail`, when present, adds only its stderr.
        let error = v["error"].as_str().unwrap();
        assert!(!error.is_empty(), "{v}");
        let detail = v["failure"]["detail"].as_str().unwrap_or_default();
        assert!(detail.is_empty() || !detail.contains(error), "{v}");
        assert_eq!(v["ended_by"], "codex");
    }
    let v = body(
        &call(
            &client,
            "codex",
            with_args(
                task("@answer x", &fx.work, "review-fail_model-v1"),
                json!({"model": "unknown-model-1"}),
            ),
        )
        .await,
    );
    assert_eq!(v["failure"]["kind"], "model_not_found", "{v}");
    assert!(v["failure"]["hint"].as_str().unwrap().contains("`model`"));
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retryable_failure_is_retried_by_resuming_the_session() {
    let fx = Fixture::new().await;
    let client = fx.client().await;
    let t0 = Instant::now();
    let v = call_body(
        &client,
        "codex",
        with_args(
            task(
                "@status 429 Rate limit reached",
                &fx.work,
                "review-retried-v1",
            ),
            json!({"retries": 2}),
        ),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["result"], "done");
    assert_eq!(v["attempts"][0]["attempt"], 1);
    assert_eq!(v["attempts"][0]["failure"], "rate_limit");
    assert_eq!(v["attempts"].as_array().unwrap().len(), 1);
    assert!(
        t0.elapsed() >= Duration::from_secs(2),
        "no pause before the retry"
    );
    // The retry resumed the same session, with the short prompt.
    let prompts = fx.model.prompts();
    assert!(
        prompts
            .iter()
            .any(|p| p.contains("Continue where you stopped")),
        "{prompts:?}"
    );
    let argv = read_meta(&fx, "codex-review-retried-v1")["argv"].clone();
    assert!(
        !argv.to_string().contains("resume"),
        "the record keeps the first command line"
    );
    // A failure that will not pass is not retried.
    let v = call_body(
        &client,
        "codex",
        with_args(
            task(
                "@status 401 Incorrect API key provided",
                &fx.work,
                "review-not_retried-v1",
            ),
            json!({"retries": 3}),
        ),
    )
    .await;
    assert_eq!(v["status"], "failed");
    assert!(v.get("attempts").is_none(), "{v}");
    client.cancel().await.unwrap();
}

fn with_args(mut args: serde_json::Value, extra: serde_json::Value) -> serde_json::Value {
    for (k, v) in extra.as_object().unwrap() {
        args[k] = v.clone();
    }
    args
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_inside_a_task_does_not_delegate_without_end() {
    let mut fx = Fixture::new().await;
    let client = fx.client().await;
    // Codex runs marked one level deep.
    let v = call_body(
        &client,
        "codex",
        task(
            "@shell echo depth=$CODEXMCP_DEPTH\n@answer seen",
            &fx.work,
            "review-depth-v1",
        ),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert!(
        fx.model
            .tool_outputs()
            .iter()
            .any(|o| o.contains("depth=1")),
        "{:?}",
        fx.model.tool_outputs()
    );
    client.cancel().await.unwrap();

    // A server started inside that task (it inherits the mark) refuses, saying why.
    fx.extra_env.push(("CODEXMCP_DEPTH".into(), "1".into()));
    let client = fx.client().await;
    let r = call(
        &client,
        "codex_dispatch",
        task("@answer x", &fx.work, "review-nested-v1"),
    )
    .await;
    assert!(is_error(&r));
    let text = error_text(&r);
    assert!(
        text.contains("CODEXMCP_MAX_DEPTH") && text.contains("depth 1"),
        "{text}"
    );
    client.cancel().await.unwrap();

    // Where nesting is intended, the limit can be raised.
    fx.extra_env.push(("CODEXMCP_MAX_DEPTH".into(), "2".into()));
    let client = fx.client().await;
    let v = call_body(
        &client,
        "codex",
        task("@answer nested", &fx.work, "review-nested-v2"),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn two_servers_share_a_capacity_of_three() {
    let mut fx = Fixture::new().await;
    fx.extra_env
        .push(("CODEXMCP_MAX_PARALLEL".into(), "3".into()));
    let a = std::sync::Arc::new(fx.client().await);
    let b = std::sync::Arc::new(fx.client().await);
    // Count this store's codex processes all along: each task records its Codex's pid.
    let tasks = fx.store_home.join("tasks");
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut most = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                most = most.max(codex_runs(&tasks));
                std::thread::sleep(Duration::from_millis(20));
            }
            most
        })
    };
    let mut calls = Vec::new();
    for i in 0..40 {
        let client = if i % 2 == 0 { a.clone() } else { b.clone() };
        let args = task(
            &format!("@delay_ms 300\n@answer answer {i}"),
            &fx.work,
            &format!("review-cap_{i}-v1"),
        );
        calls.push(tokio::spawn(async move {
            call_body(&client, "codex_dispatch", args).await
        }));
    }
    let mut ids = Vec::new();
    let mut queued = 0;
    for c in calls {
        let v = c.await.unwrap();
        if v["status"] == "queued" {
            queued += 1;
        }
        ids.push(v["task_id"].as_str().unwrap().to_string());
    }
    assert!(queued > 0, "with 40 tasks and 3 places, some must wait");
    // A queued task says where it stands.
    let last = call_body(&a, "codex_status", json!({"task_id": ids[39]})).await;
    if last["status"] == "queued" {
        assert!(last["queue_position"].as_u64().unwrap() >= 1, "{last}");
    }
    for chunk in ids.chunks(20) {
        let v = call_body(
            &b,
            "codex_status",
            json!({"task_ids": chunk, "wait_seconds": 300}),
        )
        .await;
        assert_eq!(v["ended"], 20, "{v}");
        for t in v["tasks"].as_array().unwrap() {
            assert_eq!(t["status"], "completed", "{t}");
        }
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let most = sampler.join().unwrap();
    eprintln!("measured: at most {most} codex processes ran at once (limit 3)");
    assert!((1..=3).contains(&most), "{most} codex processes at once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_queued_task_can_be_cancelled_and_starts_in_order_without_a_server() {
    let mut fx = Fixture::new().await;
    fx.extra_env
        .push(("CODEXMCP_MAX_PARALLEL".into(), "1".into()));
    let (client, server) = fx.client_and_pid(()).await;
    let first = call_body(
        &client,
        "codex_dispatch",
        task(
            "@shell sleep 2\n@answer first",
            &fx.work,
            "review-q_first-v1",
        ),
    )
    .await;
    assert_eq!(first["status"], "running");
    let mut waiting = Vec::new();
    for name in ["second", "third", "fourth"] {
        let v = call_body(
            &client,
            "codex_dispatch",
            task(
                &format!("@answer {name}"),
                &fx.work,
                &format!("review-q_{name}-v1"),
            ),
        )
        .await;
        assert_eq!(v["status"], "queued", "{v}");
        waiting.push(v["task_id"].as_str().unwrap().to_string());
    }
    let v = call_body(&client, "codex_status", json!({"task_id": waiting[1]})).await;
    assert_eq!(
        (v["status"].clone(), v["queue_position"].clone()),
        (json!("queued"), json!(2))
    );
    // Cancelled while it waits: it never runs.
    let c = call_body(&client, "codex_cancel", json!({"task_id": waiting[1]})).await;
    assert_eq!(c["status"], "cancelled", "{c}");
    // The queue goes on with no server at all.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(server as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    drop(client);
    let t0 = Instant::now();
    while read_meta(&fx, &waiting[2])["status"] != "completed" {
        assert!(t0.elapsed() < Duration::from_secs(60), "the queue stopped");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ended = |id: &str| read_meta(&fx, id)["ended_at_ms"].as_u64().unwrap();
    assert!(ended(first["task_id"].as_str().unwrap()) <= ended(&waiting[0]));
    assert!(
        ended(&waiting[0]) <= ended(&waiting[2]),
        "started out of order"
    );
    assert_eq!(read_meta(&fx, &waiting[1])["status"], "cancelled");
    assert!(
        !fx.model
            .prompts()
            .iter()
            .any(|p| p.contains("@answer third"))
    );
}

/// The Codex processes of the tasks in `tasks` (a store's folder) that are alive now: each
/// running task's recorded Codex pid.
fn codex_runs(tasks: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(tasks) else {
        return 0;
    };
    // Every Codex this store's tasks recorded, then one look at the processes that live: a
    // look task by task would count a Codex that ended between two reads beside the one that
    // took its place.
    let recorded: std::collections::HashSet<i32> = entries
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("meta.json")).ok())
        .filter_map(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .filter_map(|m| m["codex_pid"].as_i64())
        .map(|pid| pid as i32)
        .collect();
    let out = std::process::Command::new("ps")
        .args(["-A", "-o", "pid=,stat="])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let pid: i32 = f.next()?.parse().ok()?;
            let stat = f.next()?;
            (!stat.starts_with('Z')).then_some(pid)
        })
        .filter(|pid| recorded.contains(pid))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_read_only_fallback_audits_what_codex_changed() {
    let mut fx = Fixture::new().await;
    fx.use_bundled_model();
    fx.extra_env
        .push(("CODEXMCP_READONLY_FALLBACK".into(), "true".into()));
    init_repo(
        &fx.work,
        &[("README.md", "hello\n"), ("src/lib.rs", "fn a() {}\n")],
    );
    let client = fx.client().await;
    let audit = |v: &serde_json::Value| v["readonly_audit"].clone();

    let clean = call_body(
        &client,
        "codex",
        task(
            "@shell cat README.md\n@answer looks fine",
            &fx.work,
            "review-clean-v1",
        ),
    )
    .await;
    assert_eq!(clean["status"], "completed", "{clean}");
    assert_eq!(audit(&clean)["verdict"], "CLEAN", "{clean}");
    assert_eq!(audit(&clean)["mode"], "fallback");
    assert_eq!(audit(&clean)["violations_detected"], 0);
    assert!(
        clean["warnings"]
            .to_string()
            .contains("CODEXMCP_READONLY_FALLBACK")
    );
    assert!(
        fx.model.prompts()[0].starts_with("IMPORTANT: this is a read-only task"),
        "Codex was not told to change nothing"
    );

    let shell = call_body(
        &client,
        "codex",
        task(
            "@shell echo x > notes.txt\n@answer wrote",
            &fx.work,
            "review-shell_write-v1",
        ),
    )
    .await;
    let a = audit(&shell);
    assert_eq!(a["verdict"], "VIOLATION", "{shell}");
    let found = a["violations"].to_string();
    assert!(found.contains("created: notes.txt"), "{found}");
    assert!(found.contains("command that writes"), "{found}");

    let patch = call_body(
        &client,
        "codex",
        task(
            "@add_file patched.txt hi\n@answer added",
            &fx.work,
            "review-patch_write-v1",
        ),
    )
    .await;
    let found = audit(&patch)["violations"].to_string();
    assert_eq!(audit(&patch)["verdict"], "VIOLATION", "{patch}");
    assert!(found.contains("created: patched.txt"), "{found}");
    assert!(found.contains("file change by codex"), "{found}");

    let deleted = call_body(
        &client,
        "codex",
        task(
            "@shell rm src/lib.rs\n@answer removed",
            &fx.work,
            "review-delete-v1",
        ),
    )
    .await;
    let found = audit(&deleted)["violations"].to_string();
    assert!(found.contains("deleted: src/lib.rs"), "{found}");
    // The audit is kept in the record: a later status says the same.
    let again = call_body(
        &client,
        "codex_status",
        json!({"task_id": deleted["task_id"]}),
    )
    .await;
    assert_eq!(again["readonly_audit"], audit(&deleted));

    // Outside git, files are compared by their hashes.
    let plain = fx.tmp.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    std::fs::write(plain.join("data.txt"), "1\n").unwrap();
    let v = call_body(
        &client,
        "codex",
        task(
            "@shell printf '2\\n' >> data.txt\n@answer appended",
            &plain,
            "review-plain-v1",
        ),
    )
    .await;
    let found = audit(&v)["violations"].to_string();
    assert!(found.contains("modified: data.txt"), "{found}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blocking_call_on_a_queued_task_says_where_it_waits() {
    let mut fx = Fixture::new().await;
    fx.extra_env
        .push(("CODEXMCP_MAX_PARALLEL".into(), "1".into()));
    let (client, rec) = recording_client(&fx).await;
    let first = call_body(
        &client,
        "codex_dispatch",
        task("@shell sleep 4\n@answer first", &fx.work, "review-busy-v1"),
    )
    .await;
    assert_eq!(first["status"], "running");
    let v = call_body(
        &client,
        "codex",
        task("@answer waited my turn", &fx.work, "review-waiting-v1"),
    )
    .await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["result"], "waited my turn");
    assert!(
        rec.messages()
            .iter()
            .any(|m| m.starts_with("queued, position 1")),
        "{:?}",
        rec.messages()
    );
    client.cancel().await.unwrap();
}
