//! The `shopmux` command: `serve`, `check-config`, `owner create`.

use clap::{Parser, Subcommand};
use shopmux::config;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// One inbox for the buyer chats of many marketplace shops.
#[derive(Parser)]
#[command(name = "shopmux", version, about)]
struct Cli {
    /// A TOML configuration file (every key also has a SHOPMUX_<SECTION>__<KEY> variable).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon.
    Serve,
    /// Validate the configuration and print it with secrets masked.
    CheckConfig,
    /// Manage main (owner) accounts.
    Owner {
        #[command(subcommand)]
        command: OwnerCommand,
    },
    /// Read the platforms' rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Print a platform's rules with their rule IDs.
    Show {
        /// The platform (aliexpress, douyin, shopify, tiktok).
        platform: String,
    },
}

#[derive(Subcommand)]
enum OwnerCommand {
    /// Create a seller with its main account; prints only the API token.
    Create {
        /// The seller's name.
        name: String,
    },
}

fn load_config(path: Option<&std::path::Path>) -> Result<config::Config, ExitCode> {
    config::load(path).map_err(|errors| {
        for e in &errors {
            eprintln!("shopmux: config error: {e}");
        }
        ExitCode::from(2)
    })
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match load_config(cli.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let Command::Rules {
        command: RulesCommand::Show { platform },
    } = &cli.command
    {
        let sets = shopmux::adapters::builtin_rule_sets();
        return match sets.iter().find(|s| &s.platform == platform) {
            Some(set) => {
                print!("{}", shopmux::adapters::rules_table(set));
                ExitCode::SUCCESS
            }
            None => {
                let names: Vec<&str> = sets.iter().map(|s| s.platform.as_str()).collect();
                eprintln!(
                    "shopmux: no rules for platform `{platform}` (known: {})",
                    names.join(", ")
                );
                ExitCode::from(2)
            }
        };
    }
    if let Command::CheckConfig = cli.command {
        print!("{}", config.to_masked_toml());
        eprintln!("shopmux: configuration is valid");
        return ExitCode::SUCCESS;
    }
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("shopmux: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve => {
                let daemon = shopmux::server::start_default(&config).await?;
                println!("shopmux listening on http://{}", daemon.addr);
                daemon.serve(shopmux::server::shutdown_signal()).await
            }
            Command::Owner {
                command: OwnerCommand::Create { name },
            } => {
                let store = shopmux_core::Store::open(&shopmux_core::StoreOptions::new(
                    config.database.url.clone(),
                ))
                .await?;
                let inbox = shopmux_core::Inbox::start(
                    store,
                    Arc::new(shopmux_core::SystemClock),
                    Default::default(),
                );
                let created = inbox.create_owner(&name).await?;
                println!("{}", created.token);
                inbox.shutdown().await;
                Ok(())
            }
            Command::CheckConfig | Command::Rules { .. } => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shopmux: {e:#}");
            ExitCode::FAILURE
        }
    }
}
