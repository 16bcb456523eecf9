//! Configuration: one optional TOML file plus `SHOPMUX_<SECTION>__<KEY>` environment
//! overrides, read into a raw form (every key with its default and a doc comment),
//! then validated into [`Config`] with every error naming its key.

use config::{Environment, File, FileFormat};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;

/// `[server]`: the HTTP listener.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address and port to listen on.
    pub bind: String,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Seconds between pings on a live stream; a stream that misses a pong is closed,
    /// and an agent without streams gets no automatic assignment (TT-AGENT-3).
    pub stream_ping_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            max_body_bytes: 1024 * 1024,
            stream_ping_secs: 30,
        }
    }
}

/// `[database]`: where the inbox is stored.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://path/file.db` (the directory is created) or `postgres://user@host/db`.
    pub url: String,
    /// Most pooled connections.
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://shopmux-data/shopmux.db".into(),
            max_connections: 8,
        }
    }
}

/// `[ingest]`: the inbound writer.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    /// Most inbound messages committed in one transaction.
    pub max_batch: usize,
    /// Seconds between polls of connected shops for what webhooks missed (the first
    /// poll, at start, catches up after downtime).
    pub poll_secs: u64,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            max_batch: 256,
            poll_secs: 60,
        }
    }
}

/// `[smtp]`: outgoing mail, for storefront replies to customers who left (SH-ONLINE-1).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    /// The SMTP server; empty: no email (replies to customers who left fail visibly).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// `starttls` (default), `tls` (implicit) or `none` (a local relay only).
    pub tls: String,
    /// Login, when the server wants one.
    pub username: String,
    /// Password (a secret: masked by `check-config`).
    pub password: String,
    /// The sender, `Shop <shop@example.com>`.
    pub from: String,
}

impl Default for SmtpConfig {
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
pub struct PluginsConfig {
    /// The folder scanned for plugins (files with this system's library extension);
    /// a missing folder holds no plugins. Default: `plugins.d` beside the SQLite
    /// database (`shopmux-data/plugins.d`), else `plugins.d`.
    pub dir: String,
    /// Plugin files loaded besides the folder's, by path.
    pub paths: Vec<String>,
    /// Longest a plugin call may take, in seconds.
    pub call_timeout_secs: u64,
}

impl Default for PluginsConfig {
    fn default() -> Self {
        Self {
            dir: String::new(),
            paths: Vec::new(),
            call_timeout_secs: 20,
        }
    }
}

/// `[secrets]`: the key that seals shop credentials at rest.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsConfig {
    /// The key, 64 hex characters (a secret: masked by `check-config`). Every daemon of
    /// one database needs the same key. Empty: read from `key_file`.
    pub key: String,
    /// A file holding the key, created with a fresh random key (mode 0600) when
    /// missing. Default: `secret.key` beside the SQLite database
    /// (`shopmux-data/secret.key`), else `shopmux-secret.key`.
    pub key_file: String,
}

impl Config {
    /// The folder of the SQLite database, when the database is a SQLite file in one.
    fn data_dir(&self) -> Option<std::path::PathBuf> {
        let url = &self.database.url;
        let file = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .map(|rest| rest.split('?').next().unwrap_or(rest))?;
        Path::new(file)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
    }

    /// The plugin folder in effect (see [`PluginsConfig::dir`]).
    pub fn plugins_dir(&self) -> std::path::PathBuf {
        if !self.plugins.dir.is_empty() {
            return self.plugins.dir.clone().into();
        }
        match self.data_dir() {
            Some(dir) => dir.join("plugins.d"),
            None => "plugins.d".into(),
        }
    }

    /// The key file in effect (see [`SecretsConfig::key_file`]).
    pub fn key_file(&self) -> std::path::PathBuf {
        if !self.secrets.key_file.is_empty() {
            return self.secrets.key_file.clone().into();
        }
        match self.data_dir() {
            Some(dir) => dir.join("secret.key"),
            None => "shopmux-secret.key".into(),
        }
    }

    /// The sealing key: `secrets.key`, else the key file's (created when missing).
    pub fn sealing_key(&self) -> anyhow::Result<[u8; 32]> {
        use shopmux_core::storage::sealing::Sealer;
        if !self.secrets.key.is_empty() {
            return Sealer::key_from_hex(&self.secrets.key)
                .map_err(|m| anyhow::anyhow!("secrets.key: {m}"));
        }
        let path = self.key_file();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Sealer::generate_key_hex()?;
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        anyhow::anyhow!("secrets.key_file: cannot create {}: {e}", dir.display())
                    })?;
                }
                write_private(&path, &key).map_err(|e| {
                    anyhow::anyhow!("secrets.key_file: cannot write {}: {e}", path.display())
                })?;
                tracing::info!(message = "Created the sealing key file.", path = %path.display());
                key
            }
            Err(e) => {
                anyhow::bail!("secrets.key_file: cannot read {}: {e}", path.display())
            }
        };
        Sealer::key_from_hex(&text)
            .map_err(|m| anyhow::anyhow!("secrets.key_file: {}: {m}", path.display()))
    }
}

/// Writes a file only its owner can read (on Unix).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

/// The whole configuration.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The HTTP listener.
    pub server: ServerConfig,
    /// The database.
    pub database: DatabaseConfig,
    /// The inbound writer.
    pub ingest: IngestConfig,
    /// Outgoing mail.
    pub smtp: SmtpConfig,
    /// Adapter plugins.
    pub plugins: PluginsConfig,
    /// Secrets at rest.
    pub secrets: SecretsConfig,
}

/// A configuration problem, naming the key.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The key (`server.bind`), or the file.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
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
    load_from(file, std::env::vars())
}

/// [`load`] with the environment given (for tests).
pub fn load_from(
    file: Option<&Path>,
    vars: impl Iterator<Item = (String, String)>,
) -> Result<Config, Vec<ConfigError>> {
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
    let raw = builder
        .build()
        .map_err(|e| vec![from_config_error(e, file)])?;
    let config: Config = raw
        .try_deserialize()
        .map_err(|e| vec![from_config_error(e, file)])?;
    let errors = config.validate();
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(errors)
    }
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
            file.map(|f| f.display().to_string())
                .unwrap_or_else(|| "config".into())
        });
    ConfigError { key, message: text }
}

impl Config {
    /// Every problem of the values, each naming its key.
    pub fn validate(&self) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        let mut bad = |key: &str, message: String| {
            errors.push(ConfigError {
                key: key.into(),
                message,
            })
        };
        if self.server.bind.parse::<SocketAddr>().is_err() {
            bad(
                "server.bind",
                format!(
                    "`{}` is not an address:port like 127.0.0.1:8080",
                    self.server.bind
                ),
            );
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.server.max_body_bytes) {
            bad(
                "server.max_body_bytes",
                format!("{} is outside 1024..=67108864", self.server.max_body_bytes),
            );
        }
        if !(1..=3600).contains(&self.server.stream_ping_secs) {
            bad(
                "server.stream_ping_secs",
                format!("{} is outside 1..=3600", self.server.stream_ping_secs),
            );
        }
        if !(5..=86_400).contains(&self.ingest.poll_secs) {
            bad(
                "ingest.poll_secs",
                format!("{} is outside 5..=86400", self.ingest.poll_secs),
            );
        }
        if !["starttls", "tls", "none"].contains(&self.smtp.tls.as_str()) {
            bad(
                "smtp.tls",
                format!("`{}` is not one of starttls, tls, none", self.smtp.tls),
            );
        }
        if !self.smtp.host.is_empty() && self.smtp.from.parse::<lettre::message::Mailbox>().is_err()
        {
            bad(
                "smtp.from",
                format!(
                    "`{}` is not a mailbox like `Shop <shop@example.com>`",
                    self.smtp.from
                ),
            );
        }
        if let Err(m) = shopmux_core::storage::store::backend_of(&self.database.url) {
            bad("database.url", m);
        }
        if !(1..=1000).contains(&self.database.max_connections) {
            bad(
                "database.max_connections",
                format!("{} is outside 1..=1000", self.database.max_connections),
            );
        }
        if !self.secrets.key.is_empty()
            && let Err(m) = shopmux_core::storage::sealing::Sealer::key_from_hex(&self.secrets.key)
        {
            bad("secrets.key", m);
        }
        if !(1..=600).contains(&self.plugins.call_timeout_secs) {
            bad(
                "plugins.call_timeout_secs",
                format!("{} is outside 1..=600", self.plugins.call_timeout_secs),
            );
        }
        if !(1..=1000).contains(&self.ingest.max_batch) {
            bad(
                "ingest.max_batch",
                format!("{} is outside 1..=1000", self.ingest.max_batch),
            );
        }
        errors
    }

    /// The effective configuration as TOML, with secrets masked.
    pub fn to_masked_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database.url = mask_url_password(&shown.database.url);
        if !shown.smtp.password.is_empty() {
            shown.smtp.password = "****".into();
        }
        if !shown.secrets.key.is_empty() {
            shown.secrets.key = "****".into();
        }
        toml::to_string_pretty(&shown).unwrap_or_default()
    }
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
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn plugins_live_beside_the_sqlite_data_by_default() {
        let c = load_from(None, env(&[])).unwrap();
        assert_eq!(
            c.plugins_dir(),
            std::path::PathBuf::from("shopmux-data/plugins.d")
        );
        let c = load_from(None, env(&[("SHOPMUX_DATABASE__URL", "postgres://u@h/db")])).unwrap();
        assert_eq!(c.plugins_dir(), std::path::PathBuf::from("plugins.d"));
        let c = load_from(None, env(&[("SHOPMUX_PLUGINS__DIR", "/opt/p")])).unwrap();
        assert_eq!(c.plugins_dir(), std::path::PathBuf::from("/opt/p"));
        let e = load_from(None, env(&[("SHOPMUX_PLUGINS__CALL_TIMEOUT_SECS", "0")])).unwrap_err();
        assert_eq!(e[0].key, "plugins.call_timeout_secs");
    }

    #[test]
    fn defaults_need_no_file() {
        let c = load_from(None, env(&[])).unwrap();
        assert_eq!(c.server.bind, "127.0.0.1:8080");
        assert_eq!(c.database.url, "sqlite://shopmux-data/shopmux.db");
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
        assert_eq!(c.server.bind, "0.0.0.0:9000");
        assert_eq!(c.database.max_connections, 3);
    }

    #[test]
    fn bad_values_name_their_key() {
        let errors = load_from(None, env(&[("SHOPMUX_SERVER__BIND", "nowhere")])).unwrap_err();
        assert_eq!(errors[0].key, "server.bind");
        let errors =
            load_from(None, env(&[("SHOPMUX_DATABASE__MAX_CONNECTIONS", "lots")])).unwrap_err();
        assert!(
            errors[0].to_string().contains("database.max_connections"),
            "{}",
            errors[0]
        );
        let errors = load_from(None, env(&[("SHOPMUX_DATABASE__URL", "mysql://x")])).unwrap_err();
        assert_eq!(errors[0].key, "database.url");
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
        assert_eq!(
            mask_url_password("postgres://u:pw@h/db"),
            "postgres://u:****@h/db"
        );
        let mut c = Config::default();
        c.database.url = "postgres://u:hunter2@h/db".into();
        c.smtp.password = "smtp-hunter3".into();
        let shown = c.to_masked_toml();
        assert!(
            !shown.contains("hunter2") && !shown.contains("smtp-hunter3"),
            "{shown}"
        );
    }
}
