//! Hosts for the tests: real `codex app-server` processes (the pinned Codex CLI) on this
//! machine's loopback, each with its own HOME and CODEX_HOME configured for the fixture's
//! scripted model — reached over a WebSocket with a capability token, or on a unix socket
//! through `codex app-server proxy` (the command a host entry runs, as ssh would run it).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};

use super::{Fixture, codex_bin, eventually};

/// How a test host is reached.
pub enum Reach {
    /// `--listen ws://127.0.0.1:0 --ws-auth capability-token`.
    Ws { url: String, token_file: PathBuf },
    /// `--listen unix://SOCK`, reached by `codex app-server proxy --sock SOCK`.
    Unix { sock: PathBuf },
}

/// One host: its app-server, running until dropped (or killed by the test).
pub struct TestHost {
    pub name: String,
    pub home: PathBuf,
    pub reach: Reach,
    child: Option<tokio::process::Child>,
}

impl Drop for TestHost {
    fn drop(&mut self) {
        self.kill();
    }
}

impl TestHost {
    /// A host whose app-server listens on a loopback WebSocket port, with a token.
    pub async fn ws(fx: &Fixture, name: &str) -> TestHost {
        let home = host_home(fx, name);
        let token_file = home.join("token");
        std::fs::write(&token_file, format!("token-of-{name}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let mut host = TestHost {
            name: name.into(),
            home,
            reach: Reach::Ws {
                url: String::new(),
                token_file,
            },
            child: None,
        };
        host.start().await;
        host
    }

    /// A host whose app-server listens on a unix socket (as `codex app-server daemon` does).
    pub async fn unix(fx: &Fixture, name: &str) -> TestHost {
        let home = host_home(fx, name);
        let sock = home.join("app-server.sock");
        let mut host = TestHost {
            name: name.into(),
            home,
            reach: Reach::Unix { sock },
            child: None,
        };
        host.start().await;
        host
    }

    /// Starts (or starts again) its app-server, and waits until it listens.
    pub async fn start(&mut self) {
        let mut cmd = tokio::process::Command::new(codex_bin());
        cmd.args(["app-server", "--listen"]);
        match &self.reach {
            Reach::Ws { token_file, .. } => {
                cmd.arg("ws://127.0.0.1:0")
                    .args(["--ws-auth", "capability-token", "--ws-token-file"])
                    .arg(token_file);
            }
            Reach::Unix { sock } => {
                let _ = std::fs::remove_file(sock);
                cmd.arg(format!("unix://{}", sock.display()));
            }
        }
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("CODEX_HOME", self.home.join(".codex"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = cmd.spawn().unwrap();
        let unix = matches!(self.reach, Reach::Unix { .. });
        let listening = listening_on(&mut child, unix).await;
        match &mut self.reach {
            Reach::Ws { url, .. } => *url = listening.expect("the app-server's address"),
            Reach::Unix { sock } => {
                // (The socket path is a link to where the app-server made it.)
                let sock = sock.clone();
                let listening = || std::fs::metadata(&sock).is_ok();
                eventually(
                    "the app-server's socket",
                    Duration::from_secs(30),
                    listening,
                )
                .await;
            }
        }
        self.child = Some(child);
    }

    /// Kills its app-server and everything it started, at once (a host going down).
    pub fn kill(&mut self) {
        if let Some(child) = self.child.take()
            && let Some(pid) = child.id()
        {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }

    /// Its entry in hosts.toml.
    pub fn entry(&self, max_parallel: usize) -> String {
        let access = match &self.reach {
            Reach::Ws { url, token_file } => format!(
                "url = \"{url}\"\ntoken_file = \"{}\"\n",
                token_file.display()
            ),
            Reach::Unix { sock } => format!(
                "command = [\"{}\", \"app-server\", \"proxy\", \"--sock\", \"{}\"]\n",
                codex_bin().display(),
                sock.display()
            ),
        };
        format!(
            "[hosts.{}]\n{access}max_parallel = {max_parallel}\n",
            self.name
        )
    }
}

/// The host's own HOME, its CODEX_HOME set up for the fixture's scripted model.
fn host_home(fx: &Fixture, name: &str) -> PathBuf {
    let home = fx
        .tmp
        .path()
        .canonicalize()
        .unwrap()
        .join(format!("host-{name}"));
    std::fs::create_dir_all(home.join(".codex")).unwrap();
    std::fs::copy(
        fx.codex_home.join("config.toml"),
        home.join(".codex/config.toml"),
    )
    .unwrap();
    home
}

/// The address the app-server says it listens on (`listening on: ws://…`), read from what it
/// prints (on a unix socket it says nothing: not waited for); its output is drained so it
/// never blocks on a full pipe.
async fn listening_on(child: &mut tokio::process::Child, unix: bool) -> Option<String> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    for stream in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let _ = tx.send(line);
            }
        });
    }
    drop(tx);
    if unix {
        tokio::spawn(async move { while rx.recv().await.is_some() {} });
        return None;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = tokio::time::timeout(left, rx.recv()).await.ok()??;
        if let Some(at) = line.find("ws://") {
            let url: String = line[at..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            // Keep draining what it prints after.
            tokio::spawn(async move { while rx.recv().await.is_some() {} });
            return Some(url);
        }
    }
}

/// Writes the fixture's hosts.toml (in its store's folder) with these hosts.
pub fn write_hosts(fx: &Fixture, hosts: &[(&TestHost, usize)]) {
    let text: String = hosts.iter().map(|(h, n)| h.entry(*n)).collect();
    write_hosts_text(fx, &text);
}

/// Writes the fixture's hosts.toml as `text`.
pub fn write_hosts_text(fx: &Fixture, text: &str) {
    std::fs::create_dir_all(&fx.store_home).unwrap();
    std::fs::write(fx.store_home.join("hosts.toml"), text).unwrap();
}

/// A real sshd on 127.0.0.1 (never any other address), with a throwaway host key and a key
/// of the test's own as the only one authorised; stopped when dropped.
pub struct TestSshd {
    pub port: u16,
    key: PathBuf,
    child: Option<std::process::Child>,
}

impl Drop for TestSshd {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl TestSshd {
    pub async fn start(fx: &Fixture) -> TestSshd {
        let dir = fx.tmp.path().canonicalize().unwrap().join("sshd");
        std::fs::create_dir_all(&dir).unwrap();
        let keygen = |path: &PathBuf| {
            let ok = std::process::Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(path)
                .status()
                .unwrap();
            assert!(ok.success());
        };
        let host_key = dir.join("host_key");
        let key = dir.join("client_key");
        keygen(&host_key);
        keygen(&key);
        let authorized = dir.join("authorized_keys");
        std::fs::copy(dir.join("client_key.pub"), &authorized).unwrap();
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\n\
                 PidFile {}\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n",
                host_key.display(),
                authorized.display(),
                dir.join("sshd.pid").display()
            ),
        )
        .unwrap();
        // sshd run by root wants its privilege separation folder.
        if nix::unistd::geteuid().is_root() {
            let _ = std::fs::create_dir_all("/run/sshd");
        }
        let child = std::process::Command::new(sshd_bin())
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.join("sshd.log")).unwrap())
            .spawn()
            .unwrap();
        let listening = || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        eventually("sshd listening", Duration::from_secs(20), listening).await;
        TestSshd {
            port,
            key,
            child: Some(child),
        }
    }

    /// `ssh … 127.0.0.1 env … codex app-server proxy --sock SOCK` for `host` (a unix-socket
    /// host): the command a host entry runs, the remote side in the host's own HOME.
    pub fn command_for(&self, host: &TestHost) -> Vec<String> {
        let Reach::Unix { sock } = &host.reach else {
            panic!("an ssh host reaches a unix socket")
        };
        let mut argv: Vec<String> = [
            "ssh",
            "-p",
            &self.port.to_string(),
            "-i",
            &self.key.display().to_string(),
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "127.0.0.1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        argv.extend([
            "env".into(),
            format!("PATH={}", std::env::var("PATH").unwrap_or_default()),
            format!("HOME={}", host.home.display()),
            format!("CODEX_HOME={}", host.home.join(".codex").display()),
            codex_bin().display().to_string(),
            "app-server".into(),
            "proxy".into(),
            "--sock".into(),
            sock.display().to_string(),
        ]);
        argv
    }
}

/// The sshd of this machine (`.ci/run` installs openssh-server when it is missing).
fn sshd_bin() -> PathBuf {
    [
        "/usr/sbin/sshd",
        "/usr/local/sbin/sshd",
        "/opt/homebrew/sbin/sshd",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .expect("sshd is not installed: .ci/run installs openssh-server")
}

/// A hosts.toml entry that runs `argv`.
pub fn command_entry(name: &str, argv: &[String], max_parallel: usize) -> String {
    let quoted: Vec<String> = argv.iter().map(|a| format!("{a:?}")).collect();
    format!(
        "[hosts.{name}]\ncommand = [{}]\nmax_parallel = {max_parallel}\n",
        quoted.join(", ")
    )
}
