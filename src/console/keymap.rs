//! Keys → actions, per mode. The help overlay and the footer hints are generated from this
//! table, so what the screen says a key does is what it does. The default keymap is
//! `assets/keymap.toml`; a user keymap can be layered over it (`Keymap::merge`).
use super::intent::Intent;
use anyhow::{Context, Result, bail};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// Where the keyboard focus is; each has its own bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Global,
    Board,
    List,
    Actions,
    /// The review view's charts.
    Review,
    Detail,
    Help,
    /// The message log.
    Messages,
    /// Typing a filter or a command: printable keys are text, not actions.
    Input,
    /// Filling in a form: printable keys are text.
    Form,
    /// A yes/no question.
    Confirm,
}

impl Mode {
    pub const ALL: [Mode; 11] = [
        Mode::Global,
        Mode::Board,
        Mode::List,
        Mode::Actions,
        Mode::Review,
        Mode::Detail,
        Mode::Help,
        Mode::Messages,
        Mode::Input,
        Mode::Form,
        Mode::Confirm,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Mode::Global => "Everywhere",
            Mode::Board => "Board",
            Mode::List => "List",
            Mode::Actions => "Corrective actions",
            Mode::Review => "Review",
            Mode::Detail => "Incident detail",
            Mode::Help => "Help",
            Mode::Messages => "Message log",
            Mode::Input => "Typing a filter or command",
            Mode::Form => "In a form",
            Mode::Confirm => "Confirming",
        }
    }

    /// What an action does in this mode, for help: the same key can mean different things.
    pub fn describe(self, action: crate::console::intent::Intent) -> &'static str {
        use crate::console::intent::Intent;
        match (self, action) {
            (Mode::Input, Intent::Cancel) => "Stop typing; a filter goes back to what it was",
            (Mode::Form, Intent::Cancel) => "Close the form; the draft is kept",
            (Mode::Confirm, Intent::Cancel) => "No",
            (Mode::Messages, Intent::Messages) => "Close the message log",
            _ => action.description(),
        }
    }

    /// Whether unbound keys fall through to the global bindings.
    fn inherits_global(self) -> bool {
        !matches!(
            self,
            Mode::Global | Mode::Input | Mode::Form | Mode::Confirm
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyName {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Delete,
}

/// A key chord as written in a keymap: `j`, `G`, `enter`, `ctrl-c`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub name: KeyName,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    pub fn parse(s: &str) -> Result<Key> {
        let mut rest = s;
        let (mut ctrl, mut alt) = (false, false);
        // A bare "-" is a key; "ctrl--" is ctrl with "-".
        while rest.len() > 1 {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let name = match rest {
            "enter" => KeyName::Enter,
            "esc" => KeyName::Esc,
            "tab" => KeyName::Tab,
            "backtab" => KeyName::BackTab,
            "backspace" => KeyName::Backspace,
            "up" => KeyName::Up,
            "down" => KeyName::Down,
            "left" => KeyName::Left,
            "right" => KeyName::Right,
            "pageup" => KeyName::PageUp,
            "pagedown" => KeyName::PageDown,
            "home" => KeyName::Home,
            "end" => KeyName::End,
            "delete" => KeyName::Delete,
            "space" => KeyName::Char(' '),
            s if s.chars().count() == 1 => KeyName::Char(s.chars().next().unwrap_or(' ')),
            other => bail!("unknown key {other:?} in {s:?}"),
        };
        Ok(Key { name, ctrl, alt })
    }

    /// The chord a terminal key event is, or None for releases and keys no keymap names.
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        let name = match ev.code {
            KeyCode::Char(c) => KeyName::Char(c),
            KeyCode::Enter => KeyName::Enter,
            KeyCode::Esc => KeyName::Esc,
            KeyCode::Tab => KeyName::Tab,
            KeyCode::BackTab => KeyName::BackTab,
            KeyCode::Backspace => KeyName::Backspace,
            KeyCode::Up => KeyName::Up,
            KeyCode::Down => KeyName::Down,
            KeyCode::Left => KeyName::Left,
            KeyCode::Right => KeyName::Right,
            KeyCode::PageUp => KeyName::PageUp,
            KeyCode::PageDown => KeyName::PageDown,
            KeyCode::Home => KeyName::Home,
            KeyCode::End => KeyName::End,
            KeyCode::Delete => KeyName::Delete,
            _ => return None,
        };
        Some(Key {
            name,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.name {
            KeyName::Char(' ') => f.write_str("space"),
            KeyName::Char(c) => write!(f, "{c}"),
            KeyName::Enter => f.write_str("enter"),
            KeyName::Esc => f.write_str("esc"),
            KeyName::Tab => f.write_str("tab"),
            KeyName::BackTab => f.write_str("shift-tab"),
            KeyName::Backspace => f.write_str("backspace"),
            KeyName::Up => f.write_str("↑"),
            KeyName::Down => f.write_str("↓"),
            KeyName::Left => f.write_str("←"),
            KeyName::Right => f.write_str("→"),
            KeyName::PageUp => f.write_str("pgup"),
            KeyName::PageDown => f.write_str("pgdn"),
            KeyName::Home => f.write_str("home"),
            KeyName::End => f.write_str("end"),
            KeyName::Delete => f.write_str("del"),
        }
    }
}

/// The file format: mode → action → keys.
type KeymapFile = BTreeMap<Mode, BTreeMap<Intent, Vec<String>>>;

#[derive(Debug, Clone)]
pub struct Keymap {
    /// mode → (action, keys), in action order: the source of help and hints.
    bindings: BTreeMap<Mode, BTreeMap<Intent, Vec<Key>>>,
    lookup: HashMap<(Mode, Key), Intent>,
}

impl Keymap {
    pub const DEFAULT_TOML: &'static str = include_str!("../../assets/keymap.toml");

    pub fn default_keymap() -> Keymap {
        Keymap::from_toml(Self::DEFAULT_TOML).expect("the built-in keymap parses")
    }

    pub fn from_toml(text: &str) -> Result<Keymap> {
        let file: KeymapFile = toml::from_str(text).context("parsing keymap")?;
        let mut km = Keymap {
            bindings: BTreeMap::new(),
            lookup: HashMap::new(),
        };
        km.apply(file)?;
        Ok(km)
    }

    /// Layers a user keymap over this one: an action named in a mode replaces that
    /// action's keys in that mode.
    pub fn merge(&mut self, text: &str) -> Result<()> {
        let file: KeymapFile = toml::from_str(text).context("parsing keymap")?;
        // All or nothing: a bad user keymap leaves the working one untouched.
        let mut next = self.clone();
        next.apply(file)?;
        *self = next;
        Ok(())
    }

    fn apply(&mut self, file: KeymapFile) -> Result<()> {
        for (mode, actions) in file {
            for (action, keys) in actions {
                let keys = keys
                    .iter()
                    .map(|k| Key::parse(k))
                    .collect::<Result<Vec<_>>>()
                    .with_context(|| format!("[{mode:?}] {action:?}"))?;
                self.bindings.entry(mode).or_default().insert(action, keys);
            }
        }
        self.lookup.clear();
        for (mode, actions) in &self.bindings {
            for (action, keys) in actions {
                for key in keys {
                    if let Some(prev) = self.lookup.insert((*mode, *key), *action)
                        && prev != *action
                    {
                        bail!("key {key} is bound to both {prev:?} and {action:?} in {mode:?}");
                    }
                }
            }
        }
        Ok(())
    }

    pub fn action(&self, mode: Mode, key: Key) -> Option<Intent> {
        self.lookup.get(&(mode, key)).copied().or_else(|| {
            mode.inherits_global()
                .then(|| self.lookup.get(&(Mode::Global, key)).copied())
                .flatten()
        })
    }

    /// A mode's bindings, in action order.
    pub fn bindings(&self, mode: Mode) -> impl Iterator<Item = (Intent, &[Key])> {
        self.bindings
            .get(&mode)
            .into_iter()
            .flat_map(|m| m.iter().map(|(a, k)| (*a, k.as_slice())))
    }

    /// The first key bound to an action in a mode (or globally), for hints.
    pub fn key_for(&self, mode: Mode, action: Intent) -> Option<Key> {
        let find = |m: Mode| {
            self.bindings
                .get(&m)
                .and_then(|b| b.get(&action))
                .and_then(|k| k.first().copied())
        };
        find(mode).or_else(|| mode.inherits_global().then(|| find(Mode::Global)).flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, m: KeyModifiers) -> Key {
        Key::from_event(&KeyEvent::new(code, m)).unwrap()
    }

    #[test]
    fn mode_bindings_win_and_global_is_inherited() {
        let km = Keymap::default_keymap();
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(km.action(Mode::Board, q), Some(Intent::Quit));
        // In help, q closes the overlay instead of quitting.
        assert_eq!(km.action(Mode::Help, q), Some(Intent::Help));
        // While typing, q is text.
        assert_eq!(km.action(Mode::Input, q), None);
        let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(km.action(Mode::Input, ctrl_c), Some(Intent::Quit));
        let shift_g = key(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(km.action(Mode::List, shift_g), Some(Intent::Bottom));
    }

    #[test]
    fn a_user_keymap_replaces_an_actions_keys_and_conflicts_are_refused() {
        let mut km = Keymap::default_keymap();
        km.merge("[board]\nmove_down = [\"n\"]\n").unwrap();
        let n = key(KeyCode::Char('n'), KeyModifiers::NONE);
        assert_eq!(km.action(Mode::Board, n), Some(Intent::MoveDown));
        let j = key(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(km.action(Mode::Board, j), None);
        let err = km.merge("[board]\nopen = [\"n\"]\n").unwrap_err();
        assert!(err.to_string().contains("bound to both"), "{err}");
        // The refused keymap changed nothing.
        assert_eq!(km.action(Mode::Board, n), Some(Intent::MoveDown));
        let enter = key(KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(km.action(Mode::Board, enter), Some(Intent::Open));
        assert!(Keymap::from_toml("[board]\nfly = [\"x\"]\n").is_err());
    }
}
