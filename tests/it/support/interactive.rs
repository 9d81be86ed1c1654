//! Interactive Claude Code, run as a person runs it: in a terminal (a detached tmux session on
//! the test's own tmux server, 200×50), with the built server as its only MCP server and the
//! scripted Anthropic API as its model. The test types into it and reads its screen.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::Fixture;
use super::anthropic::ScriptedClaude;

/// The API key Claude Code is given (and told to trust without asking).
const API_KEY: &str = "sk-ant-scripted-interactive";

pub struct InteractiveClaude<'a> {
    fx: &'a Fixture,
    session: String,
}

impl<'a> InteractiveClaude<'a> {
    /// Starts Claude Code in `fx.work` with `server_env` added to the server's environment,
    /// and waits until it is ready for input.
    pub fn start(
        fx: &'a Fixture,
        claude: &Path,
        api: &ScriptedClaude,
        server_env: &[(&str, &str)],
    ) -> InteractiveClaude<'a> {
        trust_workspace(fx);
        let config = mcp_config(fx, server_env);
        let session = "claude-interactive".to_string();
        let mut cmd = fx.person_tmux();
        cmd.args(["new-session", "-d", "-s", &session, "-x", "200", "-y", "50"]);
        let mut env: Vec<(String, String)> = fx.env();
        env.extend(
            [
                ("ANTHROPIC_BASE_URL", api.base_url().as_str()),
                ("ANTHROPIC_API_KEY", API_KEY),
                ("IS_SANDBOX", "1"),
                ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
                ("DISABLE_AUTOUPDATER", "1"),
                ("DISABLE_TELEMETRY", "1"),
                ("DISABLE_ERROR_REPORTING", "1"),
                ("TERM", "xterm-256color"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        if !env.iter().any(|(k, _)| k == "PATH") {
            env.push(("PATH".into(), std::env::var("PATH").unwrap_or_default()));
        }
        for (k, v) in &env {
            cmd.args(["-e", &format!("{k}={v}")]);
        }
        cmd.args(["-c", &fx.work.display().to_string(), "--"]);
        cmd.arg(claude).args([
            "--mcp-config",
            &config.display().to_string(),
            "--strict-mcp-config",
            "--allowedTools",
            "mcp__codex",
        ]);
        let ok = cmd.status().unwrap();
        assert!(ok.success(), "could not start Claude Code in tmux");
        let me = InteractiveClaude { fx, session };
        me.wait_for_screen(Duration::from_secs(60), |s| {
            s.contains("shift+tab") || s.contains("for shortcuts")
        });
        me
    }

    /// What the terminal shows now.
    pub fn screen(&self) -> String {
        let out = self
            .fx
            .person_tmux()
            .args(["capture-pane", "-p", "-t", &format!("={}:", self.session)])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen satisfies `pred`; returns it.
    pub fn wait_for_screen(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            assert!(
                start.elapsed() < timeout,
                "Claude Code's screen never showed what was awaited:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Presses one key (tmux's name for it: `Enter`, `Escape`, `Down`…).
    pub fn press(&self, key: &str) {
        let target = format!("={}:", self.session);
        let ok = self
            .fx
            .person_tmux()
            .args(["send-keys", "-t", &target, key])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Types `text` as a person does, then Enter.
    pub fn type_line(&self, text: &str) {
        let target = format!("={}:", self.session);
        let ok = self
            .fx
            .person_tmux()
            .args(["send-keys", "-t", &target, "-l", text])
            .status()
            .unwrap();
        assert!(ok.success());
        std::thread::sleep(Duration::from_millis(300));
        let ok = self
            .fx
            .person_tmux()
            .args(["send-keys", "-t", &target, "Enter"])
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

impl Drop for InteractiveClaude<'_> {
    fn drop(&mut self) {
        let _ = self
            .fx
            .person_tmux()
            .args(["kill-session", "-t", &format!("={}", self.session)])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// A HOME in which Claude Code has been set up and trusts the project folder and the key.
fn trust_workspace(fx: &Fixture) {
    let state = json!({
        "hasCompletedOnboarding": true,
        "theme": "dark",
        "customApiKeyResponses": {
            "approved": [API_KEY, &API_KEY[API_KEY.len() - 20..]],
            "rejected": []
        },
        "projects": {
            fx.work.display().to_string(): {
                "hasTrustDialogAccepted": true,
                "hasCompletedProjectOnboarding": true
            }
        }
    });
    std::fs::write(
        fx.home.join(".claude.json"),
        serde_json::to_string_pretty(&state).unwrap(),
    )
    .unwrap();
}

/// The `--mcp-config` file: this build as server `codex`, with the fixture's environment.
fn mcp_config(fx: &Fixture, server_env: &[(&str, &str)]) -> PathBuf {
    let mut env: serde_json::Map<String, Value> = fx
        .env()
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    for (k, v) in server_env {
        env.insert(k.to_string(), Value::String(v.to_string()));
    }
    let config = json!({"mcpServers": {"codex": {
        "type": "stdio",
        "command": env!("CARGO_BIN_EXE_codex-mcp"),
        "args": [],
        "env": env
    }}});
    let path = fx.tmp.path().join("mcp-config.json");
    std::fs::write(&path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    path
}
