//! The npm packages, packed from this build with `scripts/npm-pack.sh` and installed offline with
//! npm into a temporary prefix: the installed `codex-mcp` answers `--version` and an MCP
//! `initialize`, with the native binary in the launcher's place, and through the Node launcher
//! when install scripts are skipped.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::support::*;

fn host_platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let cpu = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{os}-{cpu}")
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Packs the main package and this platform's, with the binary under test inside: once per
/// test run, under target/ (the tarballs are only read).
fn pack() -> &'static [PathBuf] {
    static PACKS: std::sync::OnceLock<Vec<PathBuf>> = std::sync::OnceLock::new();
    PACKS.get_or_init(|| {
        // One folder per test process (a runner may start one per test), and none left
        // behind by processes that have ended.
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("npm-packs");
        for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            let pid = entry.file_name().to_string_lossy().parse::<i32>();
            if pid.is_ok_and(|pid| !pid_alive(pid)) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        pack_into(&root.join(std::process::id().to_string()))
    })
}

fn pack_into(out: &Path) -> Vec<PathBuf> {
    let binary = format!("{}={}", host_platform(), env!("CARGO_BIN_EXE_codex-mcp"));
    let printed = run(Command::new(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/npm-pack.sh"),
    )
    .args(["--out", &out.display().to_string(), "--binary", &binary]));
    let tarballs: Vec<PathBuf> = printed.lines().map(PathBuf::from).collect();
    assert_eq!(tarballs.len(), 2, "{printed}");
    assert!(tarballs.iter().all(|t| t.exists()), "{printed}");
    tarballs
}

/// `npm install` of the tarballs, offline, with a cache of its own.
fn npm_install(root: &Path, prefix: &Path, extra: &[&str], tarballs: &[PathBuf]) {
    let mut cmd = Command::new("npm");
    cmd.args([
        "install",
        "--offline",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
    ])
    .args(extra)
    .arg("--cache")
    .arg(root.join("npm-cache"))
    .arg("--prefix")
    .arg(prefix)
    .args(tarballs)
    .env("npm_config_update_notifier", "false");
    run(&mut cmd);
}

/// Proves the installed command: `--version`, then a whole MCP handshake through it.
async fn answers(fx: &Fixture, command: &Path) {
    let version = run(Command::new(command).arg("--version"));
    assert_eq!(
        version.trim(),
        format!("codex-mcp {}", env!("CARGO_PKG_VERSION"))
    );
    let (client, _) = fx.client_of(fx.command_of(command, &[]), ()).await;
    let info = client.peer_info().expect("initialize result");
    let server = info.server_info.clone().expect("server_info");
    assert_eq!(server.name, "codex-mcp");
    assert_eq!(server.version, env!("CARGO_PKG_VERSION"));
    let tools = client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "codex_dispatch"));
    client.cancel().await.unwrap();
}

fn is_script(path: &Path) -> bool {
    std::fs::read(path).unwrap().starts_with(b"#!")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_npm_package_installs_and_serves_mcp() {
    let fx = Fixture::new().await;
    let root = fx.tmp.path().canonicalize().unwrap();
    let tarballs = pack();

    // A global install, as `npm install -g codex-mcp` does it.
    let prefix = root.join("global");
    npm_install(&root, &prefix, &["--global"], tarballs);
    let command = prefix.join("bin/codex-mcp");
    // The postinstall step put the native binary where npm linked the command.
    assert!(!is_script(&command), "the Node launcher is still in place");
    answers(&fx, &command).await;

    // `install` registers what this installation really runs, by absolute path.
    let via_npm = Command::new(&command)
        .args(["install", "cursor", "--dry-run"])
        .env("HOME", &fx.home)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&via_npm.stdout);
    let registered = prefix
        .join("lib/node_modules/codex-mcp/bin/codex-mcp")
        .canonicalize()
        .unwrap();
    assert!(
        said.contains(&format!("\"command\": \"{}\"", registered.display())),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_install_scripts_the_launcher_runs_the_binary() {
    let fx = Fixture::new().await;
    let root = fx.tmp.path().canonicalize().unwrap();
    let tarballs = pack();
    let prefix = root.join("project");
    npm_install(&root, &prefix, &["--ignore-scripts"], tarballs);
    let command = prefix.join("node_modules/.bin/codex-mcp");
    assert!(is_script(&command), "expected the Node launcher");
    answers(&fx, &command).await;

    // Arguments and exit status pass through.
    let out = Command::new(&command)
        .arg("no-such-command")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    // A client stops its server by signalling what it started: the launcher. The server must
    // not outlive it.
    let native = prefix.join("node_modules/@codex-mcp").join(host_platform());
    let native = native.join("bin/codex-mcp").display().to_string();
    let mut launcher = Command::new(&command)
        .envs(fx.env())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while pids_matching(&native).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the server never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(launcher.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = launcher.wait().unwrap();
    assert!(!status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !pids_matching(&native).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the server outlived its launcher"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn every_manifest_carries_the_crate_version() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let version = env!("CARGO_PKG_VERSION");
    let read = |p: &Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    let main = read(&root.join("npm/codex-mcp/package.json"));
    assert_eq!(main["version"], version);
    assert_eq!(main["bin"]["codex-mcp"], "bin/codex-mcp");
    let deps = main["optionalDependencies"].as_object().unwrap();
    let platforms: Vec<String> = std::fs::read_dir(root.join("npm/platforms"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(deps.len(), platforms.len());
    for p in &platforms {
        let manifest = read(&root.join("npm/platforms").join(p).join("package.json"));
        let name = format!("@codex-mcp/{p}");
        assert_eq!(manifest["name"], name);
        assert_eq!(manifest["version"], version, "{name}");
        assert_eq!(deps[&name], version, "{name} in optionalDependencies");
    }
    // The MCP registry entry describes this npm package, and npm's manifest names it back.
    let server = read(&root.join("server.json"));
    assert_eq!(server["version"], version);
    assert_eq!(server["name"], main["mcpName"]);
    let package = &server["packages"][0];
    assert_eq!(package["registryType"], "npm");
    assert_eq!(package["identifier"], main["name"]);
    assert_eq!(package["version"], version);
    assert_eq!(package["transport"]["type"], "stdio");
    assert!(server["description"].as_str().unwrap().chars().count() <= 100);
}
