use std::process::ExitCode;

fn main() -> ExitCode {
    codex_mcp::cli::main()
}
