//! A process started beneath a codex-mcp task (a codex-mcp server that the task's Codex runs
//! as one of its MCP servers, or a `codex-mcp` command it runs) belongs to that task's chain
//! of delegation, whatever its environment says: the same store, one level deeper, the same
//! depth and capacity limits.

use crate::config::Config;
use crate::runner::supervising_task_dir;
use crate::store::TaskFiles;

/// `config`, placed in the chain of the task this process runs beneath, if any.
pub(super) fn beneath_task(config: Config) -> Config {
    match supervising_task_dir() {
        Some(dir) => within(config, &TaskFiles::at(&dir)),
        None => config,
    }
}

fn within(mut config: Config, task: &TaskFiles) -> Config {
    let Ok(Some(meta)) = task.read_meta() else {
        return config;
    };
    // <store>/tasks/<task_id>
    let store = task.dir.parent().and_then(|tasks| tasks.parent());
    if let Some(store) = store {
        config.store_home = Some(store.to_path_buf());
    }
    if let Some(lineage) = meta.launch().lineage {
        config.depth = config.depth.max(lineage.depth);
        config.max_depth = lineage.max_depth;
        config.max_parallel = lineage.max_parallel;
    } else {
        // A task recorded before lineage was: at least one level down.
        config.depth = config.depth.max(1);
    }
    tracing::info!(
        task = %meta.task_id,
        depth = config.depth,
        "running beneath a codex-mcp task: its store and limits apply"
    );
    config
}
