//! Tidy checks: the architecture's invariants as ordinary tests (as rust-analyzer keeps
//! its own in `xtask/src/tidy.rs`), reading the source tree as text.
//!
//! - every module of the workspace opens with a `//!` doc comment;
//! - the core and the daemon name no platform: no string literal outside adapter crates
//!   (and outside tests) is a platform id an adapter declares;
//! - HTTP handlers (`src/api`) touch no SQL: no statement text, no `sqlx`, no store;
//! - the core's modules import each other in no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn shown(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).display().to_string()
}

/// The source directories of the workspace's crates.
fn crate_sources() -> Vec<PathBuf> {
    let mut dirs = vec![root().join("src"), root().join("core/src")];
    for group in ["adapters", "plugins", "plugins/fixtures"] {
        let Ok(entries) = std::fs::read_dir(root().join(group)) else {
            continue;
        };
        for entry in entries.flatten() {
            let src = entry.path().join("src");
            if src.is_dir() {
                dirs.push(src);
            }
        }
    }
    dirs
}

#[test]
fn every_module_opens_with_a_doc_comment() {
    let mut missing = Vec::new();
    for dir in crate_sources() {
        for file in rust_files(&dir) {
            let text = read(&file);
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            if !first.starts_with("//!") {
                missing.push(shown(&file));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "modules without an opening `//!` doc comment:\n{}",
        missing.join("\n")
    );
}

/// Whether a file holds tests only (`tests.rs`, or under a `tests` folder).
fn is_test_file(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "tests.rs")
        || path.components().any(|c| c.as_os_str() == "tests")
}

/// The code of a file outside its `#[cfg(test)]` modules (which stand at the end of a
/// file in this workspace).
fn code_outside_tests(text: &str) -> &str {
    match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    }
}

/// Every string literal of `code` (plain `"..."`, escapes skipped; raw strings and
/// comments are not literals here, which suits a search for identifiers).
fn string_literals(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("");
        let mut parts = line.split('"');
        parts.next();
        while let (Some(inside), _) = (parts.next(), parts.next()) {
            out.push(inside.to_owned());
        }
    }
    out
}

/// The platform ids the adapters declare (`Platform::from_static("…")`).
fn declared_platforms() -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for dir in crate_sources() {
        for file in rust_files(&dir) {
            let text = read(&file);
            for piece in text.split("Platform::from_static(\"").skip(1) {
                if let Some(id) = piece.split('"').next()
                    && !id.is_empty()
                {
                    ids.insert(id.to_owned());
                }
            }
        }
    }
    ids
}

#[test]
fn the_core_and_the_daemon_name_no_platform() {
    let platforms = declared_platforms();
    assert!(platforms.len() >= 5, "the adapters' platform ids were not found: {platforms:?}");
    let mut named = Vec::new();
    for dir in [root().join("core/src"), root().join("src")] {
        for file in rust_files(&dir).into_iter().filter(|f| !is_test_file(f)) {
            let text = read(&file);
            for literal in string_literals(code_outside_tests(&text)) {
                if platforms.contains(&literal) {
                    named.push(format!("{}: \"{literal}\"", shown(&file)));
                }
            }
        }
    }
    assert!(
        named.is_empty(),
        "platform ids named outside adapter crates (use the adapter's declared capabilities, \
         or its `PLATFORM`):\n{}",
        named.join("\n")
    );
}

#[test]
fn http_handlers_touch_no_sql() {
    const SQL: [&str; 6] = ["SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM", "sqlx", ".store()"];
    let mut touching = Vec::new();
    for file in rust_files(&root().join("src/api")).into_iter().filter(|f| !is_test_file(f)) {
        let text = read(&file);
        for (n, line) in code_outside_tests(&text).lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if let Some(word) = SQL.iter().find(|w| code.contains(*w)) {
                touching.push(format!("{}:{}: {word}", shown(&file), n + 1));
            }
        }
    }
    assert!(
        touching.is_empty(),
        "handlers touching SQL (call a core service instead):\n{}",
        touching.join("\n")
    );
}

/// The core's module graph: each file's module path (`storage::store`), and the
/// modules each one refers to through `crate::…` or `super::…` paths, resolved to the
/// module defining the item (following `pub use` re-exports).
struct ModuleGraph {
    /// Module path → its source text.
    modules: BTreeMap<String, String>,
}

impl ModuleGraph {
    fn of_core() -> Self {
        let src = root().join("core/src");
        let mut modules = BTreeMap::new();
        for file in rust_files(&src) {
            let rel = file.strip_prefix(&src).unwrap().with_extension("");
            let mut parts: Vec<String> =
                rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            modules.insert(parts.join("::"), read(&file));
        }
        Self { modules }
    }

    /// The longest known module that `path` (module segments, then maybe an item) names.
    fn module_of(&self, segments: &[&str]) -> Option<String> {
        (0..=segments.len()).rev().find_map(|n| {
            let candidate = segments[..n].join("::");
            self.modules.contains_key(&candidate).then_some(candidate)
        })
    }

    /// Where an item named through `module` really lives: a `pub use` in that module
    /// re-exporting it from another module is followed.
    fn defining(&self, module: &str, item: Option<&str>) -> String {
        let Some(item) = item else {
            return module.to_owned();
        };
        let text = &self.modules[module];
        for line in text.lines().map(str::trim).filter(|l| l.starts_with("pub use ")) {
            let target = line.trim_start_matches("pub use ").trim_end_matches(';');
            let reexports = target.ends_with(&format!("::{item}"))
                || (target.contains('{') && target.contains(item))
                || target.ends_with("::*");
            if reexports {
                let base = target.split("::{").next().unwrap_or(target);
                let base = base.trim_end_matches("::*");
                let segments = self.absolute(module, base);
                let refs: Vec<&str> = segments.iter().map(String::as_str).collect();
                if let Some(m) = self.module_of(&refs).filter(|m| m != module) {
                    return m;
                }
            }
        }
        module.to_owned()
    }

    /// `crate::a::b` or `super::b` (as written in `module`) as absolute segments.
    fn absolute(&self, module: &str, path: &str) -> Vec<String> {
        let mut segments: Vec<String> = if module.is_empty() {
            Vec::new()
        } else {
            module.split("::").map(str::to_owned).collect()
        };
        let mut rest = path;
        if let Some(r) = rest.strip_prefix("crate::") {
            segments.clear();
            rest = r;
        } else if !rest.starts_with("super::") {
            // A path relative to this module (`pub use exec::Tx` in a parent).
            rest = path;
        }
        while let Some(r) = rest.strip_prefix("super::") {
            segments.pop();
            rest = r;
        }
        segments.extend(rest.split("::").map(str::to_owned));
        segments
    }

    /// The modules `module` refers to.
    fn edges(&self, module: &str) -> BTreeSet<String> {
        let text = code_outside_tests(&self.modules[module]);
        let mut out = BTreeSet::new();
        for start in ["crate::", "super::"] {
            for (i, _) in text.match_indices(start) {
                let before = text[..i].chars().last().unwrap_or(' ');
                if before.is_alphanumeric() || before == '_' || before == ':' {
                    continue;
                }
                for path in expand(&text[i..]) {
                    if let Some(target) = self.target(module, &path) {
                        out.insert(target);
                    }
                }
            }
        }
        out
    }

    /// The module a path written in `module` refers to (none: itself or unknown).
    fn target(&self, module: &str, path: &str) -> Option<String> {
        let segments = self.absolute(module, path.trim_end_matches(':'));
        let refs: Vec<&str> = segments.iter().map(String::as_str).collect();
        let target = self.module_of(&refs)?;
        let depth = target.split("::").filter(|s| !s.is_empty()).count();
        let target = self.defining(&target, refs.get(depth).copied());
        (target != module && !target.is_empty()).then_some(target)
    }

    /// The cycles between modules (strongly connected components of two or more).
    fn cycles(&self) -> Vec<Vec<String>> {
        let names: Vec<&String> = self.modules.keys().collect();
        let edges: BTreeMap<&String, BTreeSet<String>> =
            names.iter().map(|m| (*m, self.edges(m))).collect();
        let reach = |from: &String| -> BTreeSet<String> {
            let mut seen = BTreeSet::new();
            let mut stack: Vec<String> = edges[from].iter().cloned().collect();
            while let Some(m) = stack.pop() {
                if seen.insert(m.clone())
                    && let Some(next) = edges.get(&m)
                {
                    stack.extend(next.iter().cloned());
                }
            }
            seen
        };
        let reaches: BTreeMap<&String, BTreeSet<String>> =
            names.iter().map(|m| (*m, reach(m))).collect();
        let mut cycles: Vec<Vec<String>> = Vec::new();
        for m in &names {
            let component: Vec<String> = names
                .iter()
                .filter(|o| *o != m && reaches[m].contains(**o) && reaches[*o].contains(*m))
                .map(|o| (*o).clone())
                .collect();
            if !component.is_empty() {
                let mut all = component;
                all.push((*m).clone());
                all.sort();
                if !cycles.contains(&all) {
                    cycles.push(all);
                }
            }
        }
        cycles
    }
}

/// The paths a path expression at the start of `text` names: `crate::a::b`, or each
/// path of a group, `crate::a::{b, c::{d, e}}` (`self` in a group names the prefix).
fn expand(text: &str) -> Vec<String> {
    let prefix: String =
        text.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
    let rest = &text[prefix.len()..];
    if !rest.starts_with('{') {
        return vec![prefix];
    }
    let mut depth = 0;
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    end = i;
                    break;
                }
            }
            _ => {}
        }
    }
    let inner = &rest[1..end];
    let mut parts = Vec::new();
    let (mut level, mut from) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => level += 1,
            '}' => level -= 1,
            ',' if level == 0 => {
                parts.push(&inner[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[from..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .flat_map(|p| match p {
            "self" => vec![prefix.clone()],
            _ => expand(&format!("{prefix}{p}")),
        })
        .collect()
}

#[test]
fn core_modules_import_each_other_in_no_cycle() {
    let graph = ModuleGraph::of_core();
    assert!(graph.modules.contains_key("services::apply"), "the core's modules were not read");
    let cycles = graph.cycles();
    assert!(
        cycles.is_empty(),
        "modules of the core that import each other in a cycle:\n{}",
        cycles.iter().map(|c| c.join(" <-> ")).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_cycle_check_finds_cycles_through_paths_and_groups() {
    let modules = BTreeMap::from([
        ("a".to_owned(), "use crate::b::Thing;".to_owned()),
        ("b".to_owned(), "pub struct Thing; fn f() { super::a::g() }".to_owned()),
        ("c".to_owned(), "use crate::{a, d::{self, e}};".to_owned()),
        ("d".to_owned(), "pub mod e;".to_owned()),
        ("d::e".to_owned(), "use super::super::c::X;".to_owned()),
    ]);
    let graph = ModuleGraph { modules };
    assert_eq!(
        graph.cycles(),
        vec![vec!["a".to_owned(), "b".to_owned()], vec!["c".to_owned(), "d::e".to_owned()],]
    );
}
