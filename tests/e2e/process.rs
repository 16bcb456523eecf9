//! The real binary: starts with no config file on defaults, serves /healthz, and
//! `check-config` names a bad key.

use crate::support::{assert_success, free_port};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn serve_answers_healthz_with_no_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_shopmux"))
        .arg("serve")
        .current_dir(dir.path())
        .env("SHOPMUX_SERVER__BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut ok = false;
    while Instant::now() < deadline {
        if let Ok(resp) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await {
            ok = resp.status() == 200;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(ok, "/healthz answered 200");
    assert!(
        dir.path().join("shopmux-data/shopmux.db").exists(),
        "the default SQLite file was created"
    );
}

#[test]
fn check_config_rejects_a_bad_value_naming_the_key() {
    let out = Command::new(env!("CARGO_BIN_EXE_shopmux"))
        .arg("check-config")
        .env("SHOPMUX_SERVER__BIND", "not-an-address")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("server.bind"), "{stderr}");
}

#[test]
fn check_config_masks_secrets() {
    let out = Command::new(env!("CARGO_BIN_EXE_shopmux"))
        .arg("check-config")
        .env("SHOPMUX_DATABASE__URL", "postgres://shop:hunter2@127.0.0.1/db")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("postgres://shop:****@127.0.0.1/db"), "{stdout}");
    assert!(!stdout.contains("hunter2"));
}

#[test]
fn owner_create_prints_only_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_shopmux"))
        .args(["owner", "create", "Acme"])
        .current_dir(dir.path())
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert_success(&out);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.trim();
    assert!(
        token.starts_with("smx_") && token.len() == 68 && !token.contains(char::is_whitespace),
        "{stdout}"
    );
}
