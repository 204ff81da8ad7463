//! The console guide's key table must not drift from the built-in keymap.
use sitrep::console::keymap::{Keymap, Mode};

#[test]
fn every_bound_action_is_in_the_console_guide() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/console.md")).unwrap();
    let km = Keymap::default_keymap();
    for mode in Mode::ALL {
        for (action, keys) in km.bindings(mode) {
            let name = serde_json::to_value(action).unwrap();
            let name = name.as_str().unwrap();
            assert!(
                doc.contains(&format!("`{name}`")),
                "docs/console.md lacks `{name}`"
            );
            for key in keys {
                let k = key.to_string();
                assert!(
                    doc.contains(&format!("`{k}`")),
                    "docs/console.md lacks key `{k}` ({name})"
                );
            }
        }
    }
}

/// The README's key table lists every key the help overlay shows (the keymap's, and the
/// fixed editing keys of a text field), and no key that nothing binds.
#[test]
fn the_readme_key_table_and_the_help_overlay_list_the_same_keys() {
    use std::collections::BTreeSet;
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("<!-- keys").expect("README has a key table");
    let end = readme
        .find("<!-- /keys -->")
        .expect("README's key table ends");
    let mut listed = BTreeSet::new();
    for row in readme[start..end].lines().filter(|l| l.starts_with("| ")) {
        let keys = row.split(" | ").nth(1).unwrap_or_default();
        listed.extend(keys.split('`').skip(1).step_by(2).map(str::to_string));
    }
    let km = Keymap::default_keymap();
    let bound: BTreeSet<String> = Mode::ALL
        .into_iter()
        .flat_map(|m| {
            km.bindings(m)
                .flat_map(|(_, keys)| keys.iter().map(ToString::to_string))
                .collect::<Vec<_>>()
        })
        .collect();
    let editing: BTreeSet<String> = sitrep::console::editing::HELP
        .iter()
        .flat_map(|(keys, _)| keys.split(", ").flat_map(|k| k.split('/')))
        .map(str::to_string)
        .collect();
    for k in bound.iter().chain(&editing) {
        assert!(listed.contains(k), "README's key table lacks `{k}`");
    }
    for k in &listed {
        assert!(
            bound.contains(k) || editing.contains(k),
            "README's key table lists `{k}`, which no mode binds"
        );
    }
}
