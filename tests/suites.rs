//! The test binaries are a few suites (Cargo.toml: `autotests = false` and one `[[test]]`
//! per suite root), so CI links four binaries instead of thirty. The price is that Cargo no
//! longer finds a new file under tests/ by itself: one left out of every suite would never
//! compile, let alone run. This check reads the suite roots' `mod` lines and fails on a
//! tests/*.rs file that is neither a root nor a module of one, and on an insta snapshot no
//! suite module can own (snapshots are named after the module path, suite first).
use std::collections::BTreeSet;
use std::path::Path;

/// The `[[test]]` targets of Cargo.toml: (name, path).
fn suite_roots(root: &Path) -> Vec<(String, String)> {
    let manifest: toml::Table = std::fs::read_to_string(root.join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        manifest["package"].get("autotests"),
        Some(&toml::Value::Boolean(false)),
        "the suites below are the only test targets"
    );
    manifest["test"]
        .as_array()
        .expect("[[test]] targets in Cargo.toml")
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The file modules a suite root declares (`mod x;`, `#[path = "..."] mod x;`), as paths
/// relative to tests/, with the module name each is known by.
fn modules_of(root_file: &str) -> Vec<(String, String)> {
    let mut out = vec![];
    let mut path_attr: Option<String> = None;
    for line in root_file.lines().map(str::trim) {
        if let Some(p) = line
            .strip_prefix("#[path = \"")
            .and_then(|l| l.strip_suffix("\"]"))
        {
            path_attr = Some(p.to_string());
            continue;
        }
        let decl = line.strip_prefix("pub ").unwrap_or(line);
        if let Some(name) = decl.strip_prefix("mod ").and_then(|l| l.strip_suffix(';')) {
            let file = path_attr.take().unwrap_or_else(|| format!("{name}.rs"));
            out.push((name.to_string(), file));
        } else if !line.starts_with("#[") {
            path_attr = None;
        }
    }
    out
}

/// What a suite layout leaves out: test files in no suite, and snapshots no module owns.
fn orphans(root: &Path) -> (Vec<String>, Vec<String>) {
    let tests = root.join("tests");
    let mut covered = BTreeSet::new();
    let mut snapshot_prefixes = vec![];
    for (suite, path) in suite_roots(root) {
        let rel = path
            .strip_prefix("tests/")
            .unwrap_or_else(|| panic!("suite root {path} outside tests/"));
        covered.insert(rel.to_string());
        let text = std::fs::read_to_string(root.join(&path)).unwrap();
        for (module, file) in modules_of(&text) {
            covered.insert(file);
            snapshot_prefixes.push(format!("{suite}__{module}__"));
        }
    }
    let mut files = vec![];
    for entry in std::fs::read_dir(&tests).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".rs") && !covered.contains(&name) {
            files.push(name);
        } else if entry.path().join("main.rs").exists() {
            // Cargo would have made tests/NAME/main.rs a binary of its own.
            files.push(format!("{name}/main.rs"));
        }
    }
    let mut snaps = vec![];
    if let Ok(dir) = std::fs::read_dir(tests.join("snapshots")) {
        for entry in dir {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".snap") && !snapshot_prefixes.iter().any(|p| name.starts_with(p)) {
                snaps.push(name);
            }
        }
    }
    files.sort();
    snaps.sort();
    (files, snaps)
}

#[test]
fn every_test_file_and_snapshot_belongs_to_a_suite() {
    let (files, snaps) = orphans(Path::new(env!("CARGO_MANIFEST_DIR")));
    assert!(
        files.is_empty(),
        "tests/ files in no suite (add `mod NAME;` to a tests/suite_*.rs): {files:?}"
    );
    assert!(
        snaps.is_empty(),
        "snapshots no suite module owns (insta names them SUITE__MODULE__NAME.snap): {snaps:?}"
    );
}

/// The check itself: a layout with a stray file and a stray snapshot is caught, and a
/// `#[path]` module counts as covered.
#[test]
fn a_file_or_snapshot_outside_every_suite_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("tests/snapshots")).unwrap();
    std::fs::create_dir_all(root.join("tests/extra")).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"x\"\nautotests = false\n\n[[test]]\nname = \"suite_a\"\npath = \"tests/suite_a.rs\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join("tests/suite_a.rs"),
        "mod common;\nmod one;\n#[path = \"two_file.rs\"]\nmod two;\n",
    )
    .unwrap();
    for f in ["one.rs", "two_file.rs", "stray.rs", "extra/main.rs"] {
        std::fs::write(root.join("tests").join(f), "").unwrap();
    }
    for s in [
        "suite_a__one__x.snap",
        "one__y.snap",
        "suite_a__two__z.snap",
    ] {
        std::fs::write(root.join("tests/snapshots").join(s), "").unwrap();
    }
    let (files, snaps) = orphans(root);
    assert_eq!(files, ["extra/main.rs", "stray.rs"]);
    assert_eq!(snaps, ["one__y.snap"]);
}
