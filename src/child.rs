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

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, Signal};

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
