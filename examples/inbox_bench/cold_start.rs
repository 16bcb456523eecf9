//! Cold start (issue 20, `--cold-start`): after the measurements, the seeded database is
//! served by the real daemon (`shopmux serve`, a separate process built beside this
//! example: `cargo build --release --bin shopmux`) several times in a row; each start is
//! timed from spawning the process to its first `/readyz` 200, and its resident memory
//! is read right then and again a second later. Where this process may (root), the
//! kernel's page cache is dropped before each start, so the database is read from disk.

use crate::daemon;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How many starts are measured.
const STARTS: usize = 5;

/// Starts `shopmux serve` on `database`, with its key file kept in `home`.
fn spawn(bin: &Path, home: &Path, database: &str, port: u16) -> Child {
    Command::new(bin)
        .arg("serve")
        .current_dir(home)
        .env("SHOPMUX_DATABASE__URL", database)
        .env("SHOPMUX_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the daemon binary runs (cargo build --release --bin shopmux)")
}

/// Waits for `/readyz` to answer 200, polling every 2 ms; the time from `started`.
async fn until_ready(client: &reqwest::Client, port: u16, started: Instant) -> Duration {
    let url = format!("http://127.0.0.1:{port}/readyz");
    let deadline = started + Duration::from_secs(120);
    loop {
        if client.get(&url).send().await.is_ok_and(|r| r.status().is_success()) {
            return started.elapsed();
        }
        assert!(Instant::now() < deadline, "the daemon got ready within 120 s");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Serves `database` [`STARTS`] times and reports each start.
pub async fn measure(database: &str) {
    let bin = daemon::binary();
    let home = tempfile::tempdir().unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    println!("cold start of `shopmux serve` over this database, {STARTS} starts:");
    for run in 1..=STARTS {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dropped = std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok();
        let started = Instant::now();
        let mut child = spawn(&bin, home.path(), database, port);
        let ready = until_ready(&client, port, started).await;
        let at_ready = daemon::rss_mb(child.id());
        tokio::time::sleep(Duration::from_secs(1)).await;
        let settled = daemon::rss_mb(child.id());
        println!(
            "  start {run}: ready in {:>6.0} ms   RSS {at_ready:>5.1} MB at ready, {settled:>5.1} MB a second later{}",
            ready.as_secs_f64() * 1000.0,
            if dropped { "   (page cache dropped)" } else { "" }
        );
        let _ = child.kill();
        let _ = child.wait();
    }
}
