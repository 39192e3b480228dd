//! The `tollgate` binary: a thin CLI over the library crates.

mod cli;
mod invalidation;
mod keys_cli;
mod limit_settings;
mod logging;
mod master_key;
mod serve;
mod wiring;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc malloc: +16% throughput on the plain path and +35% with limits and
/// budgets in one run here, for about 25 MiB more resident memory under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tollgate: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(cli::run(cli))
}
