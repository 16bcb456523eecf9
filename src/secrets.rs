//! The sealing key (`[secrets]`), fetched when the daemon starts: the key given in
//! `secrets.key`, or the one in `secrets.key_file` — read, or created with a fresh random
//! key (mode 0600 on Unix, its folder too) when the file is missing and the database
//! holds nothing sealed yet. The key is then checked against the fingerprint the
//! database recorded at its first start (`storage::sealing_key`): another key, or a
//! missing key file on a database that has one, refuses the start with what to do —
//! never a fresh key beside secrets it cannot open. This is the configuration's file
//! I/O; `config.rs` only decides which file.

use crate::config::SecretKey;
use shopmux_core::storage::sealing::Sealer;
use shopmux_core::storage::sealing_key::{self, KeyCheck};
use shopmux_core::{CoreError, Store};
use std::io;
use std::path::{Path, PathBuf};

/// Why the sealing key could not be had. Every message names `secrets.key_file` and the
/// path; the system's reason is the error's source (`{:#}` prints both).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretsError {
    /// The key file exists but cannot be read.
    #[error("secrets.key_file: cannot read {}", path.display())]
    Read {
        /// The key file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The key file's folder cannot be created.
    #[error("secrets.key_file: cannot create {}", dir.display())]
    CreateDir {
        /// The folder.
        dir: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The key file cannot be written.
    #[error("secrets.key_file: cannot write {}", path.display())]
    Write {
        /// The key file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// No fresh key could be generated.
    #[error("secrets.key_file: cannot generate a key for {}", path.display())]
    Generate {
        /// The key file.
        path: PathBuf,
        /// Why.
        source: CoreError,
    },
    /// The key file does not hold a key.
    #[error("secrets.key_file: {}: {message}", path.display())]
    Invalid {
        /// The key file.
        path: PathBuf,
        /// What is wrong with its content.
        message: String,
    },
    /// The key file is missing, but the database's secrets are sealed with a key.
    #[error(
        "secrets.key_file: {} is missing, but this database's secrets are sealed with a key; \
         put that key file back (from a backup, or another daemon of this database) and start \
         again. A new key would not open them. {LOST_KEY}",
        path.display()
    )]
    MissingKeyFile {
        /// The key file.
        path: PathBuf,
    },
    /// The key is not the one the database recorded.
    #[error(
        "{whence}: this is not the key this database's secrets are sealed with (the database \
         records key {recorded}, this is key {this}); start with the key the database was first \
         started with. {LOST_KEY}"
    )]
    WrongKey {
        /// Where the key came from (`secrets.key` or `secrets.key_file: path`).
        whence: String,
        /// The start of the recorded fingerprint (`sealed secrets` when none is recorded).
        recorded: String,
        /// The start of this key's fingerprint.
        this: String,
    },
    /// The database could not be asked which key it records.
    #[error("secrets: cannot check the key against the database")]
    Database {
        /// Why.
        source: CoreError,
    },
}

/// What to do when the key is lost, in every refusal.
const LOST_KEY: &str = "If that key is lost, the sealed credentials are lost with it: remove \
    them (DELETE FROM shop_connections; DELETE FROM adapter_state; DELETE FROM sealing_key;), \
    start with the new key, and set every shop's connection again.";

/// The sealing key of this database: the inline one, else the key file's (created when
/// missing, unless the database already depends on a key), checked against the key the
/// database recorded — and recorded at the first start.
pub async fn sealing_key_for(
    secret: &SecretKey, store: &Store, now: chrono::DateTime<chrono::Utc>,
) -> Result<[u8; 32], SecretsError> {
    let db = |source| SecretsError::Database { source };
    let in_use = sealing_key::key_in_use(store).await.map_err(db)?;
    let key = match secret {
        SecretKey::Inline(key) => key.0,
        SecretKey::File(path) => read_or_create(path, !in_use)?,
    };
    let sealer = Sealer::new(&key);
    let recorded = match sealing_key::check(store, &sealer, now).await.map_err(db)? {
        KeyCheck::Matches | KeyCheck::Recorded => return Ok(key),
        KeyCheck::Mismatch { recorded } => short(&recorded),
        KeyCheck::OpensNothing => "(none recorded; its sealed secrets do not open)".to_owned(),
    };
    let whence = match secret {
        SecretKey::Inline(_) => "secrets.key".to_owned(),
        SecretKey::File(path) => format!("secrets.key_file: {}", path.display()),
    };
    Err(SecretsError::WrongKey { whence, recorded, this: short(sealer.fingerprint()) })
}

/// A fingerprint's first 16 characters: enough to tell keys apart in a message.
fn short(fingerprint: &str) -> String {
    format!("{}…", fingerprint.get(..16).unwrap_or(fingerprint))
}

/// The sealing key: the inline one, else the key file's (created when missing). What
/// [`sealing_key_for`] reads before it checks the key against a database.
pub fn sealing_key(secret: &SecretKey) -> Result<[u8; 32], SecretsError> {
    match secret {
        SecretKey::Inline(key) => Ok(key.0),
        SecretKey::File(path) => read_or_create(path, true),
    }
}

fn read_or_create(path: &Path, may_create: bool) -> Result<[u8; 32], SecretsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound && may_create => create(path)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(SecretsError::MissingKeyFile { path: path.to_owned() });
        }
        Err(source) => {
            return Err(SecretsError::Read { path: path.to_owned(), source });
        }
    };
    Sealer::key_from_hex(&text)
        .map_err(|message| SecretsError::Invalid { path: path.to_owned(), message })
}

/// Writes a fresh key to `path` (creating its folder) and returns its text.
fn create(path: &Path) -> Result<String, SecretsError> {
    let key = Sealer::generate_key_hex()
        .map_err(|source| SecretsError::Generate { path: path.to_owned(), source })?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|source| SecretsError::CreateDir { dir: dir.to_owned(), source })?;
    }
    write_private(path, &key)
        .map_err(|source| SecretsError::Write { path: path.to_owned(), source })?;
    tracing::info!(message = "Created the sealing key file.", path = %path.display());
    Ok(key)
}

/// Writes a new file only its owner can read (on Unix).
fn write_private(path: &Path, text: &str) -> io::Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Masked, RawConfig};

    #[test]
    fn an_inline_key_is_used_as_is() {
        assert_eq!(sealing_key(&SecretKey::Inline(Masked([7; 32]))).unwrap(), [7; 32]);
    }

    #[test]
    fn a_missing_key_file_is_created_private_in_a_new_folder_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new").join("secret.key");
        let secret = SecretKey::File(path.clone());
        let key = sealing_key(&secret).unwrap();
        assert_eq!(sealing_key(&secret).unwrap(), key, "the same key next time");
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(Sealer::key_from_hex(&text).unwrap(), key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_bad_key_file_names_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        std::fs::write(&path, "not a key").unwrap();
        let e = sealing_key(&SecretKey::File(path)).unwrap_err();
        assert!(e.to_string().starts_with("secrets.key_file: "), "{e}");
        assert!(e.to_string().contains("not hex"), "{e}");
    }

    #[test]
    fn a_key_file_that_cannot_be_had_validates_and_fails_only_here() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("a-file");
        std::fs::write(&blocker, "").unwrap();
        let mut raw = RawConfig::default();
        raw.secrets.key_file = blocker.join("keys").join("secret.key").display().to_string();
        let config = raw.validate().expect("validation does not look at the file");
        let e = sealing_key(&config.secrets).unwrap_err();
        assert!(std::error::Error::source(&e).is_some(), "the system's reason");
        let e = e.to_string();
        assert!(e.starts_with("secrets.key_file: cannot "), "{e}");
        assert!(e.contains("a-file"), "{e}");
    }
}
