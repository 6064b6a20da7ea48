use blastmap::cli::{Cli, run};
use clap::Parser;
use std::process::ExitCode;

// See Cargo.toml: the build is allocation-heavy and jemalloc serves it faster than the
// system allocator.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match run(cli, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        // A search that found nothing has said so on stdout; its exit code is the answer.
        Err(blastmap::cli::CliError::NoPath) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
