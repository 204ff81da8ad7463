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
