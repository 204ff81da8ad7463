//! The screen shown below the smallest supported size, instead of a console that would
//! cut what a commander must see.
use super::{MIN_HEIGHT, MIN_WIDTH};
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

/// Says how big the terminal is and how big it must be, centred.
pub struct TooSmall;

impl Widget for TooSmall {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let said = [
            "Terminal too small".to_string(),
            format!(
                "{}x{} here; sitrep needs at least {MIN_WIDTH}x{MIN_HEIGHT}.",
                area.width, area.height
            ),
            "Enlarge the window or reduce the font size.".to_string(),
        ];
        // Wrapped here, not by the paragraph, so the block can be centred by its height;
        // on a very narrow terminal every word is still there.
        let lines: Vec<Line> = said
            .iter()
            .flat_map(|s| super::fmt::wrap(s, area.width as usize))
            .map(Line::from)
            .collect();
        let height = (lines.len() as u16).min(area.height);
        let top = area.y + (area.height - height) / 2;
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .render(Rect::new(area.x, top, area.width, height), buf);
    }
}
