//! The real daemon beside the benchmarks: its release binary (built next to the
//! examples, `cargo build --release --bin shopmux`) and a process's resident memory.

/// `target/release/shopmux`, next to the running example's directory.
pub fn binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("own path");
    exe.parent().and_then(|p| p.parent()).expect("target/release").join("shopmux")
}

/// A process's resident memory, in MB (0 when it cannot be read).
pub fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}
