//! Styles, in one place. Meaning never rides on colour alone (severity is spelled SEV1,
//! an overdue update says OVERDUE), so NO_COLOR loses no information, only emphasis.
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
        }
    }

    /// Honours https://no-color.org: any non-empty NO_COLOR disables colour.
    pub fn from_env() -> Theme {
        match std::env::var_os("NO_COLOR") {
            Some(v) if !v.is_empty() => Theme::mono(),
            _ => Theme::color(),
        }
    }

    pub fn severity(&self, sev: Severity) -> Style {
        self.sev[sev as usize]
    }
}
