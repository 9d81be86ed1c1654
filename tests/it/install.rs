//! `codex-mcp install` / `uninstall`: Cursor's mcp.json edited without losing anything, and
//! Claude Code (the real, pinned CLI) registering the binary and connecting to it.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::*;

/// The path a client must run: the built binary, resolved.
fn this_binary() -> String {
    Path::new(env!("CARGO_BIN_EXE_codex-mcp"))
        .canonicalize()
        .unwrap()
        .display()
        .to_string()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn cursor_gets_an_entry_that_runs_this_binary_and_loses_nothing() {
    let fx = Fixture::new().await;
    let file = fx.home.join(".cursor/mcp.json");

    // Nothing there yet: --dry-run shows the file and writes nothing.
    let (code, out, err) = fx.cli(&["install", "cursor", "--dry-run"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("would write") && out.contains(&this_binary()),
        "{out}"
    );
    assert!(!file.exists());

    let (code, out, err) = fx
        .cli(&["install", "cursor", "-e", "CODEXMCP_MAX_PARALLEL=2"])
        .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("added codex"), "{out}");
    assert_eq!(
        read_json(&file),
        json!({"mcpServers": {"codex": {
            "command": this_binary(), "args": [], "env": {"CODEXMCP_MAX_PARALLEL": "2"}
        }}})
    );
    assert_eq!(mode(&file), 0o600, "a new file may hold secrets in env");

    // The same again changes nothing and says so.
    let before = std::fs::read_to_string(&file).unwrap();
    let (code, out, _) = fx
        .cli(&["install", "cursor", "-e", "CODEXMCP_MAX_PARALLEL=2"])
        .await;
    assert_eq!(code, 0);
    assert!(out.contains("nothing changed"), "{out}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);

    let (code, out, _) = fx.cli(&["uninstall", "cursor"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("removed codex"), "{out}");
    // The file install made held nothing else: no `{"mcpServers": {}}` is left behind.
    assert!(
        !file.exists(),
        "{}",
        std::fs::read_to_string(&file).unwrap_or_default()
    );
    let (code, out, _) = fx.cli(&["uninstall", "cursor"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("nothing to remove"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cursor_keeps_every_other_entry_and_key_in_their_order() {
    let fx = Fixture::new().await;
    let dir = fx.home.join(".cursor");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mcp.json");
    let original = "{\n  \"theme\": \"dark\",\n  \"mcpServers\": {\n    \"zeta\": {\n      \"command\": \"zeta-server\",\n      \"args\": [\n        \"--port\",\n        \"1\"\n      ]\n    },\n    \"alpha\": {\n      \"url\": \"http://localhost:9/mcp\"\n    }\n  },\n  \"extra\": [\n    1,\n    2\n  ]\n}\n";
    std::fs::write(&file, original).unwrap();
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();

    let (code, _, err) = fx.cli(&["install", "cursor"]).await;
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&file).unwrap();
    let order: Vec<usize> = [
        "\"theme\"",
        "\"zeta\"",
        "\"alpha\"",
        "\"codex\"",
        "\"extra\"",
    ]
    .iter()
    .map(|k| text.find(k).unwrap_or_else(|| panic!("{k} lost:\n{text}")))
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "order changed:\n{text}"
    );
    let doc = read_json(&file);
    assert_eq!(doc["mcpServers"]["zeta"]["args"], json!(["--port", "1"]));
    assert_eq!(doc["mcpServers"]["codex"]["command"], json!(this_binary()));
    assert_eq!(mode(&file), 0o640, "an existing file keeps its permissions");

    // Uninstall undoes exactly that: the file is as it was, byte for byte.
    let (code, _, _) = fx.cli(&["uninstall", "cursor"]).await;
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);
}

#[tokio::test(flavor = "multi_thread")]
async fn cursor_files_that_are_not_json_or_hold_another_codex_are_left_alone() {
    let fx = Fixture::new().await;
    let project = fx.work.join("proj");
    std::fs::create_dir_all(project.join(".cursor")).unwrap();
    let file = project.join(".cursor/mcp.json");
    let broken = "{ \"mcpServers\": { \"x\": { \"command\": \"x\", } }\n";
    std::fs::write(&file, broken).unwrap();
    let proj = project.display().to_string();

    let (code, out, err) = fx.cli(&["install", "cursor", "--project", &proj]).await;
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("not valid JSON") && err.contains("left as it is") && err.contains("line 1"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), broken);

    // Someone else's server under the same name: kept unless --force.
    std::fs::write(
        &file,
        r#"{"mcpServers": {"codex": {"command": "npx", "args": ["-y", "codex-mcp-server"]}}}"#,
    )
    .unwrap();
    let (code, _, err) = fx.cli(&["install", "cursor", "--project", &proj]).await;
    assert_eq!(code, 1);
    assert!(
        err.contains("already has a server named codex") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(read_json(&file)["mcpServers"]["codex"]["command"], "npx");
    let (code, out, err) = fx
        .cli(&["install", "cursor", "--project", &proj, "--force"])
        .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("replaced codex"), "{out}");
    assert_eq!(
        read_json(&file)["mcpServers"]["codex"],
        json!({"command": this_binary(), "args": []})
    );
    // Another name sits beside it.
    let (code, _, _) = fx
        .cli(&["install", "cursor", "--project", &proj, "--name", "codex-b"])
        .await;
    assert_eq!(code, 0);
    let servers = read_json(&file)["mcpServers"].clone();
    assert!(servers["codex"].is_object() && servers["codex-b"].is_object());

    let (code, _, err) = fx
        .cli(&["install", "cursor", "--project", "/no/such/dir"])
        .await;
    assert_eq!(code, 1);
    assert!(err.contains("--project /no/such/dir"), "{err}");
    let (code, _, err) = fx.cli(&["install", "cursor", "-e", "9X=1"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("NAME=VALUE"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_symlinked_cursor_file_is_written_through_to_its_target() {
    let fx = Fixture::new().await;
    let dotfiles = fx.home.join("dotfiles");
    std::fs::create_dir_all(&dotfiles).unwrap();
    std::fs::create_dir_all(fx.home.join(".cursor")).unwrap();
    let real = dotfiles.join("mcp.json");
    std::fs::write(&real, "{}").unwrap();
    let link = fx.home.join(".cursor/mcp.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();

    let (code, _, err) = fx.cli(&["install", "cursor"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        read_json(&real)["mcpServers"]["codex"]["command"],
        json!(this_binary())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn codex_as_the_client_is_refused_with_the_reason() {
    let fx = Fixture::new().await;
    let (code, _, err) = fx.cli(&["install", "codex"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("delegating to itself"), "{err}");
    let (code, _, err) = fx.cli(&["uninstall", "codex"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("delegating to itself"), "{err}");
}

/// Runs the pinned `claude` with the fixture's HOME, in its work directory.
fn claude(fx: &Fixture, claude: &Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(claude)
        .args(args)
        .envs(fx.env())
        .env_remove("CLAUDE_CONFIG_DIR")
        .current_dir(&fx.work)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn claude_code_registers_the_binary_and_connects_to_it() {
    let mut fx = Fixture::new().await;
    let bin = fx.use_claude();

    let (code, out, err) = fx
        .cli(&["install", "claude", "-e", "CODEXMCP_MAX_PARALLEL=3"])
        .await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("registered codex with Claude Code (user scope)"),
        "{out}"
    );

    // Claude Code starts the server and completes the MCP handshake with it.
    let (ok, listed) = claude(&fx, &bin, &["mcp", "list"]);
    assert!(ok, "{listed}");
    let line = listed
        .lines()
        .find(|l| l.starts_with("codex:"))
        .unwrap_or_else(|| panic!("codex is not listed:\n{listed}"));
    assert!(
        line.contains(&this_binary()) && line.contains("✔ Connected"),
        "{listed}"
    );
    let (_, got) = claude(&fx, &bin, &["mcp", "get", "codex"]);
    assert!(got.contains("CODEXMCP_MAX_PARALLEL=3"), "{got}");

    // Again: already there, nothing changes. A different entry needs --force.
    let (code, out, _) = fx
        .cli(&["install", "claude", "-e", "CODEXMCP_MAX_PARALLEL=3"])
        .await;
    assert_eq!(code, 0);
    assert!(out.contains("nothing changed"), "{out}");
    let (code, _, err) = fx.cli(&["install", "claude"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("--force"), "{err}");
    let (code, out, err) = fx.cli(&["install", "claude", "--force"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("replaced"), "{out}");
    let (_, got) = claude(&fx, &bin, &["mcp", "get", "codex"]);
    assert!(!got.contains("CODEXMCP_MAX_PARALLEL"), "{got}");

    // Project scope writes the project's .mcp.json, which waits for approval.
    let (code, out, err) = fx.cli(&["install", "claude", "--scope", "project"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("approve"), "{out}");
    // Shared through git: it names `codex-mcp` from each person's PATH, and says why.
    assert_eq!(
        read_json(&fx.work.join(".mcp.json"))["mcpServers"]["codex"]["command"],
        json!("codex-mcp")
    );
    assert!(out.contains("shared through git"), "{out}");

    let (code, out, _) = fx.cli(&["uninstall", "claude"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("removed codex"), "{out}");
    let (code, _, _) = fx.cli(&["uninstall", "claude", "--scope", "project"]).await;
    assert_eq!(code, 0);
    assert!(
        !fx.work.join(".mcp.json").exists(),
        "an empty .mcp.json was left behind"
    );
    let (_, listed) = claude(&fx, &bin, &["mcp", "list"]);
    assert!(!listed.contains("codex:"), "{listed}");
    let (code, out, _) = fx.cli(&["uninstall", "claude"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("nothing to remove"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_claude_on_path_install_says_how() {
    let mut fx = Fixture::new().await;
    let empty = fx.work.join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    fx.extra_env
        .push(("PATH".into(), empty.display().to_string()));
    let (code, out, err) = fx.cli(&["install", "claude", "-e", "A=1"]).await;
    assert_eq!(code, 1, "{out}");
    let how = format!(
        "claude mcp add --scope user codex -e A=1 -- {}",
        this_binary()
    );
    assert!(err.contains("not on PATH") && err.contains(&how), "{err}");
    let (code, out, _) = fx.cli(&["install", "claude", "--dry-run"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("would run"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_tells_a_registration_that_no_longer_starts_the_server() {
    let fx = Fixture::new().await;
    let (code, _, err) = fx.cli(&["install", "cursor"]).await;
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = fx.cli(&["doctor"]).await;
    let line = |out: &str, name: &str| {
        out.lines()
            .find(|l| l.chars().skip(2).collect::<String>().starts_with(name))
            .unwrap_or_else(|| panic!("no {name} line:\n{out}"))
            .to_string()
    };
    let cursor = line(&out, "cursor");
    assert!(
        cursor.starts_with('✔') && cursor.contains(&this_binary()),
        "{out}"
    );
    assert!(
        line(&out, "claude").contains("codex-mcp install claude"),
        "{out}"
    );

    // The binary moved (an upgrade, a deleted clone): the client would fail silently.
    let file = fx.home.join(".cursor/mcp.json");
    std::fs::write(
        &file,
        r#"{"mcpServers": {"codex": {"command": "/opt/gone/codex-mcp"}}}"#,
    )
    .unwrap();
    let (code, out, _) = fx.cli(&["doctor"]).await;
    assert_eq!(code, 1, "{out}");
    let cursor = line(&out, "cursor");
    assert!(
        cursor.starts_with('✘')
            && cursor.contains("/opt/gone/codex-mcp")
            && cursor.contains("codex-mcp install cursor --force"),
        "{out}"
    );

    // Through npx: works, but slow to start; said, with the fix.
    std::fs::write(
        &file,
        r#"{"mcpServers": {"codex": {"command": "npx", "args": ["-y", "codex-mcp"]}}}"#,
    )
    .unwrap();
    let (_, out, _) = fx.cli(&["doctor"]).await;
    let cursor = line(&out, "cursor");
    assert!(
        cursor.contains("npx") && cursor.contains("--force"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn odd_cursor_files_are_refused_at_once_and_a_dangling_link_is_written_through() {
    let fx = Fixture::new().await;
    let file = fx.home.join(".cursor/mcp.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    // A named pipe: reading it would wait for a writer for ever.
    nix::unistd::mkfifo(&file, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let t0 = std::time::Instant::now();
    let (code, out, err) = fx.cli(&["install", "cursor"]).await;
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("named pipe"), "{err}");
    let (_, doctor, doctor_err) = fx.cli(&["doctor"]).await;
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(20),
        "{doctor}{doctor_err}"
    );
    // A link to a device is not read either.
    std::fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &file).unwrap();
    let (code, _, err) = fx.cli(&["install", "cursor"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("device"), "{err}");
    // A dangling link (dotfiles, before their file exists) is written through to its target.
    std::fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink("../dotfiles/cursor-mcp.json", &file).unwrap();
    let (code, out, err) = fx.cli(&["install", "cursor"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        std::fs::symlink_metadata(&file)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let target = fx.home.join("dotfiles/cursor-mcp.json");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert!(
        written["mcpServers"]["codex"]["command"].is_string(),
        "{written}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn install_cursor_keeps_the_files_formatting_and_a_suggestion_keeps_the_flags() {
    let fx = Fixture::new().await;
    let file = fx.home.join(".cursor/mcp.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let mine = "{\n  \"mcpServers\": {\n    \"tiny\": {\"command\": \"tiny\", \"args\": []}\n  },\n  \"theme\":   \"dark\"\n}\n";
    std::fs::write(&file, mine).unwrap();
    let (code, out, err) = fx.cli(&["install", "cursor"]).await;
    assert_eq!(code, 0, "{out}{err}");
    let text = std::fs::read_to_string(&file).unwrap();
    // The one-line entry and the odd spacing are the person's: they stay as they were.
    assert!(
        text.contains("\"tiny\": {\"command\": \"tiny\", \"args\": []},\n"),
        "{text}"
    );
    assert!(text.contains("\"theme\":   \"dark\""), "{text}");
    assert!(read_json(&file)["mcpServers"]["codex"]["command"].is_string());
    // A different entry of the same name is left alone; the way to replace it keeps the flags.
    let (code, _, err) = fx
        .cli(&["install", "cursor", "-e", "CODEXMCP_MAX_PARALLEL=2"])
        .await;
    assert_ne!(code, 0);
    assert!(
        err.contains("codex-mcp install cursor -e CODEXMCP_MAX_PARALLEL=2 --force"),
        "{err}"
    );
    // Uninstall takes out only its entry.
    let (code, _, _) = fx.cli(&["uninstall", "cursor"]).await;
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), mine);
}
