//! Big digits for counts read from across a room, from a small built-in font (3x5 pixels
//! per digit). Each pixel is two cells wide and one tall at scale 1 (terminal cells are
//! about twice as tall as wide), drawn with full blocks; `--ascii` turns them into `#`.
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

const FONT: [[&str; 5]; 10] = [
    ["###", "# #", "# #", "# #", "###"],
    [" # ", "## ", " # ", " # ", "###"],
    ["###", "  #", "###", "#  ", "###"],
    ["###", "  #", "###", "  #", "###"],
    ["# #", "# #", "###", "  #", "  #"],
    ["###", "#  ", "###", "  #", "###"],
    ["###", "#  ", "###", "# #", "###"],
    ["###", "  #", "  #", "  #", "  #"],
    ["###", "# #", "###", "# #", "###"],
    ["###", "# #", "###", "  #", "###"],
];

/// Rows a number takes at `scale`.
pub fn height(scale: u16) -> u16 {
    5 * scale
}

/// Columns a number of `digits` digits takes at `scale` (one pixel of space between).
pub fn width(digits: usize, scale: u16) -> u16 {
    let d = digits as u16;
    (d * 3 + d.saturating_sub(1)) * 2 * scale
}

/// A number in big digits, drawn from the top-left corner of its area and clipped to it.
pub struct BigNumber {
    pub n: usize,
    pub scale: u16,
    pub style: Style,
}

impl Widget for BigNumber {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        let (scale, px_w) = (self.scale, 2 * self.scale);
        let mut gx = area.x;
        for ch in self.n.to_string().chars() {
            let Some(d) = ch.to_digit(10) else { continue };
            for (row, line) in FONT[d as usize].iter().enumerate() {
                for (col, p) in line.chars().enumerate() {
                    if p != '#' {
                        continue;
                    }
                    for dy in 0..scale {
                        for dx in 0..px_w {
                            let cx = gx + col as u16 * px_w + dx;
                            let cy = area.y + row as u16 * scale + dy;
                            if cx < area.right() && cy < area.bottom() {
                                buf[(cx, cy)].set_char('█').set_style(self.style);
                            }
                        }
                    }
                }
            }
            gx += 4 * px_w;
        }
    }
}
