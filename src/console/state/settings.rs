//! What this console was started with, and who it is: the backend, read-only, the keymap,
//! the theme, the update cadence, the clock's resolution, and the token's name and role.
use crate::console::keymap::Keymap;
use crate::console::theme::Theme;
use crate::domain::{Cadence, Role};

pub struct Settings {
    /// Which server, for the header: "embedded", "demo", or the URL.
    pub backend: String,
    pub read_only: bool,
    pub keymap: Keymap,
    pub theme: Theme,
    /// Minutes between customer updates per severity (the update form's default).
    pub cadence: Cadence,
    /// Clocks and countdowns to the second (`clock = "seconds"` in config.toml). Off by
    /// default: minute resolution means an idle console redraws once a minute, which is
    /// what keeps an SSH session under 2 KB per idle minute.
    pub seconds: bool,
    /// Who we are: the token's name (or `name` from config.toml), for "take command".
    pub me: Option<String>,
    /// The token's role, once the server has said.
    pub role: Option<Role>,
    /// Running inside tmux ($TMUX set): a copy reaches the terminal only if tmux passes it on.
    pub tmux: bool,
    /// Outbound webhooks that stopped delivering (told to commanders, checked at each
    /// connection).
    pub webhooks_failing: Vec<String>,
}

impl Settings {
    pub fn new(backend: String, keymap: Keymap, theme: Theme) -> Settings {
        Settings {
            backend,
            read_only: false,
            keymap,
            theme,
            cadence: Cadence::default(),
            seconds: false,
            me: None,
            role: None,
            tmux: false,
            webhooks_failing: Vec::new(),
        }
    }

    /// Read-only by flag, profile, or because the token is a viewer's.
    pub fn writes_disabled(&self) -> bool {
        self.read_only || self.role == Some(Role::Viewer)
    }
}
