//! No module import cycles in the workspace's product code.
//!
//! Each crate's `src/` is read as a module tree (`a.rs` and `a/mod.rs` are
//! module `a`, `a/b.rs` is `a::b`); every path a module names through
//! `crate::`, `super::`, `self::` or a child module's name (in `use` items,
//! brace groups expanded, and in expressions) is an arrow to the deepest
//! module the path reaches. A module may use its ancestors (its own
//! namespace: `use super::Resolver` from `resolver/evaluate.rs`); every other
//! cycle fails the test, with the arrows that make it. Test modules
//! (`#[cfg(test)] mod tests`) are left out: they import what they test.
//!
//! Run it alone with `cargo test -p palisade-testkit --test module_cycles`.
#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "the module-path parser indexes what it has just found"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use palisade_testkit::sources::rust_files;

/// Module path (`["resolver", "evaluate"]`) of each file under `src/`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    let root = parts.is_empty() && matches!(stem, "lib" | "main");
    if stem != "mod" && !root {
        parts.push(stem.to_owned());
    }
    parts
}

/// The product text of a file: comments and test modules removed.
fn product_text(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            break;
        }
        let code = match trimmed.find("//") {
            Some(i) => &trimmed[..i],
            None => trimmed,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// Expands a use tree (`super::{a::X, b::{Y, Z}}`) into whole paths.
fn expand_use(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut items = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .filter(|item| !item.is_empty())
        .flat_map(|item| expand_use(item).into_iter().map(|p| format!("{prefix}{p}")))
        .collect()
}

/// The text of a use item without blanks and renames (`a::B as C` is
/// `a::B`); `None` when it is not one (the words "use" in a string).
fn use_tree(text: &str) -> Option<String> {
    let path_like = text.chars().all(|c| {
        c.is_alphanumeric() || c.is_whitespace() || matches!(c, '_' | ':' | '{' | '}' | ',' | '*')
    });
    let balanced = text.matches('{').count() == text.matches('}').count();
    if !path_like || !balanced || text.trim().is_empty() {
        return None;
    }
    let mut out = String::new();
    let mut words = text.split_whitespace();
    while let Some(word) = words.next() {
        if word == "as" {
            // The new name, up to a separator that must stay.
            if let Some(name) = words.next() {
                out.extend(name.chars().filter(|c| matches!(c, ',' | '}')));
            }
        } else {
            out.push_str(word);
        }
    }
    Some(out)
}

/// Every path a module's text names: use items, then `crate::`/`super::`
/// paths in expressions.
fn named_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        let after = &rest[at + 4..];
        if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
            && let Some(end) = after.find(';')
            && let Some(tree) = use_tree(&after[..end])
        {
            paths.extend(expand_use(&tree));
        }
        rest = after;
    }
    let bytes = text.as_bytes();
    for anchor in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(i) = text[from..].find(anchor) {
            let start = from + i;
            let boundary = start == 0 || {
                let c = bytes[start - 1] as char;
                !(c.is_alphanumeric() || c == '_' || c == ':')
            };
            let end = text[start..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(text.len(), |e| start + e);
            if boundary {
                paths.push(text[start..end].trim_end_matches(':').to_owned());
            }
            from = end.max(start + anchor.len());
        }
    }
    paths
}

/// The module a path leads to from module `at`, if it is one of `modules`.
fn resolve(at: &[String], path: &str, modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    let mut segments = path.split("::").filter(|s| !s.is_empty());
    let first = segments.next()?;
    // Where the path starts: `crate` is the root; `super` the parent of the
    // module; `self` or a child's name the module itself.
    let mut base: Vec<String> = match first {
        "crate" => Vec::new(),
        "self" => at.to_vec(),
        "super" => at[..at.len().saturating_sub(1)].to_vec(),
        name => {
            let mut child = at.to_vec();
            child.push(name.to_owned());
            if !modules.contains(&child) {
                return None;
            }
            at.to_vec()
        }
    };
    let mut rest: Vec<&str> = Vec::new();
    if !matches!(first, "crate" | "self" | "super") {
        rest.push(first);
    }
    rest.extend(segments);
    let mut i = 0;
    while rest.get(i) == Some(&"super") {
        base.pop();
        i += 1;
    }
    let mut deepest = base.clone();
    for segment in &rest[i..] {
        base.push((*segment).to_owned());
        if modules.contains(&base) {
            deepest = base.clone();
        } else {
            break;
        }
    }
    Some(deepest)
}

/// The arrows between modules of one crate: `from -> to` with the paths.
type Arrows = BTreeMap<(Vec<String>, Vec<String>), BTreeSet<String>>;

fn arrows(files: &BTreeMap<Vec<String>, String>) -> Arrows {
    let modules: BTreeSet<Vec<String>> = files.keys().cloned().collect();
    let mut out = Arrows::new();
    for (module, text) in files {
        for path in named_paths(&product_text(text)) {
            let Some(to) = resolve(module, &path, &modules) else {
                continue;
            };
            // Itself, or one of its ancestors (its namespace).
            if to.len() <= module.len() && module[..to.len()] == to[..] {
                continue;
            }
            out.entry((module.clone(), to)).or_default().insert(path);
        }
    }
    out
}

/// The cycles (strongly connected groups of more than one module).
fn cycles(arrows: &Arrows) -> Vec<Vec<Vec<String>>> {
    let nodes: BTreeSet<&Vec<String>> = arrows.keys().flat_map(|(a, b)| [a, b]).collect();
    let reach = |from: &Vec<String>| -> BTreeSet<Vec<String>> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(n) = stack.pop() {
            for ((a, b), _) in arrows.range((n.clone(), Vec::new())..) {
                if *a != n {
                    break;
                }
                if seen.insert(b.clone()) {
                    stack.push(b.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&Vec<String>, BTreeSet<Vec<String>>> =
        nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut groups: Vec<Vec<Vec<String>>> = Vec::new();
    let mut placed = BTreeSet::new();
    for n in &nodes {
        if placed.contains(*n) || !reaches[n].contains(*n) {
            continue;
        }
        let group: Vec<Vec<String>> = reaches[n]
            .iter()
            .filter(|m| reaches[m].contains(*n))
            .cloned()
            .collect();
        placed.extend(group.iter().cloned());
        groups.push(group);
    }
    groups
}

fn show(module: &[String]) -> String {
    if module.is_empty() {
        "crate".to_owned()
    } else {
        module.join("::")
    }
}

fn crate_cycles(src: &Path) -> Vec<String> {
    let files = rust_files(src);
    let texts: BTreeMap<Vec<String>, String> = files
        .iter()
        .map(|f| (module_of(src, f), std::fs::read_to_string(f).unwrap()))
        .collect();
    let arrows = arrows(&texts);
    cycles(&arrows)
        .into_iter()
        .map(|group| {
            let members: BTreeSet<&Vec<String>> = group.iter().collect();
            let ties: Vec<String> = arrows
                .iter()
                .filter(|((a, b), _)| members.contains(a) && members.contains(b))
                .map(|((a, b), paths)| {
                    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
                    format!("  {} -> {}: {}", show(a), show(b), paths.join(", "))
                })
                .collect();
            format!(
                "{}: {}\n{}",
                src.display(),
                group.iter().map(|m| show(m)).collect::<Vec<_>>().join(", "),
                ties.join("\n")
            )
        })
        .collect()
}

#[test]
fn no_module_import_cycles_in_product_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path().join("src"))
        .filter(|src| src.is_dir())
        .collect();
    sources.extend(
        ["benches/src", "examples/src"]
            .iter()
            .map(|s| root.join(s))
            .filter(|s| s.is_dir()),
    );
    sources.sort();
    assert!(
        sources.len() >= 8,
        "crates not found under {}",
        root.display()
    );
    let found: Vec<String> = sources.iter().flat_map(|s| crate_cycles(s)).collect();
    assert!(
        found.is_empty(),
        "module import cycles (move the shared items to a leaf module):\n{}",
        found.join("\n")
    );
}

fn modules(files: &[(&str, &str)]) -> BTreeMap<Vec<String>, String> {
    files
        .iter()
        .map(|(m, text)| {
            let path: Vec<String> = m
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            (path, (*text).to_owned())
        })
        .collect()
}

#[test]
fn the_check_finds_sibling_cycles_and_allows_ancestors() {
    let tree = modules(&[
        ("", "mod serve;\nuse serve::App;"),
        (
            "serve",
            "mod app;\nmod server;\nmod reload;\npub use server::run;",
        ),
        (
            "serve::server",
            "use super::reload::{self, watch};\npub struct App;",
        ),
        (
            "serve::reload",
            "use super::{server::App, Thing};\nfn f() { crate::serve::server::go(); }",
        ),
        (
            "serve::app",
            "use super::Thing;\n#[cfg(test)]\nmod tests {\n    use super::super::reload::x;\n}",
        ),
    ]);
    let found_arrows = arrows(&tree);
    let found = cycles(&found_arrows);
    assert_eq!(found.len(), 1, "{found:?}");
    let names: Vec<String> = found[0].iter().map(|m| show(m)).collect();
    assert_eq!(names, ["serve::reload", "serve::server"]);
    // `serve::app` uses only its parent, and its test module is left out.
    assert!(!found_arrows.keys().any(|(a, _)| show(a) == "serve::app"));

    let fixed = modules(&[
        ("serve", "mod app;\nmod server;\nmod reload;"),
        ("serve::app", "pub struct App;"),
        ("serve::server", "use super::app::App;\nuse super::reload;"),
        ("serve::reload", "use super::app::App;"),
    ]);
    assert!(cycles(&arrows(&fixed)).is_empty());
}

#[test]
fn module_paths_follow_the_file_layout() {
    let src = Path::new("/x/src");
    let m = |f: &str| show(&module_of(src, &src.join(f)));
    assert_eq!(m("lib.rs"), "crate");
    assert_eq!(m("main.rs"), "crate");
    assert_eq!(m("a.rs"), "a");
    assert_eq!(m("a/mod.rs"), "a");
    assert_eq!(m("a/b.rs"), "a::b");
    assert_eq!(
        expand_use("super::{a::X, b::{Y, Z}}"),
        ["super::a::X", "super::b::Y", "super::b::Z"]
    );
}
