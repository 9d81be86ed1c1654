//! The MCP face of the engine: seven tools over stdio, their typed contract (arguments and
//! results as types, schemas generated from them), progress notifications, and the MCP tasks
//! extension (a `codex` call the client follows as a task).

mod args;
mod handler;
mod notify;
mod reply;
mod schema;
mod stdout;
mod task;
mod tools;

pub(crate) use handler::CodexMcp;

/// Serves MCP on stdin/stdout until the client closes the connection, or stops reading it.
pub async fn serve_stdio(engine: crate::engine::Engine) -> Result<(), Box<dyn std::error::Error>> {
    use rmcp::ServiceExt;
    let closed = std::sync::Arc::new(tokio::sync::Notify::new());
    let out = stdout::WatchedStdout::new(closed.clone());
    let service = CodexMcp::new(engine)
        .serve((tokio::io::stdin(), out))
        .await?;
    let stop = service.cancellation_token();
    let watch = tokio::spawn(async move {
        closed.notified().await;
        tracing::info!("the client no longer reads stdout: stopping (tasks live on)");
        stop.cancel();
    });
    service.waiting().await?;
    watch.abort();
    Ok(())
}
