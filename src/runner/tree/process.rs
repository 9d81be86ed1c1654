//! Process-tree inspection and termination, on Linux through /proc and elsewhere (macOS)
//! through `ps`, which both systems ship.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

/// One process: enough to walk trees and groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcInfo {
    pub pid: i32,
    pub ppid: i32,
    pub pgid: i32,
    pub zombie: bool,
}

/// Every process on the machine with its parent and group.
pub fn list_processes() -> std::io::Result<Vec<ProcInfo>> {
    #[cfg(target_os = "linux")]
    {
        list_proc_fs()
    }
    #[cfg(not(target_os = "linux"))]
    {
        list_ps()
    }
}

#[cfg(target_os = "linux")]
fn list_proc_fs() -> std::io::Result<Vec<ProcInfo>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc")? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        // The process may exit between readdir and read; that is not an error.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        if let Some(p) = parse_proc_stat(pid, &stat) {
            out.push(p);
        }
    }
    Ok(out)
}

/// `/proc/<pid>/stat` is `pid (comm) state ppid pgrp ...`; comm may hold spaces and parens,
/// so fields are read after the last `)`.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn parse_proc_stat(pid: i32, stat: &str) -> Option<ProcInfo> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut f = rest.split_whitespace();
    let state = f.next()?;
    let ppid = f.next()?.parse().ok()?;
    let pgid = f.next()?.parse().ok()?;
    Some(ProcInfo {
        pid,
        ppid,
        pgid,
        zombie: state == "Z" || state == "X",
    })
}

#[cfg_attr(target_os = "linux", allow(dead_code))]
fn list_ps() -> std::io::Result<Vec<ProcInfo>> {
    let out = std::process::Command::new("ps")
        .args([
            "-A", "-o", "pid=", "-o", "ppid=", "-o", "pgid=", "-o", "stat=",
        ])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()?;
    Ok(parse_ps(&String::from_utf8_lossy(&out.stdout)))
}

#[cfg_attr(target_os = "linux", allow(dead_code))]
fn parse_ps(text: &str) -> Vec<ProcInfo> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some(ProcInfo {
                pid: f.next()?.parse().ok()?,
                ppid: f.next()?.parse().ok()?,
                pgid: f.next()?.parse().ok()?,
                zombie: f.next().is_some_and(|s| s.starts_with('Z')),
            })
        })
        .collect()
}

/// Live (non-zombie) processes that descend from any of `roots` or belong to group `pgid`.
pub fn tree_pids(procs: &[ProcInfo], roots: &BTreeSet<i32>, pgid: Option<i32>) -> BTreeSet<i32> {
    let mut found: BTreeSet<i32> = procs
        .iter()
        .filter(|p| roots.contains(&p.pid) || Some(p.pgid) == pgid)
        .map(|p| p.pid)
        .collect();
    loop {
        let before = found.len();
        for p in procs {
            if found.contains(&p.ppid) {
                found.insert(p.pid);
            }
        }
        if found.len() == before {
            break;
        }
    }
    let live: BTreeSet<i32> = procs.iter().filter(|p| !p.zombie).map(|p| p.pid).collect();
    found.retain(|p| live.contains(p));
    found
}

/// True when `pid` exists and is not a zombie.
#[cfg(test)]
fn pid_alive(pid: i32) -> bool {
    if pid <= 0 || kill(Pid::from_raw(pid), None).is_err() {
        return false;
    }
    #[cfg(target_os = "linux")]
    {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(s) => parse_proc_stat(pid, &s).is_some_and(|p| !p.zombie),
            Err(_) => false,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        list_ps()
            .map(|ps| ps.iter().any(|p| p.pid == pid && !p.zombie))
            .unwrap_or(true)
    }
}

/// Stops `roots` and everything they started: SIGTERM to the group and every descendant, a
/// grace period, then SIGKILL, and a final check. Returns the pids still alive when that fails.
/// Never signals this process or its own group.
pub fn terminate_tree(roots: &[i32], pgid: Option<i32>, grace: Duration) -> Result<(), Vec<i32>> {
    let me = std::process::id() as i32;
    let my_group = nix::unistd::getpgrp().as_raw();
    let pgid = pgid.filter(|&g| g > 1 && g != my_group);
    let mut known: BTreeSet<i32> = roots.iter().copied().filter(|&p| p > 1).collect();
    let refresh = |known: &mut BTreeSet<i32>| -> BTreeSet<i32> {
        let procs = list_processes().unwrap_or_default();
        let roots = known.clone();
        known.extend(tree_pids(&procs, &roots, pgid));
        // One listing answers for every pid (on macOS each separate check would run `ps`).
        let live: BTreeSet<i32> = procs.iter().filter(|p| !p.zombie).map(|p| p.pid).collect();
        let mut alive: BTreeSet<i32> = known.intersection(&live).copied().collect();
        alive.remove(&me);
        alive
    };
    let signal_all = |alive: &BTreeSet<i32>, sig: Signal| {
        if let Some(g) = pgid {
            let _ = killpg(Pid::from_raw(g), sig);
        }
        for &p in alive {
            if p > 1 && p != me {
                let _ = kill(Pid::from_raw(p), sig);
            }
        }
    };
    for (sig, wait) in [
        (Signal::SIGTERM, grace),
        (Signal::SIGKILL, Duration::from_secs(3)),
    ] {
        let alive = refresh(&mut known);
        if alive.is_empty() {
            return Ok(());
        }
        signal_all(&alive, sig);
        let deadline = Instant::now() + wait;
        loop {
            let alive = refresh(&mut known);
            if alive.is_empty() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                break;
            }
            // Keep signalling: a process may have been forked after the first round.
            signal_all(&alive, sig);
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let alive = refresh(&mut known);
    if alive.is_empty() {
        Ok(())
    } else {
        Err(alive.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_with_odd_command_names() {
        let p = parse_proc_stat(42, "42 (a) b (c)) S 7 42 42 0").unwrap();
        assert_eq!((p.ppid, p.pgid, p.zombie), (7, 42, false));
        assert!(parse_proc_stat(1, "1 (x) Z 0 1").unwrap().zombie);
    }

    #[test]
    fn ps_output_and_tree() {
        let procs = parse_ps(
            "  1 0 1 Ss\n 10 1 10 S\n 11 10 10 S\n 12 11 12 S\n 13 1 10 S\n 14 10 10 Z+\n 99 1 99 S\n",
        );
        let tree = tree_pids(&procs, &BTreeSet::from([10]), Some(10));
        assert_eq!(tree, BTreeSet::from([10, 11, 12, 13]));
    }

    /// The `ps` path is what macOS uses; on Linux it must agree with /proc.
    #[test]
    fn ps_listing_agrees_with_the_platform_listing() {
        let me = std::process::id() as i32;
        let from_ps = list_ps().unwrap();
        let from_platform = list_processes().unwrap();
        let a = from_ps
            .iter()
            .find(|p| p.pid == me)
            .expect("ps lists this process");
        let b = from_platform.iter().find(|p| p.pid == me).expect("listed");
        assert_eq!((a.ppid, a.pgid, a.zombie), (b.ppid, b.pgid, b.zombie));
    }

    #[test]
    fn terminates_a_real_tree() {
        use std::os::unix::process::CommandExt;
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 30 & sleep 30 & wait"])
            .process_group(0)
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        std::thread::sleep(Duration::from_millis(200));
        let procs = list_processes().unwrap();
        let tree = tree_pids(&procs, &BTreeSet::from([pid]), Some(pid));
        assert!(tree.len() >= 3, "{tree:?}");
        // Reap the shell concurrently, as a parent would.
        let reaper = std::thread::spawn(move || child.wait());
        terminate_tree(&[pid], Some(pid), Duration::from_secs(2)).unwrap();
        assert!(
            list_processes()
                .unwrap()
                .iter()
                .all(|p| !tree.contains(&p.pid) || p.zombie)
        );
        reaper.join().unwrap().unwrap();
        for p in tree {
            assert!(!pid_alive(p), "{p} survived");
        }
    }
}
