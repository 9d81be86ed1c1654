//! The MCP face of the engine: four tools over stdio, their typed contract (arguments and
//! results as types, schemas generated from them), progress notifications, and the MCP tasks
//! extension (a `codex` call the client follows as a task).

mod args;
mod handler;
mod notify;
mod schema;
mod task;
mod tools;

pub(crate) use handler::CodexMcp;

/// Serves MCP on stdin/stdout until the client closes the connection.
pub async fn serve_stdio(engine: crate::engine::Engine) -> Result<(), Box<dyn std::error::Error>> {
    use rmcp::ServiceExt;
    let service = CodexMcp::new(engine)
        .serve(rmcp::transport::stdio())
        .await?;
    service.waiting().await?;
    Ok(())
}
