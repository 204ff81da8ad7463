//! `drafts.json`: unsent form drafts, per server. A draft is keyed by form and incident
//! (`add_note:INC-2`), and two servers (staging and production, `--profile`) both have an
//! INC-2: a draft typed against one must never open in the other's form, one ctrl-s away
//! from a write on the wrong incident. So the file holds one set of drafts per API URL, as
//! the outbox holds its writes, and a console reads and writes only its own server's.
use super::forms::Form;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    /// API URL → draft key → form. Other servers' drafts are kept as they are.
    #[serde(default)]
    servers: BTreeMap<String, BTreeMap<String, Value>>,
}

fn read(path: &Path) -> File {
    let Ok(bytes) = std::fs::read(path) else {
        return File::default();
    };
    let parsed: Result<Value, _> = serde_json::from_slice(&bytes);
    match parsed {
        Ok(v) if v.get("servers").is_some() => serde_json::from_value(v).unwrap_or_else(|e| {
            set_aside(path, "corrupt", &e.to_string());
            File::default()
        }),
        // A file from before drafts were kept per server: nobody can say which server its
        // drafts were typed against, so none is offered; the file is kept for the person.
        Ok(_) => {
            set_aside(path, "unscoped", "drafts saved without their server");
            File::default()
        }
        Err(e) => {
            set_aside(path, "corrupt", &e.to_string());
            File::default()
        }
    }
}

fn set_aside(path: &Path, why: &str, error: &str) {
    let to = path.with_extension(format!("json.{why}"));
    tracing::error!(error, to = %to.display(), "drafts file set aside");
    let _ = std::fs::rename(path, to);
}

/// This server's drafts.
pub fn load(path: &Path, base: &str) -> BTreeMap<String, Form> {
    read(path)
        .servers
        .remove(base)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| serde_json::from_value(v).ok().map(|f| (k, f)))
        .collect()
}

/// Replaces this server's drafts with `drafts` (a JSON map of draft key → form), leaving
/// other servers' untouched.
pub fn save(path: &Path, base: &str, drafts: &str) -> std::io::Result<()> {
    let mine: BTreeMap<String, Value> =
        serde_json::from_str(drafts).map_err(std::io::Error::other)?;
    let mut file = read(path);
    if mine.is_empty() {
        file.servers.remove(base);
    } else {
        file.servers.insert(base.to_string(), mine);
    }
    let bytes = serde_json::to_vec(&file).map_err(std::io::Error::other)?;
    crate::client::outbox::write_private_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::intent::Msg;
    use crate::console::state::{Detail, Tab};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    /// The drafts a commander leaves after typing a note on INC-103 and closing the form.
    fn typed_note(text: &str) -> BTreeMap<String, Form> {
        let mut s = crate::console::testdata::state();
        s.settings.me = Some("cora".into());
        s.settings.role = Some(crate::domain::Role::Commander);
        s.ui.detail = Some(Detail::new("INC-103", Tab::Timeline));
        let key = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
        for c in std::iter::once('N').chain(text.chars()) {
            crate::console::update::update(&mut s, key(KeyCode::Char(c)));
        }
        crate::console::update::update(&mut s, key(KeyCode::Esc));
        assert_eq!(s.writes.drafts.len(), 1, "{:?}", s.writes.drafts.keys());
        s.writes.drafts
    }

    /// A note drafted against production's INC-2 does not open in staging's INC-2, and
    /// staging's saves leave production's draft in place.
    #[test]
    fn a_draft_opens_only_against_the_server_it_was_typed_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("drafts.json");
        let prod = "https://sitrep.example.com";
        let staging = "https://staging.example.com";
        let drafts = typed_note("meant for production");
        let key = drafts.keys().next().unwrap().clone();
        save(&path, prod, &serde_json::to_string(&drafts).unwrap()).unwrap();
        assert!(
            load(&path, staging).is_empty(),
            "production's draft offered on staging"
        );
        save(&path, staging, "{}").unwrap();
        let back = load(&path, prod);
        assert_eq!(
            back[&key].get("text"),
            "meant for production",
            "staging's save lost production's draft"
        );
    }

    /// A drafts file from before: set aside, not offered against whichever server starts.
    #[test]
    fn an_unscoped_drafts_file_is_set_aside_not_offered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("drafts.json");
        std::fs::write(&path, r#"{"add_note:INC-2": {"kind": "add_note"}}"#).unwrap();
        assert!(load(&path, "https://staging.example.com").is_empty());
        assert!(dir.path().join("drafts.json.unscoped").exists());
    }
}
