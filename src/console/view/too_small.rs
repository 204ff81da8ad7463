//! The screen shown below the smallest supported size, instead of a console that would
//! cut what a commander must see.
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

/// The smallest terminal the console lays out for: a classic 80x24 SSH session.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

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

#[cfg(test)]
mod tests {
    use super::TooSmall;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::widgets::Widget;

    fn screen(w: u16, h: u16) -> String {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        TooSmall.render(area, &mut buf);
        (0..h)
            .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn on_a_very_narrow_terminal_every_word_is_still_there() {
        let text = screen(30, 10);
        let words: Vec<&str> = text.split_whitespace().collect();
        for needle in ["30x10", "80x24.", "Enlarge", "font", "size."] {
            assert!(words.contains(&needle), "{needle} missing:\n{text}");
        }
        // Centred: the first row of text is not the top row.
        assert!(text.lines().next().unwrap().trim().is_empty(), "{text}");
    }
}
