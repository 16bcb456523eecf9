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

/// The CPU time a process has used so far (user and system), in seconds (0 when it
/// cannot be read).
#[allow(dead_code)]
pub fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces) close with ')'.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or(vec![], |(_, r)| r.split(' ').collect());
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are the stat file's 14th and 15th fields; clock ticks are 1/100 s.
    (ticks(12) + ticks(13)) / 100.0
}
