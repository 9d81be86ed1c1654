//! Following a task started from the terminal to its end: Codex's feed printed as it comes
//! (stderr), its questions asked of the person at the terminal, Ctrl-C cancelling it. Shared
//! by `run` and `review`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use super::logs::LogReader;
use crate::codex::Detail;
use crate::engine::{Engine, Followed, ReplyWith, TaskView};
use crate::store::{EndedBy, TaskId, TaskStatus};
use crate::vocab::{Answerer, Decision};

/// The exit status after Ctrl-C, as shells report it.
const INTERRUPTED: u8 = 130;

/// Follows `followed` until it ends: its final view, or the exit status to end with (Ctrl-C
/// cancelled it, or it could not be read).
pub(super) async fn to_the_end(
    engine: &Engine,
    followed: &mut Followed,
    id: &TaskId,
) -> Result<TaskView, ExitCode> {
    let mut feed = LogReader::new(PathBuf::from(&followed.view.log_file), Some(Detail::Feed));
    let mut err = std::io::stderr();
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let mut asker = Asker::default();
    // The end is heard at once (the supervisor is our child, or its record is watched); the
    // feed is printed between. While a question is open only the feed's pace applies, so the
    // wait does not spin on a task that asks.
    let mut asking = false;
    let ended = loop {
        tokio::select! {
            _ = &mut interrupted => return Err(cancelled(engine, id).await),
            () = engine.settled(followed), if !asking => {}
            _ = tokio::time::sleep(FEED_EVERY) => {}
        }
        feed.print_new(&mut err);
        asking = false;
        match engine.status(id).await {
            Ok(v) if v.status.is_final() => break v,
            Ok(v) if v.status == TaskStatus::InputRequired => {
                asking = true;
                feed.print_new(&mut err);
                tokio::select! {
                    _ = &mut interrupted => return Err(cancelled(engine, id).await),
                    () = asker.ask(engine, id, &v) => {}
                }
            }
            Ok(_) => {}
            Err(e) => return Err(super::failed(&e)),
        }
    };
    feed.print_new(&mut err);
    Ok(ended)
}

/// How often the foreground run prints what Codex did since.
const FEED_EVERY: Duration = Duration::from_millis(200);

/// Ctrl-C: the task is cancelled.
async fn cancelled(engine: &Engine, id: &TaskId) -> ExitCode {
    let _ = engine.cancel(id, EndedBy::Cli, None).await;
    eprintln!("\ncancelled {}", id.as_str());
    ExitCode::from(INTERRUPTED)
}

/// The person at the terminal, asked each of Codex's questions once. Without a terminal the
/// questions are only shown, with the commands that answer them.
#[derive(Default)]
struct Asker {
    seen: std::collections::BTreeSet<u64>,
}

impl Asker {
    async fn ask(&mut self, engine: &Engine, id: &TaskId, view: &TaskView) {
        let terminal = std::io::stdin().is_terminal();
        for q in &view.input_requests {
            if !self.seen.insert(q.id) {
                continue;
            }
            if !terminal {
                eprintln!("{}", super::tasks::how_to_answer(id.as_str(), q));
                continue;
            }
            eprint!(
                "\n{}\nAccept? It runs outside Codex's sandbox. [y]es, [N]o, [s]ession: ",
                q.line()
            );
            let _ = std::io::stderr().flush();
            let line = tokio::task::spawn_blocking(|| {
                let mut line = String::new();
                let _ = std::io::stdin().read_line(&mut line);
                line
            })
            .await
            .unwrap_or_default();
            let decision = match line.trim() {
                "y" | "Y" | "yes" => Decision::Accept,
                "s" | "S" | "session" => Decision::AcceptForSession,
                _ => Decision::Decline,
            };
            let with = ReplyWith::Decision {
                request_id: q.id,
                decision,
            };
            match engine.reply(id, with, Answerer::Cli).await {
                Ok(_) => eprintln!("question {}: {}", q.id, decision.as_str()),
                Err(e) => eprintln!(
                    "question {}: not answered: {}",
                    q.id,
                    super::words::for_terminal(&e.to_string())
                ),
            }
        }
    }
}
