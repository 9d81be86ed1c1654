//! Finding the task a process runs beneath: the nearest ancestor that is a codex-mcp supervisor
//! (`codex-mcp supervise [--view] <task_dir>`). Codex starts its MCP servers with a scrubbed
//! environment, so this is how a codex-mcp server started inside a task learns which task (and
//! so which store, depth and limits) it belongs to. Linux reads /proc; macOS asks `ps`.

use std::path::PathBuf;

/// How many generations up the search goes before it gives up.
const MAX_HOPS: usize = 64;

/// The task folder of the nearest supervising ancestor of this process, if any.
pub fn supervising_task_dir() -> Option<PathBuf> {
    let table = ProcessTable::read()?;
    let mut pid = std::os::unix::process::parent_id() as i32;
    for _ in 0..MAX_HOPS {
        if pid <= 1 {
            return None;
        }
        let (ppid, args) = table.get(pid)?;
        if let Some(dir) = task_dir_of(&args) {
            return Some(dir);
        }
        pid = ppid;
    }
    None
}

/// Whether `pid` is the supervisor of a codex-mcp task (a task that Codex dispatched through
/// codex-mcp, say): a process of its own, never a stray of the task that started it.
pub fn is_supervisor(pid: i32) -> bool {
    ProcessTable::read()
        .and_then(|t| t.get(pid))
        .is_some_and(|(_, args)| task_dir_of(&args).is_some())
}

/// The task folder a supervisor's command line names: `<exe> supervise [--view] <task_dir>`.
fn task_dir_of(args: &[String]) -> Option<PathBuf> {
    let at = args.iter().position(|a| a == "supervise")?;
    if at != 1 {
        return None;
    }
    let rest: Vec<&String> = args[at + 1..].iter().filter(|a| *a != "--view").collect();
    let [dir] = rest.as_slice() else {
        return None;
    };
    let dir = PathBuf::from(dir.as_str());
    (dir.is_absolute() && dir.join("meta.json").is_file()).then_some(dir)
}

/// Each process's parent and command line, as far as this system lets us read them.
struct ProcessTable {
    #[cfg(not(target_os = "linux"))]
    rows: std::collections::HashMap<i32, (i32, Vec<String>)>,
}

impl ProcessTable {
    #[cfg(target_os = "linux")]
    fn read() -> Option<ProcessTable> {
        Some(ProcessTable {})
    }

    /// Linux: read on demand, one process at a time.
    #[cfg(target_os = "linux")]
    fn get(&self, pid: i32) -> Option<(i32, Vec<String>)> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let ppid = stat[stat.rfind(')')? + 1..]
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let args = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        Some((ppid, args))
    }

    /// Elsewhere: one `ps` for the whole table. Its command lines are space-joined, so a
    /// supervisor's line is split as `<exe> supervise [--view] <the rest, the task folder>`.
    #[cfg(not(target_os = "linux"))]
    fn read() -> Option<ProcessTable> {
        let out = std::process::Command::new("ps")
            .args(["-A", "-ww", "-o", "pid=,ppid=,args="])
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        let rows = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| {
                let mut f = line.trim_start().splitn(3, char::is_whitespace);
                let pid = f.next()?.parse().ok()?;
                let rest = f.next().map(str::trim_start)?;
                let (ppid, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                Some((pid, (ppid.parse().ok()?, split_ps_args(args.trim_start()))))
            })
            .collect();
        Some(ProcessTable { rows })
    }

    #[cfg(not(target_os = "linux"))]
    fn get(&self, pid: i32) -> Option<(i32, Vec<String>)> {
        self.rows.get(&pid).cloned()
    }
}

/// `ps`'s space-joined command line, split so that a supervisor's program and task folder
/// stay whole: `<program> supervise [--view] <task folder>`.
#[cfg_attr(target_os = "linux", allow(dead_code))]
fn split_ps_args(line: &str) -> Vec<String> {
    let Some((program, rest)) = line.split_once(" supervise ") else {
        return line.split(' ').map(str::to_string).collect();
    };
    let mut args = vec![program.to_string(), "supervise".to_string()];
    let dir = match rest.strip_prefix("--view ") {
        Some(dir) => {
            args.push("--view".into());
            dir
        }
        None => rest,
    };
    args.push(dir.to_string());
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_supervisors_command_line_names_its_task_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("meta.json"), "{}").unwrap();
        let d = dir.path().display().to_string();
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            task_dir_of(&args(&["/bin/codex-mcp", "supervise", &d])),
            Some(dir.path().to_path_buf())
        );
        assert_eq!(
            task_dir_of(&args(&["codex-mcp", "supervise", "--view", &d])),
            Some(dir.path().to_path_buf())
        );
        assert_eq!(task_dir_of(&args(&["codex-mcp", "serve"])), None);
        assert_eq!(
            task_dir_of(&args(&["sh", "-c", "x", "supervise", &d])),
            None
        );
        assert_eq!(
            task_dir_of(&args(&["codex-mcp", "supervise", "relative"])),
            None
        );
        let nothing = tempfile::tempdir().unwrap();
        let empty = nothing.path().display().to_string();
        assert_eq!(
            task_dir_of(&args(&["codex-mcp", "supervise", &empty])),
            None
        );
    }

    #[test]
    fn ps_lines_keep_a_task_folder_with_spaces_whole() {
        assert_eq!(
            split_ps_args("/opt/my apps/codex-mcp supervise --view /tmp/a b/tasks/codex-x-y-v1"),
            vec![
                "/opt/my apps/codex-mcp",
                "supervise",
                "--view",
                "/tmp/a b/tasks/codex-x-y-v1"
            ]
        );
        assert_eq!(
            split_ps_args("codex exec --json"),
            vec!["codex", "exec", "--json"]
        );
    }

    #[test]
    fn a_process_outside_any_task_has_none() {
        assert_eq!(supervising_task_dir(), None);
    }
}
