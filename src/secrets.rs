//! The sealing key (`[secrets]`), fetched when the daemon starts: the key given in
//! `secrets.key`, or the one in `secrets.key_file` — read, or created with a fresh random
//! key (mode 0600 on Unix, its folder too) when the file is missing. This is the
//! configuration's file I/O; `config.rs` only decides which file.

use crate::config::SecretKey;
use shopmux_core::CoreError;
use shopmux_core::storage::sealing::Sealer;
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
}

/// The sealing key: the inline one, else the key file's (created when missing).
pub fn sealing_key(secret: &SecretKey) -> Result<[u8; 32], SecretsError> {
    match secret {
        SecretKey::Inline(key) => Ok(key.0),
        SecretKey::File(path) => read_or_create(path),
    }
}

fn read_or_create(path: &Path) -> Result<[u8; 32], SecretsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => create(path)?,
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
