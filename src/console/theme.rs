//! Styles, in one place. Meaning never rides on colour alone (severity is spelled SEV1,
//! an overdue update says OVERDUE), so NO_COLOR loses no information, only emphasis.
use super::display::ColorDepth;
use crate::domain::Severity;
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub base: Style,
    pub dim: Style,
    pub title: Style,
    pub header: Style,
    pub selected: Style,
    pub column_title: Style,
    pub focused_column: Style,
    pub live: Style,
    pub reconnecting: Style,
    pub stale: Style,
    /// A customer update due within five minutes.
    pub due_soon: Style,
    /// A customer update (or corrective action) past due: the loudest thing on screen.
    pub overdue: Style,
    pub error: Style,
    pub key: Style,
    sev: [Style; 4],
    /// Jump-host output: ASCII glyphs for terminals and fonts without box drawing, and the
    /// terminal's colour depth (an old jump host may only have 16 colours).
    /// Applied to each finished frame by `display::finish`.
    pub ascii: bool,
    pub depth: ColorDepth,
}

impl Theme {
    pub fn color() -> Theme {
        let bold = Modifier::BOLD;
        Theme {
            base: Style::default(),
            dim: Style::default().fg(Color::DarkGray),
            title: Style::default().add_modifier(bold),
            header: Style::default().fg(Color::White).bg(Color::Blue),
            selected: Style::default().add_modifier(Modifier::REVERSED),
            column_title: Style::default().fg(Color::Cyan).add_modifier(bold),
            focused_column: Style::default()
                .fg(Color::Cyan)
                .add_modifier(bold | Modifier::UNDERLINED),
            live: Style::default()
                .fg(Color::Black)
                .bg(Color::Green)
                .add_modifier(bold),
            reconnecting: Style::default()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(bold),
            stale: Style::default()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(bold),
            due_soon: Style::default().fg(Color::Yellow).add_modifier(bold),
            overdue: Style::default().fg(Color::Red).add_modifier(bold),
            error: Style::default().fg(Color::Red),
            key: Style::default().fg(Color::Cyan).add_modifier(bold),
            sev: [
                Style::default().fg(Color::Red).add_modifier(bold),
                Style::default().fg(Color::LightRed),
                Style::default().fg(Color::Yellow),
                Style::default().fg(Color::Gray),
            ],
            ascii: false,
            depth: ColorDepth::Ansi16,
        }
    }

    /// For NO_COLOR: emphasis through bold, reverse and underline only.
    pub fn mono() -> Theme {
        let bold = Style::default().add_modifier(Modifier::BOLD);
        let rev = Style::default().add_modifier(Modifier::REVERSED);
        Theme {
            base: Style::default(),
            dim: Style::default(),
            title: bold,
            header: rev,
            selected: rev,
            column_title: bold,
            focused_column: bold.add_modifier(Modifier::UNDERLINED),
            live: bold,
            reconnecting: bold.add_modifier(Modifier::REVERSED),
            stale: bold.add_modifier(Modifier::REVERSED),
            due_soon: bold,
            overdue: bold.add_modifier(Modifier::REVERSED),
            error: bold,
            key: bold,
            sev: [bold, bold, Style::default(), Style::default()],
            ascii: false,
            depth: ColorDepth::Never,
        }
    }

    /// Honours https://no-color.org: any non-empty NO_COLOR disables colour.
    pub fn from_env() -> Theme {
        match std::env::var_os("NO_COLOR") {
            Some(v) if !v.is_empty() => Theme::mono(),
            _ => Theme::color(),
        }
    }

    /// For a light terminal background: no yellow or light grey text on white.
    pub fn light() -> Theme {
        let bold = Modifier::BOLD;
        let amber = Color::Rgb(150, 90, 0);
        Theme {
            dim: Style::default().fg(Color::DarkGray),
            header: Style::default().fg(Color::White).bg(Color::Blue),
            column_title: Style::default().fg(Color::Blue).add_modifier(bold),
            focused_column: Style::default()
                .fg(Color::Blue)
                .add_modifier(bold | Modifier::UNDERLINED),
            due_soon: Style::default().fg(amber).add_modifier(bold),
            key: Style::default().fg(Color::Blue).add_modifier(bold),
            sev: [
                Style::default().fg(Color::Red).add_modifier(bold),
                Style::default().fg(Color::Magenta).add_modifier(bold),
                Style::default().fg(amber),
                Style::default().fg(Color::DarkGray),
            ],
            ..Theme::color()
        }
    }

    /// Maximum contrast: severities and urgency as solid blocks of colour, no dim text.
    pub fn high_contrast() -> Theme {
        let bold = Modifier::BOLD;
        let on = |fg: Color, bg: Color| Style::default().fg(fg).bg(bg).add_modifier(bold);
        Theme {
            dim: Style::default(),
            title: Style::default().add_modifier(bold),
            header: on(Color::Black, Color::White),
            selected: Style::default().add_modifier(Modifier::REVERSED | bold),
            column_title: Style::default().fg(Color::White).add_modifier(bold),
            focused_column: Style::default()
                .fg(Color::White)
                .add_modifier(bold | Modifier::UNDERLINED),
            due_soon: on(Color::Black, Color::Yellow),
            overdue: on(Color::White, Color::Red),
            error: on(Color::White, Color::Red),
            key: Style::default().fg(Color::White).add_modifier(bold),
            sev: [
                on(Color::White, Color::Red),
                on(Color::Black, Color::LightRed),
                on(Color::Black, Color::Yellow),
                on(Color::Black, Color::White),
            ],
            ..Theme::color()
        }
    }

    /// A theme by its name in config.toml or `--theme`.
    pub fn named(name: &str) -> Option<Theme> {
        match name {
            "dark" => Some(Theme::color()),
            "light" => Some(Theme::light()),
            "high-contrast" | "high_contrast" => Some(Theme::high_contrast()),
            _ => None,
        }
    }

    /// The named theme at a colour depth (`Never` means the monochrome theme) and glyph set.
    pub fn build(name: &str, depth: ColorDepth, ascii: bool) -> Option<Theme> {
        let base = Theme::named(name)?;
        let mut t = if depth == ColorDepth::Never {
            Theme::mono()
        } else {
            base
        };
        t.depth = depth;
        t.ascii = ascii;
        Some(t)
    }

    pub fn severity(&self, sev: Severity) -> Style {
        self.sev[sev as usize]
    }
}
