//! `codex-mcp` and `codex-mcp serve`: the stdio MCP server.

use std::process::ExitCode;

use crate::config::Config;
use crate::engine::Engine;

/// Serves MCP on stdin/stdout until the client closes the connection. Tasks live on.
pub fn serve() -> ExitCode {
    let config = Config::from_env();
    super::init_logging(&config);
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprintln!(
            "codex-mcp: this is an MCP server on stdio, waiting for a client (Ctrl-C ends it); \
             register it with `codex-mcp install claude`; see `codex-mcp --help`"
        );
    }
    let engine = match Engine::from_config(config) {
        Ok(e) => e,
        Err(e) => return super::failed(&e),
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let result = runtime.block_on(async move {
        let recovering = engine.clone();
        tokio::task::spawn_blocking(move || {
            let n = recovering.recover_all();
            if n > 0 {
                tracing::info!(tasks = n, "finalized tasks whose supervisor had exited");
            }
        });
        crate::mcp::serve_stdio(engine).await
    });
    // Blocking calls may still be waiting on children; the tasks themselves live on.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("codex-mcp: {e}");
            ExitCode::FAILURE
        }
    }
}
