//! The link to a host's app-server (`config/hosts.rs`): one WebSocket session, over TCP (`url`)
//! or over the stdin and stdout of the host's command (`codex app-server proxy` through ssh,
//! `docker exec -i`, `kubectl exec -i`), carrying the same JSON-RPC the local app-server speaks
//! on its pipes, one message per text frame. The WebSocket is tokio-tungstenite's, on a small
//! runtime of the link's own; the driver sees what it sees of a local app-server: lines to
//! write, messages read, and a peer that ends.
//!
//! A link that cannot be made says whether the host was out of reach (it may come back: the
//! task may retry) or refused (a wrong token, a command that does not run there, no Codex
//! there: it will not pass by itself), with the host's own words.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::run_clock::Peer;
use crate::codex::protocol::Incoming;
use crate::config::hosts::{Access, Host};
use crate::runner::end::outcome::ExitInfo;
use crate::store::open_append;

/// How long the connection and the WebSocket handshake may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// How often the link pings the host: a session whose other end died without closing (a
/// proxy whose app-server is gone keeps its pipes open) is known by its silence.
const PING_EVERY: Duration = Duration::from_secs(3);
/// How long a host may say nothing, pings unanswered, before the session counts as lost.
const SILENCE_LIMIT: Duration = Duration::from_secs(10);

/// Why a link could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(in crate::runner) enum LinkError {
    /// The host could not be reached (it may come back).
    #[error("host `{host}` could not be reached: {why}")]
    Unreachable { host: String, why: String },
    /// The host answered, and refused.
    #[error("host `{host}` refused: {why}")]
    Refused { host: String, why: String },
}

/// What the link sends.
enum Out {
    Line(String),
    Close,
}

/// One WebSocket session with a host's app-server.
pub(in crate::runner) struct HostLink {
    out: UnboundedSender<Out>,
    /// The session ended, by either side.
    closed: Arc<AtomicBool>,
    /// This side closed it (the turn is over, or a stop).
    closed_here: Arc<AtomicBool>,
}

/// Any byte stream the WebSocket runs over.
trait Duplex: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Duplex for T {}

/// Opens a session with `host`; the messages it sends come on the receiver. The host
/// command's stderr goes to `stderr` (the task's `codex-stderr.log`).
pub(in crate::runner) fn connect(
    host: &Host,
    stderr: &Path,
) -> Result<(HostLink, Receiver<Incoming>), LinkError> {
    let (incoming_tx, incoming_rx) = std::sync::mpsc::channel();
    let (out_tx, out_rx) = unbounded_channel();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let closed = Arc::new(AtomicBool::new(false));
    let host = host.clone();
    let stderr = stderr.to_path_buf();
    let done = closed.clone();
    let ended = closed.clone();
    let name = host.name.clone();
    std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                let _ = ready_tx.send(Err(unreachable(&host.name, e.to_string())));
                return;
            }
        };
        runtime.block_on(serve(host, stderr, out_rx, incoming_tx, ready_tx, done));
        ended.store(true, Ordering::SeqCst);
    });
    match ready_rx.recv() {
        Ok(Ok(())) => Ok((
            HostLink {
                out: out_tx,
                closed,
                closed_here: Arc::new(AtomicBool::new(false)),
            },
            incoming_rx,
        )),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(unreachable(
            &name,
            "the link ended before it was made".into(),
        )),
    }
}

/// The session, on the link's own runtime: made (said on `ready`), then carried until
/// either side ends it; the host command, if any, is stopped with it.
async fn serve(
    host: Host,
    stderr: std::path::PathBuf,
    out: UnboundedReceiver<Out>,
    incoming: std::sync::mpsc::Sender<Incoming>,
    ready: std::sync::mpsc::Sender<Result<(), LinkError>>,
    done: Arc<AtomicBool>,
) {
    let opened = tokio::time::timeout(CONNECT_TIMEOUT, open(&host, &stderr)).await;
    let (ws, bridge) = match opened {
        Ok(Ok(linked)) => linked,
        Ok(Err(e)) => {
            let _ = ready.send(Err(e));
            return;
        }
        Err(_) => {
            let why = format!("no answer within {} s", CONNECT_TIMEOUT.as_secs());
            let _ = ready.send(Err(unreachable(&host.name, why)));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    carry(ws, out, incoming, &done).await;
    if let Some(mut bridge) = bridge {
        let _ = bridge.start_kill();
        let _ = bridge.wait().await;
    }
}

fn unreachable(host: &str, why: String) -> LinkError {
    LinkError::Unreachable {
        host: host.to_string(),
        why,
    }
}

fn refused(host: &str, why: String) -> LinkError {
    LinkError::Refused {
        host: host.to_string(),
        why,
    }
}

type Ws = tokio_tungstenite::WebSocketStream<Box<dyn Duplex>>;

/// The byte stream to the host and the WebSocket handshake over it; with the host command,
/// when there is one (it is killed when the link ends).
async fn open(
    host: &Host,
    stderr: &Path,
) -> Result<(Ws, Option<tokio::process::Child>), LinkError> {
    let token = host.token().map_err(|why| refused(&host.name, why))?;
    let (url, stream, mut bridge): (String, Box<dyn Duplex>, _) = match &host.access {
        Access::Url { url, .. } => {
            let authority = url
                .trim_start_matches("ws://")
                .split('/')
                .next()
                .unwrap_or_default()
                .to_string();
            let tcp = tokio::net::TcpStream::connect(&authority)
                .await
                .map_err(|e| unreachable(&host.name, format!("{url}: {e}")))?;
            let _ = tcp.set_nodelay(true);
            (url.clone(), Box::new(tcp), None)
        }
        Access::Command { argv } => {
            let (stream, child) = spawn_bridge(host, argv, stderr)?;
            ("ws://localhost/".to_string(), stream, Some(child))
        }
    };
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| refused(&host.name, format!("`{url}`: {e}")))?;
    if let Some(token) = token {
        let value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| refused(&host.name, "the token is not a valid header value".into()))?;
        request.headers_mut().insert("Authorization", value);
    }
    match tokio_tungstenite::client_async(request, stream).await {
        Ok((ws, _)) => Ok((ws, bridge)),
        Err(WsError::Http(response)) => {
            let status = response.status();
            let why = match status.as_u16() {
                401 | 403 => format!(
                    "HTTP {status}: its app-server did not take the token (check `token_file` \
                     against its `--ws-token-file`)"
                ),
                _ => format!("HTTP {status} instead of a WebSocket"),
            };
            Err(refused(&host.name, why))
        }
        Err(e) => match bridge.as_mut() {
            Some(child) => Err(bridge_failed(host, child, stderr, e.to_string()).await),
            None => Err(unreachable(&host.name, e.to_string())),
        },
    }
}

/// The host command, its stdin and stdout joined as one stream.
fn spawn_bridge(
    host: &Host,
    argv: &[String],
    stderr: &Path,
) -> Result<(Box<dyn Duplex>, tokio::process::Child), LinkError> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| refused(&host.name, "its command is empty".into()))?;
    let err = open_append(stderr).map_err(|e| unreachable(&host.name, e.to_string()))?;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(err))
        .kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|e| {
        refused(
            &host.name,
            format!("its command `{program}` cannot be started here: {e}"),
        )
    })?;
    let (Some(out), Some(inp)) = (child.stdout.take(), child.stdin.take()) else {
        return Err(unreachable(&host.name, "its command has no pipes".into()));
    };
    Ok((Box::new(tokio::io::join(out, inp)), child))
}

/// A host command that ended before the WebSocket opened: what its exit and its last words
/// say. A program that is not there (127, 126, "not found") refused; anything else (ssh's 255:
/// no connection) was out of reach.
async fn bridge_failed(
    host: &Host,
    child: &mut tokio::process::Child,
    stderr: &Path,
    ws_error: String,
) -> LinkError {
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .ok()
        .and_then(Result::ok);
    let said = std::fs::read_to_string(stderr).unwrap_or_default();
    let last: Vec<&str> = said
        .lines()
        .rev()
        .filter(|l| !l.trim().is_empty())
        .take(3)
        .collect();
    let last = last.into_iter().rev().collect::<Vec<_>>().join(" / ");
    let code = status.and_then(|s| s.code());
    let why = match (code, last.is_empty()) {
        (Some(c), false) => format!("its command exited with {c}: {last}"),
        (Some(c), true) => format!("its command exited with {c}"),
        (None, false) => format!("{ws_error}: {last}"),
        (None, true) => ws_error,
    };
    let lower = last.to_ascii_lowercase();
    if matches!(code, Some(126 | 127)) || lower.contains("not found") {
        refused(&host.name, why)
    } else {
        unreachable(&host.name, why)
    }
}

/// Carries lines out as text frames and frames in as messages until either side ends.
async fn carry(
    ws: Ws,
    mut out: UnboundedReceiver<Out>,
    incoming: std::sync::mpsc::Sender<Incoming>,
    done: &AtomicBool,
) {
    // Said ended before `out` goes: a writer that finds it gone then knows the session was.
    let _ended = Ended(done);
    let (mut sink, mut stream) = ws.split();
    let mut ping = tokio::time::interval(PING_EVERY);
    let mut heard = tokio::time::Instant::now();
    loop {
        tokio::select! {
            next = out.recv() => match next {
                Some(Out::Line(line)) => {
                    if sink.send(Message::text(line)).await.is_err() {
                        return;
                    }
                }
                Some(Out::Close) | None => {
                    let _ = sink.close().await;
                    return;
                }
            },
            frame = stream.next() => {
                heard = tokio::time::Instant::now();
                match frame {
                    Some(Ok(Message::Text(text))) => {
                        for line in text.as_str().lines() {
                            if let Some(message) = Incoming::parse(line)
                                && incoming.send(message).is_err()
                            {
                                return;
                            }
                        }
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                    Some(Ok(_)) => {}
                }
            }
            _ = ping.tick() => {
                if heard.elapsed() >= SILENCE_LIMIT
                    || sink.send(Message::Ping(Default::default())).await.is_err()
                {
                    return;
                }
            }
        }
    }
}

/// Marks the session ended when dropped.
struct Ended<'a>(&'a AtomicBool);

impl Drop for Ended<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl HostLink {
    /// Where the conversation writes: each line becomes one text frame.
    /// Dropping it ends the session, as closing app-server's stdin ends a local one.
    pub(in crate::runner) fn writer(&self) -> Box<dyn Write + Send> {
        Box::new(LineWriter {
            out: self.out.clone(),
            partial: Vec::new(),
            closed_here: self.closed_here.clone(),
            closed: self.closed.clone(),
        })
    }

    /// Ends the session from this side.
    pub(in crate::runner) fn close(&mut self) {
        self.closed_here.store(true, Ordering::SeqCst);
        let _ = self.out.send(Out::Close);
    }
}

impl Peer for HostLink {
    /// A session that ended is a run that ended; whether it ended well is the turn's to say.
    fn ended(&mut self) -> Option<ExitInfo> {
        self.closed.load(Ordering::SeqCst).then_some(ExitInfo {
            code: Some(0),
            signal: None,
        })
    }

    fn terminate(&mut self) {
        self.close();
    }

    fn kill(&mut self) {
        self.close();
    }

    fn lost(&self) -> bool {
        self.closed.load(Ordering::SeqCst) && !self.closed_here.load(Ordering::SeqCst)
    }
}

/// Lines written to the link, sent whole.
struct LineWriter {
    out: UnboundedSender<Out>,
    partial: Vec<u8>,
    closed_here: Arc<AtomicBool>,
    closed: Arc<AtomicBool>,
}

impl Drop for LineWriter {
    /// Ends a session still open; one already lost stays lost (to be linked again).
    fn drop(&mut self) {
        if !self.closed.load(Ordering::SeqCst) {
            self.closed_here.store(true, Ordering::SeqCst);
            let _ = self.out.send(Out::Close);
        }
    }
}

impl Write for LineWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.partial.extend_from_slice(buf);
        while let Some(end) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line[..end]).into_owned();
            self.out
                .send(Out::Line(text))
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
