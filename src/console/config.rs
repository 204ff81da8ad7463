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
    /// Your name as "take command" sets it; by default the token's name.
    #[serde(default)]
    pub name: Option<String>,
    /// Minutes between customer updates per severity, for the update form's default.
    #[serde(default)]
    pub cadence: CadenceConfig,
    /// `theme = "dark" | "light" | "high-contrast"` (high contrast for projectors and
    /// low-vision readers); `--theme` overrides it.
    #[serde(default)]
    pub theme: Option<String>,
    /// `clock = "minutes"` (default) or `"seconds"`: the resolution of the header clock,
    /// ages and countdowns. Seconds redraw every second, which costs an SSH session
    /// about 10 KB a minute; minutes redraw once a minute.
    #[serde(default)]
    pub clock: Clock,
    /// `[pagerduty]`: defaults for `--backend pagerduty` (flags and environment win).
    #[serde(default)]
    pub pagerduty: Option<PagerDutyConfig>,
}

/// `[pagerduty]` in config.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagerDutyConfig {
    /// PagerDuty's REST API (default https://api.pagerduty.com).
    #[serde(default)]
    pub url: Option<String>,
    /// The PagerDuty user's email that changes are made as (the From header).
    #[serde(default)]
    pub from: Option<String>,
    /// A file holding the API token (mode 600).
    #[serde(default)]
    pub token_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Clock {
    #[default]
    Minutes,
    Seconds,
}

/// `[cadence]`: `SEV1 = 30`, ...; 0 means no cadence.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CadenceConfig {
    #[serde(default = "d30", rename = "SEV1", alias = "sev1")]
    pub sev1: u32,
    #[serde(default = "d60", rename = "SEV2", alias = "sev2")]
    pub sev2: u32,
    #[serde(default = "d240", rename = "SEV3", alias = "sev3")]
    pub sev3: u32,
    #[serde(default, rename = "SEV4", alias = "sev4")]
    pub sev4: u32,
}

fn d30() -> u32 {
    30
}
fn d60() -> u32 {
    60
}
fn d240() -> u32 {
    240
}

impl Default for CadenceConfig {
    fn default() -> Self {
        CadenceConfig {
            sev1: 30,
            sev2: 60,
            sev3: 240,
            sev4: 0,
        }
    }
}

impl CadenceConfig {
    pub fn cadence(&self) -> crate::domain::Cadence {
        let m = |n: u32| (n > 0).then_some(n);
        crate::domain::Cadence {
            sev1_minutes: m(self.sev1),
            sev2_minutes: m(self.sev2),
            sev3_minutes: m(self.sev3),
            sev4_minutes: m(self.sev4),
        }
    }
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

    #[test]
    fn cadence_and_name_come_from_the_file_with_policy_defaults() {
        use crate::domain::Severity;
        let c: Config =
            toml::from_str("name = \"cora\"\n[cadence]\nSEV1 = 15\nSEV4 = 480\n").unwrap();
        assert_eq!(c.name.as_deref(), Some("cora"));
        let cad = c.cadence.cadence();
        assert_eq!(cad.minutes(Severity::Sev1), Some(15));
        assert_eq!(cad.minutes(Severity::Sev2), Some(60));
        assert_eq!(cad.minutes(Severity::Sev4), Some(480));
        let d = Config::default().cadence.cadence();
        assert_eq!(d.minutes(Severity::Sev3), Some(240));
        assert_eq!(d.minutes(Severity::Sev4), None);
        assert!(toml::from_str::<Config>("[cadence]\nSEV5 = 1\n").is_err());
        assert_eq!(Config::default().clock, Clock::Minutes);
        let c: Config = toml::from_str("clock = \"seconds\"\n").unwrap();
        assert_eq!(c.clock, Clock::Seconds);
        assert!(toml::from_str::<Config>("clock = \"hours\"\n").is_err());
    }
}
