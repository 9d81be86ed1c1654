//! Holds the files of `src/` to one rule the layer test cannot see: no two modules use each
//! other, directly or round a longer circle, even inside one folder. A circle is where a seam
//! was never named; the fix is a file that owns what both sides share.
//!
//! The graph is read from the source text: every `use` (braces expanded) and every path written
//! inline from `crate::`, `super::` or `self::`, resolved to the file that defines the item (a name a folder's `mod.rs`
//! re-exports counts as its defining file's). Test modules are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module path (`engine::contract::results`) → its file's text, without its tests.
fn modules() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    crate::layering::rust_files(&src, &mut files);
    let mut out = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap_or(&file).with_extension("");
        let mut parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into()).collect();
        if parts
            .last()
            .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
        {
            parts.pop();
        }
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let code: Vec<&str> = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect();
        out.insert(parts.join("::"), code.join("\n"));
    }
    out
}

/// The names a file defines for others (`pub` items of any visibility).
fn defined(text: &str) -> BTreeSet<String> {
    let kinds = [
        "struct ", "enum ", "fn ", "const ", "trait ", "type ", "static ",
    ];
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix("pub") else {
            continue;
        };
        let rest = match rest.strip_prefix('(') {
            Some(r) => r.split_once(')').map_or("", |(_, after)| after),
            None => rest,
        };
        let rest = rest.trim_start().trim_start_matches("async ");
        if let Some(kind) = kinds.iter().find(|k| rest.starts_with(*k)) {
            let name: String = rest[kind.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            names.insert(name);
        }
    }
    names
}

/// The paths a `use` tree names, braces expanded: `a::{b, c::{d}}` → `a::b`, `a::c::d`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![
            tree.split(" as ")
                .next()
                .unwrap_or_default()
                .trim()
                .to_string(),
        ];
    };
    let prefix = &tree[..open];
    let inner = tree[open + 1..].trim_end().trim_end_matches('}');
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
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
        .filter(|i| !i.trim().is_empty())
        .flat_map(|i| expand(&format!("{prefix}{}", i.trim())))
        .collect()
}

/// The file module a path in `from` leads to, or `None` outside the crate.
fn resolve(
    from: &str,
    path: &str,
    mods: &BTreeMap<String, String>,
    defs: &BTreeMap<String, BTreeSet<String>>,
) -> Option<String> {
    let mut segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut base: Vec<&str> = from.split("::").filter(|s| !s.is_empty()).collect();
    match segs.first() {
        Some(&"crate") => {
            base.clear();
            segs.remove(0);
        }
        Some(&"super") => {
            while segs.first() == Some(&"super") {
                base.pop();
                segs.remove(0);
            }
        }
        Some(&"self") => {
            segs.remove(0);
        }
        _ => return None,
    }
    let name = segs.last().copied().unwrap_or_default();
    let found = (0..=segs.len()).rev().find_map(|n| {
        let m = base
            .iter()
            .chain(&segs[..n])
            .copied()
            .collect::<Vec<_>>()
            .join("::");
        mods.contains_key(&m).then_some(m)
    })?;
    if defs.get(&found).is_some_and(|d| d.contains(name)) {
        return Some(found);
    }
    // A name a folder re-exports: the child file that defines it.
    let child = mods.keys().find(|k| {
        let parent = k.rsplit_once("::").map_or("", |(p, _)| p);
        parent == found && *k != &found && defs.get(*k).is_some_and(|d| d.contains(name))
    });
    Some(child.cloned().unwrap_or(found))
}

fn edges(mods: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let defs: BTreeMap<_, _> = mods.iter().map(|(m, t)| (m.clone(), defined(t))).collect();
    let mut graph = BTreeMap::new();
    for (m, text) in mods {
        let mut paths = Vec::new();
        for stmt in text.split(';') {
            let stmt = stmt.trim();
            let before_use = stmt.split_once("use ").map(|(b, _)| b.trim());
            let visibility = ["", "pub", "pub(crate)", "pub(super)"];
            if let Some(i) = stmt.find("use ")
                && before_use.is_some_and(|b| visibility.contains(&b) || b.ends_with(['}', ']']))
            {
                paths.extend(expand(&stmt[i + 4..].replace('\n', " ")));
            }
        }
        // Paths written inline, not only in `use`: `crate::a::b`, `super::a::f(…)`, `self::a`.
        for root in ["crate::", "super::", "self::"] {
            for (i, _) in text.match_indices(root) {
                let after_word = text[..i]
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
                if after_word {
                    continue;
                }
                let path: String = text[i..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                paths.push(path);
            }
        }
        let to: BTreeSet<String> = paths
            .iter()
            .filter_map(|p| resolve(m, p, mods, &defs))
            .filter(|t| t != m && !t.is_empty())
            .collect();
        graph.insert(m.clone(), to);
    }
    graph
}

/// Every circle found by a depth-first walk, each as the modules round it.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    fn walk(
        at: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
        found: &mut Vec<Vec<String>>,
    ) {
        state.insert(at.to_string(), 1);
        stack.push(at.to_string());
        for next in graph.get(at).into_iter().flatten() {
            match state.get(next) {
                Some(1) => {
                    let from = stack.iter().position(|s| s == next).unwrap_or(0);
                    found.push(stack[from..].to_vec());
                }
                None => walk(next, graph, state, stack, found),
                _ => {}
            }
        }
        stack.pop();
        state.insert(at.to_string(), 2);
    }
    let (mut state, mut stack, mut found) = (BTreeMap::new(), Vec::new(), Vec::new());
    for m in graph.keys() {
        if !state.contains_key(m) {
            walk(m, graph, &mut state, &mut stack, &mut found);
        }
    }
    found
}

#[test]
fn no_modules_use_each_other() {
    let mods = modules();
    let graph = edges(&mods);
    assert!(
        graph.len() > 60,
        "the modules were not read: {}",
        graph.len()
    );
    // The reading itself: a known edge through a folder's re-export is seen.
    assert!(
        graph["engine::budget"].contains("engine::contract::results"),
        "{:?}",
        graph["engine::budget"]
    );
    let found = circles(&graph);
    assert!(found.is_empty(), "modules in a circle: {found:#?}");
}

#[test]
fn a_circle_is_found() {
    let mods: BTreeMap<String, String> = [
        (
            "a::x".to_string(),
            "use super::y::Y;\npub struct X;".to_string(),
        ),
        (
            "a::y".to_string(),
            "use crate::a::X;\npub struct Y;".to_string(),
        ),
        ("a".to_string(), "mod x;\nmod y;\npub use x::X;".to_string()),
    ]
    .into();
    assert_eq!(
        circles(&edges(&mods)),
        vec![vec!["a::x".to_string(), "a::y".to_string()]]
    );
}
