//! Builds the fixture plugins with the cargo that runs the tests, into a target
//! directory of their own (the outer cargo holds the lock on its own), and finds each
//! cdylib from cargo's JSON messages.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds `packages` (release or dev profile) into `target_dir`; returns each package's
/// cdylib path by package name.
pub fn build(packages: &[&str], release: bool, target_dir: &Path) -> HashMap<String, PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_owned());
    // The workspace root: the nearest folder up whose manifest declares `[workspace]`
    // (this file is shared by the plugin host's tests and the daemon's).
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|manifest| manifest.contains("[workspace]"))
        })
        .expect("inside the workspace")
        .to_owned();
    let mut command = Command::new(cargo);
    command
        .current_dir(&workspace)
        .arg("build")
        .arg("--message-format=json")
        .arg("--target-dir")
        .arg(target_dir);
    if release {
        command.arg("--release");
    }
    for package in packages {
        command.arg("-p").arg(package);
    }
    let output = command.output().expect("cargo runs");
    assert!(
        output.status.success(),
        "building the fixtures failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut found = HashMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        let is_cdylib = message["target"]["kind"]
            .as_array()
            .is_some_and(|kinds| kinds.iter().any(|k| k == "cdylib"));
        if !is_cdylib {
            continue;
        }
        let Some(package) =
            packages.iter().find(|p| message["target"]["name"] == p.replace('-', "_"))
        else {
            continue;
        };
        let library = message["filenames"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str())
            .map(PathBuf::from)
            .find(|f| f.extension().is_some_and(|e| e == std::env::consts::DLL_EXTENSION));
        if let Some(library) = library {
            found.insert((*package).to_owned(), library);
        }
    }
    for package in packages {
        assert!(found.contains_key(*package), "no cdylib for {package}");
    }
    found
}
