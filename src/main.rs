//! The `shopmux` command: `serve`, `demo` (with the `demo` cargo feature, on by
//! default), `check-config`, `migrate`, `backup`, `owner create` (with an optional login
//! and a password from standard input), `owner password`, `rules show`, `plugins list`,
//! `plugins check`, `service-data recompute`.

use clap::{Parser, Subcommand};
use shopmux::config;
use shopmux_core::domain::sign_in::Password;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// mimalloc rather than the system allocator: the ingest path's many short-lived
/// allocations (docs/perf/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Run the daemon with simulated marketplaces (TikTok Shop in two regions, Douyin,
    /// AliExpress, Shopify), pre-configured shops and agents, and buyers writing in their
    /// own languages: a live multi-marketplace inbox in seconds. Prints the URL and an
    /// owner token.
    #[cfg(feature = "demo")]
    Demo,
    /// Validate the configuration and print it with secrets masked.
    CheckConfig,
    /// Apply the database migrations and exit, without serving (run it once before a
    /// rolling upgrade; `serve` applies them too).
    Migrate,
    /// Copy a SQLite database to FILE, consistent while daemons write to it (SQLite's
    /// VACUUM INTO, checked before it is moved into place). PostgreSQL: use pg_dump.
    Backup {
        /// The backup file to write (must not exist).
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
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
    /// Adapter plugins.
    Plugins {
        #[command(subcommand)]
        command: PluginsCommand,
    },
    /// Service data (TT-DATA-*, DY-QA-*): the rollups behind the figures.
    ServiceData {
        #[command(subcommand)]
        command: ServiceDataCommand,
    },
}

#[derive(Subcommand)]
enum ServiceDataCommand {
    /// Recompute the rollups of the UTC days FROM to TO (included) from the stored
    /// conversations, messages and ratings, and print every rollup row that differs
    /// (one JSON object a line); with --apply, the recomputed rows replace the stored
    /// ones. Exits 3 when differences were found and not applied.
    Recompute {
        /// The first day (YYYY-MM-DD).
        #[arg(long)]
        from: chrono::NaiveDate,
        /// The last day, included (YYYY-MM-DD).
        #[arg(long)]
        to: chrono::NaiveDate,
        /// Only this shop (its id).
        #[arg(long)]
        shop: Option<String>,
        /// Replace the stored rollups with the recomputed ones.
        #[arg(long)]
        apply: bool,
    },
}

#[derive(Subcommand)]
enum PluginsCommand {
    /// List the configured plugins: loaded (name, platform, version, ABI, path) or
    /// refused and why.
    List,
    /// Load one plugin in isolation, validate its manifest and rule set, run its
    /// self-test; exits non-zero with the reason when it would be refused.
    Check {
        /// The plugin library (`.so`, `.dylib`, `.dll`).
        path: PathBuf,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Print a platform's rules with their rule IDs.
    Show {
        /// The platform (aliexpress, douyin, shopify, tiktok, or a loaded plugin's).
        platform: String,
    },
}

#[derive(Subcommand)]
enum OwnerCommand {
    /// Create a seller with its main account; prints only the API token.
    Create {
        /// The seller's name.
        name: String,
        /// The login the main account signs in to the web inbox with (3 to 64 of a-z,
        /// 0-9, `.`, `_`, `-`, `@`; unique across the daemon).
        #[arg(long)]
        login: Option<String>,
        /// Read the account's password from standard input (one line; at a terminal it
        /// is asked for without echo). Needs --login.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set (or reset) the password of the main account signing in with LOGIN, ending
    /// its web sessions.
    Password {
        /// The main account's login.
        login: String,
        /// Read the password from standard input (one line; at a terminal it is asked
        /// for without echo).
        #[arg(long)]
        password_stdin: bool,
    },
}

/// The configuration as read (what `check-config` prints) and validated; every problem
/// is printed, naming its key, and exits with 2.
fn load_config(
    path: Option<&std::path::Path>,
) -> Result<(config::RawConfig, config::Config), ExitCode> {
    let report = |errors: Vec<config::ConfigError>| {
        for e in &errors {
            eprintln!("shopmux: config error: {e}");
        }
        ExitCode::from(2)
    };
    let raw = config::load_raw(path).map_err(report)?;
    let config = raw.clone().validate().map_err(report)?;
    Ok((raw, config))
}

fn plugins_command(config: &config::Config, command: &PluginsCommand) -> ExitCode {
    match command {
        PluginsCommand::List => {
            let outcomes = shopmux::plugins::load(config);
            println!(
                "plugins folder: {}{}",
                config.plugins.dir.display(),
                if config.plugins.dir.is_dir() { "" } else { " (absent)" }
            );
            if outcomes.is_empty() {
                println!("no plugins");
            }
            for outcome in &outcomes {
                println!("{}", shopmux::plugins::describe(outcome));
            }
            if outcomes.iter().any(|o| o.result.is_err()) {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        PluginsCommand::Check { path } => match shopmux_plugin_host::check(path) {
            Ok(report) => {
                let info = &report.info;
                println!(
                    "ok: {} {} for platform `{}` (ABI {}, built with SDK {} by {})",
                    info.name,
                    info.version,
                    info.platform,
                    info.abi,
                    info.sdk_version.as_deref().unwrap_or("?"),
                    info.rustc.as_deref().unwrap_or("?")
                );
                println!("methods: {}", info.methods.join(", "));
                println!(
                    "capabilities: {}",
                    shopmux::plugins::capability_names(&report.capabilities)
                );
                println!("rules: {}", report.rule_ids.join(", "));
                for line in &report.self_test {
                    println!("self-test: {line}");
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("shopmux: plugin refused: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

/// `owner create` and `owner password`, on an engine of their own.
async fn owner_command(config: &config::Config, command: OwnerCommand) -> anyhow::Result<()> {
    let password = match &command {
        OwnerCommand::Create { login: None, password_stdin: true, .. } => {
            anyhow::bail!("--password-stdin needs --login (the name to sign in with)")
        }
        OwnerCommand::Create { password_stdin, .. } if !*password_stdin => None,
        OwnerCommand::Password { password_stdin: false, .. } => {
            anyhow::bail!("pass --password-stdin and the password on standard input")
        }
        _ => Some(read_password()?),
    };
    let store = shopmux_core::Store::open(&shopmux_core::StoreOptions::new(
        config.database.url.as_str().to_owned(),
    ))
    .await?;
    let inbox =
        shopmux_core::Inbox::start(store, Arc::new(shopmux_core::SystemClock), Default::default());
    let result = match command {
        OwnerCommand::Create { name, login, .. } => {
            let owner = shopmux_core::services::accounts::NewOwner { name, login, password };
            inbox.create_owner_with(owner).await.map(|created| println!("{}", created.token))
        }
        OwnerCommand::Password { login, .. } => {
            let password = password.unwrap_or_else(|| Password(String::new()));
            inbox.set_owner_password(&login, password).await.map(|agent| {
                eprintln!("shopmux: password set for `{}`", agent.login.unwrap_or_default())
            })
        }
    };
    inbox.shutdown().await;
    Ok(result?)
}

/// `service-data recompute`, on an engine of its own (the platforms' rule sets loaded,
/// nothing delivered).
async fn service_data_command(
    config: &config::Config, command: ServiceDataCommand,
) -> anyhow::Result<()> {
    let ServiceDataCommand::Recompute { from, to, shop, apply } = command;
    let shop = match shop {
        Some(s) => Some(s.parse().map_err(|_| anyhow::anyhow!("--shop: not a shop id: {s}"))?),
        None => None,
    };
    let store = shopmux_core::Store::open(&shopmux_core::StoreOptions::new(
        config.database.url.as_str().to_owned(),
    ))
    .await?;
    let mut registry = shopmux_core::Registry::default();
    let (plugins, _) = shopmux::plugins::adapters(config);
    for adapter in shopmux::adapters::builtin_adapters().into_iter().chain(plugins) {
        registry
            .register(adapter, Arc::new(shopmux_contract::NoHost))
            .map_err(anyhow::Error::msg)?;
    }
    let options =
        shopmux_core::InboxOptions { registry, background_delivery: false, ..Default::default() };
    let inbox = shopmux_core::Inbox::start(store, Arc::new(shopmux_core::SystemClock), options);
    let report = inbox.recompute_service_data(from, to, shop, apply).await;
    inbox.shutdown().await;
    let report = report?;
    for d in &report.differences {
        println!("{}", serde_json::to_string(d)?);
    }
    eprintln!(
        "shopmux: {} shop(s), {} rollup row(s), {} difference(s){}",
        report.shops,
        report.rows,
        report.differences.len(),
        if apply { ", recomputed rows written" } else { "" }
    );
    if !apply && !report.differences.is_empty() {
        std::process::exit(3);
    }
    Ok(())
}

/// A password from standard input: asked for without echo at a terminal, else its
/// first line (without the line break).
fn read_password() -> anyhow::Result<Password> {
    use std::io::{BufRead, IsTerminal};
    let line = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password: ")?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if line.is_empty() {
        anyhow::bail!("password: nothing was read from standard input");
    }
    Ok(Password(line))
}

/// Logs to standard error, filtered by `RUST_LOG` (default `info`), as `log.format` says.
fn init_tracing(format: config::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        config::LogFormat::Text => logs.init(),
        config::LogFormat::Json => logs.json().with_current_span(false).init(),
    }
}

/// `migrate`: the migrations applied, without serving.
async fn migrate_command(config: &config::Config) -> anyhow::Result<()> {
    let options = shopmux_core::StoreOptions::new(config.database.url.as_str().to_owned());
    let report = shopmux_core::storage::migrations::migrate(&options).await.map_err(|e| {
        anyhow::anyhow!("database.url: cannot migrate {}: {e}", config.database.url)
    })?;
    eprintln!(
        "shopmux: {} migration(s) applied now, {} in all; the database is up to date",
        report.applied, report.total
    );
    Ok(())
}

/// `backup --to FILE`: a consistent copy of a SQLite database.
async fn backup_command(config: &config::Config, to: &std::path::Path) -> anyhow::Result<()> {
    let url = config.database.url.as_str();
    let report = shopmux_core::storage::backup::sqlite_backup(url, to).await?;
    eprintln!(
        "shopmux: backed up {} to {} ({} bytes, {} migrations applied)",
        config.database.url,
        report.path.display(),
        report.bytes,
        report.migrations
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (raw, config) = match load_config(cli.config.as_deref()) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    if let Command::Rules { command: RulesCommand::Show { platform } } = &cli.command {
        // The built-in platforms' rules, and those of the configured plugins.
        let mut sets: Vec<_> =
            shopmux::adapters::builtin_adapters().iter().map(|a| a.rule_set()).collect();
        sets.extend(
            shopmux::plugins::load(&config)
                .into_iter()
                .filter_map(|o| o.result.ok())
                .map(|p| shopmux_contract::adapter::Adapter::rule_set(&p)),
        );
        return match sets.iter().find(|s| s.platform == platform.as_str()) {
            Some(set) => {
                print!("{}", shopmux::rules_table::rules_table(set));
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
    if let Command::Plugins { command } = &cli.command {
        return plugins_command(&config, command);
    }
    if let Command::CheckConfig = cli.command {
        print!("{}", raw.to_masked_toml());
        eprintln!("shopmux: configuration is valid");
        return ExitCode::SUCCESS;
    }
    init_tracing(config.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
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
                daemon.serve_until(shopmux::server::stop_signals()).await
            }
            #[cfg(feature = "demo")]
            Command::Demo => shopmux::demo::run(&config).await,
            Command::Owner { command } => owner_command(&config, command).await,
            Command::ServiceData { command } => service_data_command(&config, command).await,
            Command::Migrate => migrate_command(&config).await,
            Command::Backup { to } => backup_command(&config, &to).await,
            Command::CheckConfig | Command::Rules { .. } | Command::Plugins { .. } => Ok(()),
        }
    });
    // Blocking work still running (an adapter call to a platform that does not answer)
    // must not hold the exit: what was accepted is written by now.
    runtime.shutdown_timeout(std::time::Duration::from_millis(300));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shopmux: {e:#}");
            ExitCode::FAILURE
        }
    }
}
