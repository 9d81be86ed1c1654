//! Everything specific to the Codex CLI: finding it, its argv, and its `--json` event stream.

mod argv;
mod events;
mod lines;
mod locate;
mod progress;

pub use argv::{CodexOptions, exec_argv};
pub use events::{Event, Item, Usage};
pub use lines::{Line, LineAssembler};
pub use locate::{CodexError, locate_codex};
pub use progress::{MESSAGE_KEEP_CHARS, Phase, Progress, TurnEnd, shorten};
