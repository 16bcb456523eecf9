//! Configuration in two stages. One optional TOML file plus `SHOPMUX_<SECTION>__<KEY>`
//! environment overrides are read into [`RawConfig`]: what the operator wrote, every key
//! with its default and a doc comment, unknown keys refused. The pure
//! [`RawConfig::validate`] then turns it into [`Config`], whose values are typed (a socket
//! address, durations, the TLS mode, a parsed sender mailbox, the database URL with its
//! backend, where the sealing key comes from, the plugin folder resolved), or returns every
//! problem at once, each naming its key.
//!
//! Reading the TOML file in [`load`] is the only I/O here: validation touches no file and
//! no network. Reading or creating the sealing key file is `secrets.rs`; binding the
//! address and opening the database is `server.rs`.

use config::{Environment, File, FileFormat};
use lettre::message::Mailbox;
use serde::{Deserialize, Serialize};
use shopmux_core::storage::sealing::Sealer;
use shopmux_core::storage::store::Backend;
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

mod access;
mod connect;
mod languages;
mod log;
mod webhooks;
pub use access::{AccessConfig, RawAccessConfig};
pub use connect::{ConnectConfig, RawConnectApp, RawConnectConfig};
pub use languages::{LanguagesConfig, RawLanguagesConfig, TopicClassifierConfig};
pub use log::{LogFormat, RawLogConfig};
mod translation;
pub use translation::{ProviderKind, RawTranslationConfig, TranslationConfig};
pub use webhooks::RawWebhooksConfig;

/// The whole configuration as written: the TOML file with the environment's overrides.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConfig {
    /// `[server]`: the HTTP listener.
    pub server: RawServerConfig,
    /// `[database]`: where the inbox is stored.
    pub database: RawDatabaseConfig,
    /// `[ingest]`: the inbound writer and the poller.
    pub ingest: RawIngestConfig,
    /// `[outbox]`: how many replies are delivered at once.
    pub outbox: RawOutboxConfig,
    /// `[smtp]`: outgoing mail.
    pub smtp: RawSmtpConfig,
    /// `[plugins]`: adapter plugins.
    pub plugins: RawPluginsConfig,
    /// `[secrets]`: the key sealing shop credentials at rest.
    pub secrets: RawSecretsConfig,
    /// `[access]`: rate limits and the metrics token.
    pub access: RawAccessConfig,
    /// `[outbound]`: what the daemon's requests to platforms and image URLs may reach.
    pub outbound: RawOutboundConfig,
    /// `[storefront]`: how the storefront chat may be reached.
    pub storefront: crate::storefront_config::RawStorefrontConfig,
    /// `[webhooks]`: how outbound webhooks are retried.
    pub webhooks: RawWebhooksConfig,
    /// `[languages]`: language detection and the topic classifier of buyer messages.
    pub languages: RawLanguagesConfig,
    /// `[translation]`: the translation provider, its limits and the budget.
    pub translation: RawTranslationConfig,
    /// `[connect]`: one-click shop connections (the public address, the apps).
    pub connect: RawConnectConfig,
    /// `[log]`: how logs are written.
    pub log: RawLogConfig,
}

/// `[outbound]`: the daemon's own requests (platform APIs at a connection's `api_base`,
/// image URLs fetched for upload, plugins' requests).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawOutboundConfig {
    /// Allow plain `http://` and addresses that are not global — loopback, private,
    /// link-local, CGNAT, unique-local — after DNS resolution (default false: such
    /// requests are refused with `blocked_address`/`insecure_url`). Only for local
    /// simulators: tests and `shopmux demo` set it.
    pub allow_private_networks: bool,
    /// Largest response body read, in bytes (1024..=268435456); a longer one is cut off
    /// while it streams in and fails with `response_too_large`.
    pub max_response_bytes: usize,
}

impl Default for RawOutboundConfig {
    fn default() -> Self {
        Self { allow_private_networks: false, max_response_bytes: 16 * 1024 * 1024 }
    }
}

/// `[server]`: the HTTP listener.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawServerConfig {
    /// Address and port to listen on, `127.0.0.1:8080`.
    pub bind: String,
    /// Largest request body accepted, in bytes (1024..=67108864).
    pub max_body_bytes: usize,
    /// Seconds between pings on a live stream (1..=3600); a stream that misses a pong is
    /// closed, and an agent without streams gets no automatic assignment (TT-AGENT-3).
    pub stream_ping_secs: u64,
    /// Whether the web session cookie is marked `Secure` (sent over HTTPS only):
    /// `auto` (default: when the request came over HTTPS, as a reverse proxy says with
    /// `X-Forwarded-Proto: https` or `Forwarded: proto=https`), `always` or `never`.
    pub secure_cookies: String,
    /// Seconds a SIGTERM'd daemon keeps serving with `/readyz` answering 503 before it
    /// stops accepting (0..=300): long enough for a load balancer's health checks to
    /// take it out of rotation. Ctrl-C (SIGINT) does not wait.
    pub shutdown_delay_secs: u64,
}

impl Default for RawServerConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            max_body_bytes: 1024 * 1024,
            stream_ping_secs: 30,
            secure_cookies: "auto".into(),
            shutdown_delay_secs: 0,
        }
    }
}

/// `[database]`: where the inbox is stored.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawDatabaseConfig {
    /// `sqlite://path/file.db` (the directory is created) or `postgres://user@host/db`.
    pub url: String,
    /// Most pooled connections (1..=1000).
    pub max_connections: u32,
}

impl Default for RawDatabaseConfig {
    fn default() -> Self {
        Self { url: "sqlite://shopmux-data/shopmux.db".into(), max_connections: 8 }
    }
}

/// `[ingest]`: the inbound writer and the poller.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawIngestConfig {
    /// Most inbound messages committed in one transaction (1..=1000).
    pub max_batch: usize,
    /// Ingest writers on PostgreSQL, each writing its groups while the others write
    /// theirs (1..=16; SQLite has one).
    pub writers: usize,
    /// Seconds between polls of connected shops for what webhooks missed (5..=86400; the
    /// first poll, at start, catches up after downtime).
    pub poll_secs: u64,
}

impl Default for RawIngestConfig {
    fn default() -> Self {
        Self { max_batch: 256, writers: 2, poll_secs: 60 }
    }
}

/// `[outbox]`: how many replies are delivered at once.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawOutboxConfig {
    /// Most deliveries in flight to one platform (1..=256): a platform that hangs holds
    /// at most this many of the outbox's slots, never the others'.
    pub per_platform_concurrency: usize,
    /// Most deliveries in flight in all (1..=1024).
    pub concurrency: usize,
}

impl Default for RawOutboxConfig {
    fn default() -> Self {
        Self { per_platform_concurrency: 4, concurrency: 32 }
    }
}

/// `[smtp]`: outgoing mail, for storefront replies to customers who left (SH-ONLINE-1).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSmtpConfig {
    /// The SMTP server; empty: no email (replies to customers who left fail visibly).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// `starttls` (default), `tls` (implicit) or `none` (a local relay only).
    pub tls: String,
    /// Login, when the server wants one; empty: no login.
    pub username: String,
    /// Password (a secret: masked by `check-config`).
    pub password: String,
    /// The sender, `Shop <shop@example.com>` (checked when `host` is set).
    pub from: String,
}

impl Default for RawSmtpConfig {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: 587,
            tls: "starttls".into(),
            username: String::new(),
            password: String::new(),
            from: "shopmux <shopmux@localhost>".into(),
        }
    }
}

/// `[plugins]`: adapter plugins (`.so`/`.dylib`/`.dll`) loaded at start.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawPluginsConfig {
    /// The folder scanned for plugins (files with this system's library extension);
    /// a missing folder holds no plugins. Empty: `plugins.d` beside the SQLite
    /// database (`shopmux-data/plugins.d`), else `plugins.d`.
    pub dir: String,
    /// Plugin files loaded besides the folder's, by path.
    pub paths: Vec<String>,
    /// Longest a plugin call may take, in seconds (1..=600).
    pub call_timeout_secs: u64,
}

impl Default for RawPluginsConfig {
    fn default() -> Self {
        Self { dir: String::new(), paths: Vec::new(), call_timeout_secs: 20 }
    }
}

/// `[secrets]`: the key that seals shop credentials at rest.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSecretsConfig {
    /// The key, 64 hex characters (a secret: masked by `check-config`). Every daemon of
    /// one database needs the same key. Empty: read from `key_file`.
    pub key: String,
    /// A file holding the key, created with a fresh random key (mode 0600) when
    /// missing on a new database; on a database whose secrets are sealed with a key, a
    /// missing file (or another key) refuses the start. Empty: `secret.key` beside the SQLite database
    /// (`shopmux-data/secret.key`), else `shopmux-secret.key`.
    pub key_file: String,
}

/// The validated configuration: what the daemon runs with.
#[derive(Clone, Debug)]
pub struct Config {
    /// The HTTP listener.
    pub server: ServerConfig,
    /// The database.
    pub database: DatabaseConfig,
    /// The inbound writer and the poller.
    pub ingest: IngestConfig,
    /// How many replies are delivered at once.
    pub outbox: shopmux_core::DeliveryLimits,
    /// Outgoing mail; none when `smtp.host` is empty.
    pub smtp: Option<SmtpConfig>,
    /// Adapter plugins.
    pub plugins: PluginsConfig,
    /// Where the sealing key comes from (read by `secrets::sealing_key_for`).
    pub secrets: SecretKey,
    /// Rate limits and the metrics token.
    pub access: AccessConfig,
    /// What outbound requests may reach.
    pub outbound: crate::outbound::OutboundPolicy,
    /// How the storefront chat may be reached.
    pub storefront: crate::storefront_config::StorefrontConfig,
    /// How outbound webhooks are retried.
    pub webhooks: shopmux_core::domain::webhook_retry::WebhookSettings,
    /// Language detection and the topic classifier.
    pub languages: LanguagesConfig,
    /// The translation provider, its limits and the budget.
    pub translation: TranslationConfig,
    /// One-click shop connections.
    pub connect: ConnectConfig,
    /// How logs are written.
    pub log: LogFormat,
}

impl Default for Config {
    /// The defaults, validated: what the daemon runs with when nothing is configured.
    fn default() -> Self {
        RawConfig::default().validate().expect("the default configuration is valid")
    }
}

/// `[server]`, validated.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Address and port to listen on (port 0: any free port).
    pub bind: SocketAddr,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Time between pings on a live stream.
    pub stream_ping: Duration,
    /// When the web session cookie is `Secure`.
    pub secure_cookies: SecureCookies,
    /// How long a SIGTERM'd daemon drains (`/readyz` 503) before it stops accepting.
    pub shutdown_delay: Duration,
}

/// When the web session cookie is marked `Secure` (`server.secure_cookies`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SecureCookies {
    /// `auto`: when the request came over HTTPS (the daemon serves plain HTTP, so a
    /// reverse proxy's `X-Forwarded-Proto: https` or `Forwarded: proto=https` says so).
    #[default]
    Auto,
    /// `always`: every cookie (the daemon is only reached over HTTPS).
    Always,
    /// `never`: no cookie (plain HTTP on a trusted network, or local development).
    Never,
}

impl FromStr for SecureCookies {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "auto" => Ok(Self::Auto),
            "always" => Ok(Self::Always),
            "never" => Ok(Self::Never),
            other => Err(format!("`{other}` is not one of auto, always, never")),
        }
    }
}

/// `[database]`, validated.
#[derive(Clone, Debug)]
pub struct DatabaseConfig {
    /// The database URL, its backend known.
    pub url: DatabaseUrl,
    /// Most pooled connections.
    pub max_connections: u32,
}

/// A database URL whose backend is known. `Display` and `Debug` mask its password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
    backend: Backend,
}

impl DatabaseUrl {
    /// The URL as written (with its password: not for logs).
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// SQLite or PostgreSQL.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The folder of the SQLite database, when the database is a SQLite file in one.
    pub fn sqlite_dir(&self) -> Option<PathBuf> {
        if self.backend != Backend::Sqlite {
            return None;
        }
        let rest =
            self.url.strip_prefix("sqlite://").or_else(|| self.url.strip_prefix("sqlite:"))?;
        let file = rest.split('?').next().unwrap_or(rest);
        Path::new(file).parent().filter(|p| !p.as_os_str().is_empty()).map(Path::to_path_buf)
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        let backend = shopmux_core::storage::store::backend_of(url)?;
        Ok(Self { url: url.to_owned(), backend })
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&mask_url_password(&self.url))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self}, {:?})", self.backend)
    }
}

/// `[ingest]`, validated.
#[derive(Clone, Debug)]
pub struct IngestConfig {
    /// Most inbound messages committed in one transaction.
    pub max_batch: usize,
    /// Ingest writers on PostgreSQL.
    pub writers: usize,
    /// Time between polls of connected shops.
    pub poll_every: Duration,
}

/// How the SMTP connection is secured (`smtp.tls`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// `starttls`: plain connection upgraded with STARTTLS (required).
    Starttls,
    /// `tls`: implicit TLS from the first byte.
    Tls,
    /// `none`: no encryption (a local relay only).
    None,
}

impl FromStr for SmtpTls {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "starttls" => Ok(Self::Starttls),
            "tls" => Ok(Self::Tls),
            "none" => Ok(Self::None),
            other => Err(format!("`{other}` is not one of starttls, tls, none")),
        }
    }
}

/// `[smtp]`, validated (present only when `smtp.host` is set).
#[derive(Clone, Debug)]
pub struct SmtpConfig {
    /// The SMTP server.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is secured.
    pub tls: SmtpTls,
    /// The login, when `smtp.username` is set.
    pub login: Option<SmtpLogin>,
    /// The sender.
    pub from: Mailbox,
}

/// An SMTP login. `Debug` masks the password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpLogin {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: Masked<String>,
}

/// `[plugins]`, validated.
#[derive(Clone, Debug)]
pub struct PluginsConfig {
    /// The folder scanned for plugins, resolved (it may not exist).
    pub dir: PathBuf,
    /// Plugin files loaded besides the folder's.
    pub paths: Vec<PathBuf>,
    /// Longest a plugin call may take.
    pub call_timeout: Duration,
}

/// Where the sealing key comes from (`[secrets]`). `Debug` never shows a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretKey {
    /// `secrets.key`: the key itself.
    Inline(Masked<[u8; 32]>),
    /// `secrets.key_file` (resolved): read when the daemon starts, created when missing on a
    /// database that holds no sealed secret yet.
    File(PathBuf),
}

/// A secret of the configuration (a password, a key): `Debug` shows `****`, never it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Masked<T>(pub T);

impl<T> fmt::Debug for Masked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

/// A configuration problem, naming the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The key (`server.bind`), or the file.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// The problems found so far while validating.
#[derive(Default)]
struct Problems(Vec<ConfigError>);

impl Problems {
    fn add(&mut self, key: &str, message: impl Into<String>) {
        self.0.push(ConfigError { key: key.into(), message: message.into() });
    }

    /// `value` parsed, or the problem recorded under `key`.
    fn parse<T: FromStr<Err = String>>(&mut self, key: &str, value: &str) -> Option<T> {
        value.parse().map_err(|m| self.add(key, m)).ok()
    }

    /// `value` when it lies in `range`, or the problem recorded under `key`.
    fn in_range<T>(&mut self, key: &str, value: T, range: RangeInclusive<T>) -> Option<T>
    where
        T: PartialOrd + fmt::Display + Copy,
    {
        if range.contains(&value) {
            return Some(value);
        }
        let (low, high) = range.into_inner();
        self.add(key, format!("{value} is outside {low}..={high}"));
        None
    }

    /// A whole number of seconds in `range`, as a duration.
    fn seconds(&mut self, key: &str, value: u64, range: RangeInclusive<u64>) -> Option<Duration> {
        self.in_range(key, value, range).map(Duration::from_secs)
    }
}

impl RawConfig {
    /// Checks every key and produces the typed configuration, or every problem found,
    /// each naming its key. Pure: no file, no network, no clock.
    pub fn validate(self) -> Result<Config, Vec<ConfigError>> {
        let mut problems = Problems::default();
        let server = self.server.validate(&mut problems);
        let database = self.database.validate(&mut problems);
        let data_dir = database.as_ref().and_then(|d| d.url.sqlite_dir());
        let ingest = self.ingest.validate(&mut problems);
        let outbox = self.outbox.validate(&mut problems);
        let smtp = self.smtp.validate(&mut problems);
        let plugins = self.plugins.validate(data_dir.as_deref(), &mut problems);
        let secrets = self.secrets.validate(data_dir.as_deref(), &mut problems);
        let access = self.access.validate(&mut problems);
        let outbound = problems.in_range(
            "outbound.max_response_bytes",
            self.outbound.max_response_bytes,
            1024..=256 * 1024 * 1024,
        );
        let outbound = outbound.map(|max_response_bytes| crate::outbound::OutboundPolicy {
            allow_private_networks: self.outbound.allow_private_networks,
            max_response_bytes,
        });
        let webhooks = self.webhooks.validate(&mut problems);
        let languages = self.languages.validate(&mut problems);
        let translation = self.translation.validate(&mut problems);
        let connect = self.connect.validate(&mut problems);
        let log = self.log.validate(&mut problems);
        let storefront = self.storefront.validate().map_err(|found| {
            found.into_iter().for_each(|(key, message)| problems.add(&key, message))
        });
        match (server, database, (ingest, outbox), smtp, plugins, secrets, outbound) {
            (
                Some(server),
                Some(database),
                (Some(ingest), Some(outbox)),
                Some(smtp),
                Some(plugins),
                Some(secrets),
                Some(outbound),
            ) if problems.0.is_empty() => Ok(Config {
                server,
                database,
                ingest,
                outbox,
                smtp,
                plugins,
                secrets,
                access,
                outbound,
                storefront: storefront.unwrap_or_default(),
                webhooks: webhooks.unwrap_or_default(),
                languages: languages.unwrap_or_default(),
                translation: translation.unwrap_or_default(),
                connect,
                log,
            }),
            _ => Err(problems.0),
        }
    }

    /// The configuration as TOML, with secrets masked (for `check-config`).
    pub fn to_masked_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database.url = mask_url_password(&shown.database.url);
        if !shown.smtp.password.is_empty() {
            shown.smtp.password = "****".into();
        }
        if !shown.secrets.key.is_empty() {
            shown.secrets.key = "****".into();
        }
        if !shown.access.metrics_token.is_empty() {
            shown.access.metrics_token = "****".into();
        }
        for app in shown.connect.apps.values_mut() {
            if !app.client_secret.is_empty() {
                app.client_secret = "****".into();
            }
        }
        if !shown.translation.api_key.is_empty() {
            shown.translation.api_key = "****".into();
        }
        toml::to_string_pretty(&shown).unwrap_or_default()
    }
}

impl RawServerConfig {
    fn validate(self, problems: &mut Problems) -> Option<ServerConfig> {
        let bind = self.bind.parse::<SocketAddr>().map_err(|_| {
            problems.add(
                "server.bind",
                format!("`{}` is not an address:port like 127.0.0.1:8080", self.bind),
            )
        });
        let max_body_bytes = problems.in_range(
            "server.max_body_bytes",
            self.max_body_bytes,
            1024..=64 * 1024 * 1024,
        );
        let stream_ping =
            problems.seconds("server.stream_ping_secs", self.stream_ping_secs, 1..=3600);
        let secure_cookies = problems.parse("server.secure_cookies", &self.secure_cookies);
        let shutdown_delay =
            problems.seconds("server.shutdown_delay_secs", self.shutdown_delay_secs, 0..=300);
        Some(ServerConfig {
            bind: bind.ok()?,
            max_body_bytes: max_body_bytes?,
            stream_ping: stream_ping?,
            secure_cookies: secure_cookies?,
            shutdown_delay: shutdown_delay?,
        })
    }
}

impl RawDatabaseConfig {
    fn validate(self, problems: &mut Problems) -> Option<DatabaseConfig> {
        let url = problems.parse::<DatabaseUrl>("database.url", &self.url);
        let max_connections =
            problems.in_range("database.max_connections", self.max_connections, 1..=1000);
        Some(DatabaseConfig { url: url?, max_connections: max_connections? })
    }
}

impl RawIngestConfig {
    fn validate(self, problems: &mut Problems) -> Option<IngestConfig> {
        let max_batch = problems.in_range("ingest.max_batch", self.max_batch, 1..=1000);
        let writers = problems.in_range("ingest.writers", self.writers, 1..=16);
        let poll_every = problems.seconds("ingest.poll_secs", self.poll_secs, 5..=86_400);
        Some(IngestConfig { max_batch: max_batch?, writers: writers?, poll_every: poll_every? })
    }
}

impl RawOutboxConfig {
    fn validate(self, problems: &mut Problems) -> Option<shopmux_core::DeliveryLimits> {
        let per_platform = problems.in_range(
            "outbox.per_platform_concurrency",
            self.per_platform_concurrency,
            1..=256,
        );
        let total = problems.in_range("outbox.concurrency", self.concurrency, 1..=1024);
        Some(shopmux_core::DeliveryLimits { per_platform: per_platform?, total: total? })
    }
}

impl RawSmtpConfig {
    /// `Some(None)`: valid, no email; `None`: a problem was recorded.
    fn validate(self, problems: &mut Problems) -> Option<Option<SmtpConfig>> {
        let tls = problems.parse::<SmtpTls>("smtp.tls", &self.tls);
        let host = self.host.trim();
        if host.is_empty() {
            return tls.map(|_| None);
        }
        let from = self.from.parse::<Mailbox>().map_err(|_| {
            problems.add(
                "smtp.from",
                format!("`{}` is not a mailbox like `Shop <shop@example.com>`", self.from),
            )
        });
        let login = (!self.username.is_empty())
            .then_some(SmtpLogin { username: self.username, password: Masked(self.password) });
        Some(Some(SmtpConfig {
            host: host.to_owned(),
            port: self.port,
            tls: tls?,
            login,
            from: from.ok()?,
        }))
    }
}

impl RawPluginsConfig {
    fn validate(self, data_dir: Option<&Path>, problems: &mut Problems) -> Option<PluginsConfig> {
        let call_timeout =
            problems.seconds("plugins.call_timeout_secs", self.call_timeout_secs, 1..=600);
        let dir = match (self.dir.is_empty(), data_dir) {
            (false, _) => PathBuf::from(self.dir),
            (true, Some(data)) => data.join("plugins.d"),
            (true, None) => PathBuf::from("plugins.d"),
        };
        Some(PluginsConfig {
            dir,
            paths: self.paths.into_iter().map(PathBuf::from).collect(),
            call_timeout: call_timeout?,
        })
    }
}

impl RawSecretsConfig {
    fn validate(self, data_dir: Option<&Path>, problems: &mut Problems) -> Option<SecretKey> {
        if !self.key.is_empty() {
            return Sealer::key_from_hex(&self.key)
                .map(|key| SecretKey::Inline(Masked(key)))
                .map_err(|m| problems.add("secrets.key", m))
                .ok();
        }
        Some(SecretKey::File(match (self.key_file.is_empty(), data_dir) {
            (false, _) => PathBuf::from(self.key_file),
            (true, Some(data)) => data.join("secret.key"),
            (true, None) => PathBuf::from("shopmux-secret.key"),
        }))
    }
}

/// The `SHOPMUX_<SECTION>__<KEY>` variables among `vars`, as config keys. Other
/// `SHOPMUX_*` variables (like `SHOPMUX_TEST_POSTGRES_URL`) are not configuration.
fn env_overrides(vars: impl Iterator<Item = (String, String)>) -> HashMap<String, String> {
    vars.filter(|(k, _)| k.starts_with("SHOPMUX_") && k["SHOPMUX_".len()..].contains("__"))
        .collect()
}

/// Loads the configuration from an optional file and the environment, and validates it.
pub fn load(file: Option<&Path>) -> Result<Config, Vec<ConfigError>> {
    load_raw(file)?.validate()
}

/// [`load`] with the environment given (for tests).
pub fn load_from(
    file: Option<&Path>, vars: impl Iterator<Item = (String, String)>,
) -> Result<Config, Vec<ConfigError>> {
    load_raw_from(file, vars)?.validate()
}

/// Reads the configuration from an optional file and the environment, unvalidated.
pub fn load_raw(file: Option<&Path>) -> Result<RawConfig, Vec<ConfigError>> {
    load_raw_from(file, std::env::vars())
}

/// [`load_raw`] with the environment given (for tests).
pub fn load_raw_from(
    file: Option<&Path>, vars: impl Iterator<Item = (String, String)>,
) -> Result<RawConfig, Vec<ConfigError>> {
    let mut builder = config::Config::builder();
    if let Some(path) = file {
        if !path.exists() {
            return Err(vec![ConfigError {
                key: path.display().to_string(),
                message: "file not found".into(),
            }]);
        }
        builder = builder.add_source(File::from(path).format(FileFormat::Toml));
    }
    builder = builder.add_source(
        Environment::with_prefix("SHOPMUX")
            .prefix_separator("_")
            .separator("__")
            .try_parsing(true)
            .source(Some(env_overrides(vars))),
    );
    let raw = builder.build().map_err(|e| vec![from_config_error(e, file)])?;
    raw.try_deserialize().map_err(|e| vec![from_config_error(e, file)])
}

fn from_config_error(e: config::ConfigError, file: Option<&Path>) -> ConfigError {
    let text = e.to_string();
    // The config crate says "... for key `server.bind`" or "unknown field `x`" (with
    // the section in the path); keep its wording and lift the key out when it names one.
    let key = text
        .split("for key `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .map(str::to_owned)
        .unwrap_or_else(|| {
            file.map(|f| f.display().to_string()).unwrap_or_else(|| "config".into())
        });
    ConfigError { key, message: text }
}

/// `postgres://user:secret@host/db` → `postgres://user:****@host/db`.
pub fn mask_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:****@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>().into_iter()
    }

    fn keys(errors: &[ConfigError]) -> Vec<&str> {
        errors.iter().map(|e| e.key.as_str()).collect()
    }

    #[test]
    fn plugins_live_beside_the_sqlite_data_by_default() {
        let c = load_from(None, env(&[])).unwrap();
        assert_eq!(c.plugins.dir, PathBuf::from("shopmux-data/plugins.d"));
        let c = load_from(None, env(&[("SHOPMUX_DATABASE__URL", "postgres://u@h/db")])).unwrap();
        assert_eq!(c.plugins.dir, PathBuf::from("plugins.d"));
        let c = load_from(None, env(&[("SHOPMUX_PLUGINS__DIR", "/opt/p")])).unwrap();
        assert_eq!(c.plugins.dir, PathBuf::from("/opt/p"));
        let e = load_from(None, env(&[("SHOPMUX_PLUGINS__CALL_TIMEOUT_SECS", "0")])).unwrap_err();
        assert_eq!(e[0].key, "plugins.call_timeout_secs");
    }

    #[test]
    fn defaults_need_no_file() {
        let c = load_from(None, env(&[])).unwrap();
        assert_eq!(c.server.bind, "127.0.0.1:8080".parse::<SocketAddr>().unwrap());
        assert_eq!(c.database.url.as_str(), "sqlite://shopmux-data/shopmux.db");
        assert_eq!(c.secrets, SecretKey::File(PathBuf::from("shopmux-data/secret.key")));
        assert!(c.smtp.is_none(), "no smtp.host: no email");
        // `Config::default()` is exactly the validated defaults.
        assert_eq!(format!("{:?}", Config::default()), format!("{c:?}"));
    }

    #[test]
    fn environment_overrides_every_key_and_ignores_other_shopmux_variables() {
        let c = load_from(
            None,
            env(&[
                ("SHOPMUX_SERVER__BIND", "0.0.0.0:9000"),
                ("SHOPMUX_DATABASE__MAX_CONNECTIONS", "3"),
                ("SHOPMUX_TEST_POSTGRES_URL", "postgres://x/y"),
            ]),
        )
        .unwrap();
        assert_eq!(c.server.bind, "0.0.0.0:9000".parse::<SocketAddr>().unwrap());
        assert_eq!(c.database.max_connections, 3);
    }

    #[test]
    fn bad_values_name_their_key() {
        let errors = load_from(None, env(&[("SHOPMUX_SERVER__BIND", "nowhere")])).unwrap_err();
        assert_eq!(errors[0].key, "server.bind");
        let errors =
            load_from(None, env(&[("SHOPMUX_DATABASE__MAX_CONNECTIONS", "lots")])).unwrap_err();
        assert!(errors[0].to_string().contains("database.max_connections"), "{}", errors[0]);
        let errors = load_from(None, env(&[("SHOPMUX_DATABASE__URL", "mysql://x")])).unwrap_err();
        assert_eq!(errors[0].key, "database.url");
    }

    #[test]
    fn log_format_and_shutdown_delay_are_read_and_checked() {
        let c = load_from(None, env(&[])).unwrap();
        assert_eq!(c.log, LogFormat::Text);
        assert_eq!(c.server.shutdown_delay, Duration::ZERO);
        let vars = [("SHOPMUX_LOG__FORMAT", "json"), ("SHOPMUX_SERVER__SHUTDOWN_DELAY_SECS", "15")];
        let c = load_from(None, env(&vars)).unwrap();
        assert_eq!(c.log, LogFormat::Json);
        assert_eq!(c.server.shutdown_delay, Duration::from_secs(15));
        let vars = [("SHOPMUX_LOG__FORMAT", "xml"), ("SHOPMUX_SERVER__SHUTDOWN_DELAY_SECS", "301")];
        let errors = load_from(None, env(&vars)).unwrap_err();
        assert_eq!(keys(&errors), ["server.shutdown_delay_secs", "log.format"]);
    }

    #[test]
    fn outbox_concurrency_limits_are_bounded_and_typed() {
        let c = load_from(None, env(&[])).unwrap();
        assert_eq!(c.outbox, shopmux_core::DeliveryLimits { per_platform: 4, total: 32 });
        let vars = [
            ("SHOPMUX_OUTBOX__PER_PLATFORM_CONCURRENCY", "2"),
            ("SHOPMUX_OUTBOX__CONCURRENCY", "8"),
        ];
        let c = load_from(None, env(&vars)).unwrap();
        assert_eq!(c.outbox, shopmux_core::DeliveryLimits { per_platform: 2, total: 8 });
        for (var, key) in [
            ("SHOPMUX_OUTBOX__PER_PLATFORM_CONCURRENCY", "outbox.per_platform_concurrency"),
            ("SHOPMUX_OUTBOX__CONCURRENCY", "outbox.concurrency"),
        ] {
            let errors = load_from(None, env(&[(var, "0")])).unwrap_err();
            assert_eq!(errors[0].key, key, "0 slots would stall the outbox");
        }
    }

    #[test]
    fn unknown_keys_in_a_file_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shopmux.toml");
        std::fs::write(&path, "[server]\nbnd = \"127.0.0.1:1\"\n").unwrap();
        let errors = load_from(Some(&path), env(&[])).unwrap_err();
        assert!(errors[0].to_string().contains("bnd"), "{}", errors[0]);
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(mask_url_password("postgres://u:pw@h/db"), "postgres://u:****@h/db");
        let mut raw = RawConfig::default();
        raw.database.url = "postgres://u:hunter2@h/db".into();
        raw.smtp.password = "smtp-hunter3".into();
        raw.secrets.key = "ab".repeat(32);
        let shown = raw.to_masked_toml();
        assert!(
            !shown.contains("hunter2")
                && !shown.contains("smtp-hunter3")
                && !shown.contains("abab"),
            "{shown}"
        );
        // The validated values do not show them either.
        raw.smtp.host = "mail.example.com".into();
        raw.smtp.username = "shop".into();
        let shown = format!("{:?}", raw.validate().unwrap());
        assert!(
            !shown.contains("hunter2") && !shown.contains("smtp-hunter3") && !shown.contains("171"),
            "{shown}"
        );
    }

    #[test]
    fn values_come_out_typed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shopmux.toml");
        let toml = r#"
            [server]
            bind = "[::1]:9443"
            stream_ping_secs = 7
            secure_cookies = "always"
            [database]
            url = "postgres://shop:pw@db.internal/shopmux"
            [ingest]
            poll_secs = 90
            [smtp]
            host = "mail.example.com"
            port = 465
            tls = "tls"
            username = "shop"
            password = "pw"
            from = "Acme Shop <shop@acme.example>"
            [plugins]
            paths = ["extra/libshopmux_lazada.so"]
            call_timeout_secs = 3
            [secrets]
            key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        "#;
        std::fs::write(&path, toml).unwrap();
        let c = load_from(Some(&path), env(&[("SHOPMUX_SMTP__PORT", "2465")])).unwrap();
        assert_eq!(c.server.bind, SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], 9443)));
        assert_eq!(c.server.stream_ping, Duration::from_secs(7));
        assert_eq!(c.server.secure_cookies, SecureCookies::Always);
        assert_eq!(c.database.url.backend(), Backend::Postgres);
        assert_eq!(c.database.url.sqlite_dir(), None);
        assert_eq!(c.database.url.to_string(), "postgres://shop:****@db.internal/shopmux");
        assert_eq!(c.ingest.poll_every, Duration::from_secs(90));
        let smtp = c.smtp.expect("smtp.host is set");
        assert_eq!(
            (smtp.host.as_str(), smtp.port, smtp.tls),
            ("mail.example.com", 2465, SmtpTls::Tls)
        );
        assert_eq!(smtp.from.name.as_deref(), Some("Acme Shop"));
        assert_eq!(smtp.from.email.to_string(), "shop@acme.example");
        assert_eq!(smtp.login.map(|l| l.username).as_deref(), Some("shop"));
        assert_eq!(c.plugins.dir, PathBuf::from("plugins.d"));
        assert_eq!(c.plugins.paths, vec![PathBuf::from("extra/libshopmux_lazada.so")]);
        assert_eq!(c.plugins.call_timeout, Duration::from_secs(3));
        let key: Vec<u8> = (0..32).collect();
        assert_eq!(c.secrets, SecretKey::Inline(Masked(key.try_into().unwrap())));

        let mut raw = RawConfig::default();
        raw.database.url = "sqlite:data/x.db?mode=rwc".into();
        raw.smtp.tls = "none".into();
        let c = raw.validate().unwrap();
        assert_eq!(c.database.url.backend(), Backend::Sqlite);
        assert_eq!(c.secrets, SecretKey::File(PathBuf::from("data/secret.key")));
        assert_eq!(c.plugins.dir, PathBuf::from("data/plugins.d"));
        assert!(c.smtp.is_none(), "no host, no mail, whatever the TLS mode");
    }

    #[test]
    fn every_bad_key_is_reported_at_once_each_naming_its_key() {
        let mut raw = RawConfig::default();
        raw.server.bind = "localhost".into();
        raw.server.stream_ping_secs = 0;
        raw.server.secure_cookies = "sometimes".into();
        raw.database.url = "mysql://db/shop".into();
        raw.ingest.poll_secs = 1;
        raw.smtp.host = "mail.example.com".into();
        raw.smtp.tls = "ssl".into();
        raw.smtp.from = "not a mailbox".into();
        raw.plugins.call_timeout_secs = 601;
        raw.secrets.key = "xyz".into();
        let errors = raw.validate().unwrap_err();
        assert_eq!(
            keys(&errors),
            [
                "server.bind",
                "server.stream_ping_secs",
                "server.secure_cookies",
                "database.url",
                "ingest.poll_secs",
                "smtp.tls",
                "smtp.from",
                "plugins.call_timeout_secs",
                "secrets.key"
            ]
        );
        assert!(errors[0].to_string().contains("`localhost`"), "{}", errors[0]);
        assert!(errors[2].message.contains("auto, always, never"), "{}", errors[2]);
        assert!(errors[5].message.contains("starttls, tls, none"), "{}", errors[5]);
        assert_eq!(errors[7].message, "601 is outside 1..=600");
        // An unset host does not check the sender, but still the TLS mode.
        let mut raw = RawConfig::default();
        raw.smtp.tls = "ssl".into();
        raw.smtp.from = "not a mailbox".into();
        assert_eq!(keys(&raw.validate().unwrap_err()), ["smtp.tls"]);
    }

    #[test]
    fn validation_touches_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let absent = dir.path().join("not").join("yet");
        let mut raw = RawConfig::default();
        raw.database.url = format!("sqlite://{}/shopmux.db", absent.display());
        raw.plugins.dir = absent.join("plugins").display().to_string();
        let c = raw.clone().validate().unwrap();
        assert_eq!(c.secrets, SecretKey::File(absent.join("secret.key")));
        raw.secrets.key_file = absent.join("keys").join("secret.key").display().to_string();
        let c = raw.validate().unwrap();
        assert_eq!(c.secrets, SecretKey::File(absent.join("keys").join("secret.key")));
        assert!(!absent.exists(), "validation created nothing");
    }
}
