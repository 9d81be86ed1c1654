//! Running a helper program (codex, git, tmux, claude) to its end, with a time limit, for the
//! code that asks other programs something; and the one check of whether Codex's sandbox starts
//! here, which `doctor` reports and a failed task's cause is held to.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `program args…` with a time limit; its stdout (or stderr) and whether it succeeded.
pub fn probe(program: &Path, args: &[&str], cwd: Option<&Path>) -> (bool, String) {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    let Ok(mut child) = cmd.spawn() else {
        return (false, format!("{} cannot be run", program.display()));
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return (false, "did not answer within 30 s".into());
            }
        }
    }
    let Ok(out) = child.wait_with_output() else {
        return (false, "its output could not be read".into());
    };
    let text = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .lines()
            .filter(|l| !l.starts_with("WARNING: proceeding"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    let said = if stdout.trim().is_empty() {
        stderr
    } else {
        stdout
    };
    (out.status.success(), said.trim().to_string())
}

/// Whether Codex's read-only sandbox starts on this machine: `codex sandbox -- /bin/sh -c 'exit
/// 0'`, or, for a Codex whose sandbox command takes the platform (`codex sandbox linux …`,
/// 0.130 and older), that form. `Err` says what it said.
pub fn sandbox_starts(codex: &Path) -> Result<(), String> {
    let dir = std::env::temp_dir();
    let run = ["--", "/bin/sh", "-c", "exit 0"];
    // By absolute path: the check is about the sandbox, not about what PATH holds.
    let (ok, said) = probe(codex, &[&["sandbox"][..], &run].concat(), Some(&dir));
    if ok {
        return Ok(());
    }
    let older =
        said.contains("subcommand") || said.contains("unrecognized") || said.contains("Usage");
    if older {
        let platform = if cfg!(target_os = "macos") {
            "macos"
        } else {
            "linux"
        };
        let (ok, said_too) = probe(
            codex,
            &[&["sandbox", platform][..], &run].concat(),
            Some(&dir),
        );
        if ok {
            return Ok(());
        }
        return Err(said_too);
    }
    Err(said)
}
