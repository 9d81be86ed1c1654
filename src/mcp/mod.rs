//! The MCP face of the engine: four tools over stdio.

mod args;
mod handler;
mod progress;
mod tools;

pub use handler::CodexMcp;
pub use tools::INSTRUCTIONS;

/// Serves MCP on stdin/stdout until the client closes the connection.
pub async fn serve_stdio(engine: crate::engine::Engine) -> Result<(), Box<dyn std::error::Error>> {
    use rmcp::ServiceExt;
    let service = CodexMcp::new(engine)
        .serve(rmcp::transport::stdio())
        .await?;
    service.waiting().await?;
    Ok(())
}
