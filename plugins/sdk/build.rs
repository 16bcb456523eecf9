//! Records the compiler's version for the plugin manifest's `rustc` field (diagnostics
//! only: nothing compiler-specific crosses the plugin boundary).

use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    println!("cargo:rustc-env=SHOPMUX_PLUGIN_RUSTC={version}");
    println!("cargo:rerun-if-env-changed=RUSTC");
}
