//! Every program codex-mcp starts begins with a clean slate of signals: an empty signal mask
//! and the default disposition for every signal. The supervisor blocks SIGTERM, SIGINT and SIGHUP
//! for its own signal handling, and a blocked or ignored signal survives `exec`: without this,
//! Codex and every command it runs would ignore `timeout`'s TERM, and codex-mcp's own "TERM,
//! then KILL" would always fall through to KILL.

use std::os::unix::process::CommandExt;

use nix::sys::signal::{SigSet, SigmaskHow};

/// Makes the child that `cmd` starts reset its signal mask and dispositions before it runs.
pub(crate) fn with_clean_signals(cmd: &mut std::process::Command) -> &mut std::process::Command {
    // SAFETY: between fork and exec the hook only calls sigprocmask and sigaction, both
    // async-signal-safe, and allocates nothing.
    unsafe { cmd.pre_exec(reset_signals) }
}

/// The highest signal number there is: the real-time signals too, on Linux.
#[cfg(target_os = "linux")]
const LAST_SIGNAL: i32 = 64;
#[cfg(not(target_os = "linux"))]
const LAST_SIGNAL: i32 = 31;

fn reset_signals() -> std::io::Result<()> {
    use nix::libc;
    for signal in 1..=LAST_SIGNAL {
        if signal == libc::SIGKILL || signal == libc::SIGSTOP {
            continue;
        }
        // SAFETY: a zeroed sigaction is SIG_DFL with no flags and an empty mask; installing
        // it runs no code of ours. Numbers the C library reserves are refused, harmlessly.
        unsafe {
            let mut default: libc::sigaction = std::mem::zeroed();
            default.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(signal, &default, std::ptr::null_mut());
        }
    }
    nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)?;
    Ok(())
}

/// Runs `argv` in a process group of its own, clean of signals, with `input` on its standard
/// input, for at most `limit`; then, or as soon as it has ended, stops whatever is left of its
/// group (TERM, then KILL). Returns whether it ended by itself in time. This is how the
/// `CODEXMCP_NOTIFY` program runs: a program that hangs, or leaves something behind, leaks
/// nothing, and what it is told is in no process's arguments.
pub(crate) fn run_with_time_limit(
    argv: &[String],
    input: &[u8],
    limit: std::time::Duration,
) -> bool {
    use std::time::{Duration, Instant};
    let Some((program, args)) = argv.split_first() else {
        return false;
    };
    let mut cmd = std::process::Command::new(program);
    with_clean_signals(&mut cmd)
        .args(args)
        .process_group(0)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let Ok(mut child) = cmd.spawn() else {
        return false;
    };
    if let Some(mut stdin) = child.stdin.take() {
        let input = input.to_vec();
        // A program that does not read its input must not hold this up.
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&input);
        });
    }
    let group = nix::unistd::Pid::from_raw(child.id() as i32);
    let deadline = Instant::now() + limit;
    let in_time = loop {
        match child.try_wait() {
            Ok(Some(_)) => break true,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            _ => break false,
        }
    };
    let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGTERM);
    if !in_time {
        std::thread::sleep(Duration::from_millis(500));
    }
    let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
    let _ = child.wait();
    in_time
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, Signal};

    #[test]
    fn a_hanging_program_and_what_it_left_are_stopped_at_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("child-pid");
        let script = format!("sleep 30 & echo $! > '{}'; sleep 30", marker.display());
        let argv = ["sh".to_string(), "-c".to_string(), script];
        let t0 = std::time::Instant::now();
        assert!(!run_with_time_limit(
            &argv,
            b"{}",
            std::time::Duration::from_millis(300)
        ));
        assert!(t0.elapsed() < std::time::Duration::from_secs(5));
        let pid: i32 = std::fs::read_to_string(&marker)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        // Gone, or a zombie waiting for whoever adopted it.
        let state = std::process::Command::new("ps")
            .args(["-o", "stat=", "-p", &pid.to_string()])
            .output()
            .unwrap();
        let state = String::from_utf8_lossy(&state.stdout);
        assert!(
            state.trim().is_empty() || state.trim_start().starts_with('Z'),
            "the program's own child survived: {state}"
        );
        let quick = ["true".to_string()];
        assert!(run_with_time_limit(
            &quick,
            b"{}",
            std::time::Duration::from_secs(5)
        ));
    }

    #[test]
    fn a_child_starts_with_nothing_blocked_or_ignored() {
        // This test's own thread blocks TERM and ignores USR1, as the supervisor does.
        let mut blocked = SigSet::empty();
        blocked.add(Signal::SIGTERM);
        blocked.thread_block().unwrap();
        let ignore = SigAction::new(SigHandler::SigIgn, SaFlags::empty(), SigSet::empty());
        // SAFETY: ignoring a signal installs no handler code.
        let before = unsafe { nix::sys::signal::sigaction(Signal::SIGUSR1, &ignore) }.unwrap();
        let shell = "grep -E '^(SigBlk|SigIgn)' /proc/self/status 2>/dev/null || echo none";
        let out = with_clean_signals(std::process::Command::new("sh").args(["-c", shell]))
            .output()
            .unwrap();
        blocked.thread_unblock().unwrap();
        // SAFETY: restores what was there.
        unsafe { nix::sys::signal::sigaction(Signal::SIGUSR1, &before) }.unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        if cfg!(target_os = "linux") {
            assert!(text.contains("SigBlk:\t0000000000000000"), "{text}");
            // Signals 32 and 33 belong to the C library (thread cancellation), out of reach
            // of sigaction; every signal a program can be sent by name is default.
            let ignored = text
                .lines()
                .find_map(|l| l.strip_prefix("SigIgn:\t"))
                .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
                .unwrap_or(u64::MAX);
            assert_eq!(ignored & 0x7fff_ffff, 0, "{text}");
        }
    }
}
