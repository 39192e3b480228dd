//! Command-line interface.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::{keys_cli, logging, serve, wiring};

// Declared here rather than in main.rs so the keys CLI stays one file beside this one.

#[derive(Debug, Parser)]
#[command(
    name = "tollgate",
    version,
    about = "An LLM gateway: one endpoint and one key in front of every model provider."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the gateway (with no --config: embedded SQLite, providers from the environment).
    Serve {
        /// YAML config file (design.md §4.1).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Listen address (overrides the config).
        #[arg(long)]
        host: Option<String>,
        /// Listen port (overrides the config; 0 picks a free port).
        #[arg(long)]
        port: Option<u16>,
        /// Log format.
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        log_format: String,
    },
    /// Work with config files.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Create, list and revoke virtual keys in the store (works with or without a running
    /// server).
    Keys {
        #[command(subcommand)]
        command: keys_cli::KeysCommand,
    },
    /// Apply pending storage migrations, then exit.
    Migrate {
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Validate a config file; print every error with its path and line; exit non-zero on errors.
    Check { file: PathBuf },
}

pub async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Serve {
            config,
            host,
            port,
            log_format,
        } => {
            logging::init(&log_format);
            let source = config.clone();
            let Some(mut config) = load_config(config.as_deref()) else {
                return ExitCode::FAILURE;
            };
            if let Some(host) = host {
                config.server.host = host;
            }
            if let Some(port) = port {
                config.server.port = port;
            }
            match serve::run(config, source).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("tollgate: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Config {
            command: ConfigCommand::Check { file },
        } => match tollgate_config::load_from_file(&file) {
            Ok(config) => {
                println!(
                    "{}: ok ({} providers, {} models)",
                    file.display(),
                    config.providers.len(),
                    config.models.len()
                );
                ExitCode::SUCCESS
            }
            Err(errors) => {
                eprintln!("{errors}");
                ExitCode::FAILURE
            }
        },
        Command::Keys { command } => keys_cli::run(command).await,
        Command::Migrate { config } => {
            logging::init("text");
            let Some(config) = load_config(config.as_deref()) else {
                return ExitCode::FAILURE;
            };
            match wiring::open_store(&config).await {
                Ok(_) => {
                    println!("migrations applied to {}", config.storage.url);
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("tollgate: {error}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// The config from a file, or the zero-config defaults from the environment.
pub(crate) fn load_config(path: Option<&std::path::Path>) -> Option<tollgate_config::Config> {
    match path {
        None => Some(tollgate_config::Config::from_env(&|name| {
            std::env::var(name).ok()
        })),
        Some(path) => match tollgate_config::load_from_file(path) {
            Ok(config) => Some(config),
            Err(errors) => {
                eprintln!("{errors}");
                None
            }
        },
    }
}
