//! What the engine puts inside the user's directory: only the `.codex-tasks/<topic>` link.

mod link;

pub use link::{LINK_DIR, link_task};
