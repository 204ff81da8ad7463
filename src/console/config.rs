//! `config.toml` in the config directory: named server profiles, so `--profile prod` means
//! one URL and one token file.
//!
//! ```toml
//! [profiles.prod]
//! api = "https://sitrep.example.com"
//! token_file = "/home/ana/.config/sitrep/prod.token"
//! ```
use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// A user keymap layered over the built-in one (see assets/keymap.toml).
    #[serde(default)]
    pub keymap: Option<toml::Table>,
    /// `theme = "dark" | "light" | "high-contrast"` (issue 5); `--theme` overrides it.
    #[serde(default)]
    pub theme: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub api: String,
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    #[serde(default)]
    pub read_only: bool,
}

impl Config {
    /// Reads the file if it exists; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<Config> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                toml::from_str(&text).with_context(|| format!("reading {}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_parse_and_unknown_keys_are_refused() {
        let c: Config =
            toml::from_str("[profiles.prod]\napi = \"https://x\"\ntoken_file = \"/t\"\n").unwrap();
        assert_eq!(c.profiles["prod"].api, "https://x");
        assert!(toml::from_str::<Config>("[profiles.p]\napi=\"x\"\ntoken=\"s\"\n").is_err());
    }
}
