//! Jump-host output settings: how many colours the terminal gets and whether it gets only
//! ASCII. Views draw with the theme's styles and their usual glyphs; [`finish`] then
//! rewrites the finished frame (colours down to the chosen depth, box-drawing and other UI
//! glyphs down to ASCII), so no view can forget a setting.
use ratatui::buffer::Buffer;
use ratatui::style::Color;

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, clap::ValueEnum)]
pub enum ColorDepth {
    /// No colour at all (NO_COLOR, `--color never`): emphasis by bold/reverse only.
    Never,
    /// The 16 ANSI colours every terminal has.
    #[default]
    #[value(name = "16")]
    Ansi16,
    #[value(name = "256")]
    Ansi256,
    #[value(name = "truecolor")]
    TrueColor,
}

impl ColorDepth {
    /// From the environment: NO_COLOR (any non-empty value) wins, then COLORTERM
    /// (`truecolor`/`24bit`), then a TERM naming 256 colours; otherwise 16 colours.
    pub fn detect(no_color: Option<&str>, colorterm: Option<&str>, term: Option<&str>) -> Self {
        if no_color.is_some_and(|v| !v.is_empty()) {
            return ColorDepth::Never;
        }
        let ct = colorterm.unwrap_or("").to_ascii_lowercase();
        if ct == "truecolor" || ct == "24bit" {
            return ColorDepth::TrueColor;
        }
        let term = term.unwrap_or("");
        if term == "dumb" {
            ColorDepth::Never
        } else if term.contains("256color") || term.contains("direct") {
            ColorDepth::Ansi256
        } else {
            ColorDepth::Ansi16
        }
    }

    pub fn from_env() -> Self {
        let var = |k| std::env::var(k).ok();
        Self::detect(
            var("NO_COLOR").as_deref(),
            var("COLORTERM").as_deref(),
            var("TERM").as_deref(),
        )
    }
}

/// Rewrites a finished frame for the terminal's colour depth and glyph set.
pub fn finish(buf: &mut Buffer, ascii: bool, depth: ColorDepth) {
    if !ascii && depth == ColorDepth::TrueColor {
        return;
    }
    for cell in buf.content.iter_mut() {
        if depth != ColorDepth::TrueColor {
            cell.fg = reduce(cell.fg, depth);
            cell.bg = reduce(cell.bg, depth);
            cell.underline_color = reduce(cell.underline_color, depth);
        }
        if ascii && !cell.symbol().is_ascii() {
            let mut chars = cell.symbol().chars();
            if let (Some(c), None) = (chars.next(), chars.next())
                && let Some(a) = ascii_glyph(c)
            {
                cell.set_char(a);
            }
        }
    }
}

/// The ASCII stand-in for a UI glyph: box drawing, block elements, arrows, ellipses.
/// Other characters (a title in another script) are left alone.
pub fn ascii_glyph(c: char) -> Option<char> {
    Some(match c {
        // Box drawing (U+2500..U+257F): horizontal lines, vertical lines, everything else
        // (corners, junctions) becomes '+'.
        '─' | '━' | '┄' | '┅' | '┈' | '┉' | '╌' | '╍' | '═' | '╴' | '╶' | '╸' | '╺' | '╼' | '╾' => {
            '-'
        }
        '│' | '┃' | '┆' | '┇' | '┊' | '┋' | '╎' | '╏' | '║' | '╵' | '╷' | '╹' | '╻' | '╽' | '╿' => {
            '|'
        }
        '\u{2500}'..='\u{257F}' => '+',
        // Block elements (big digits, shading, the redaction mask).
        '▒' | '░' | '▓' => '#',
        '\u{2580}'..='\u{259F}' => '#',
        '←' | '‹' => '<',
        '→' | '›' => '>',
        '↑' | '▲' => '^',
        '↓' | '▼' => 'v',
        '⋮' => ':',
        '…' => '~',
        '—' | '–' => '-',
        '·' | '•' => '*',
        '⚠' => '!',
        _ => return None,
    })
}

fn reduce(c: Color, depth: ColorDepth) -> Color {
    match depth {
        ColorDepth::Never => Color::Reset,
        ColorDepth::TrueColor => c,
        ColorDepth::Ansi256 => match c {
            Color::Rgb(r, g, b) => Color::Indexed(rgb_to_256(r, g, b)),
            c => c,
        },
        ColorDepth::Ansi16 => match c {
            Color::Rgb(r, g, b) => nearest16(r, g, b),
            Color::Indexed(i) if i < 16 => ANSI16[i as usize].0,
            Color::Indexed(i) => {
                let (r, g, b) = index_to_rgb(i);
                nearest16(r, g, b)
            }
            c => c,
        },
    }
}

const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

fn nearest16(r: u8, g: u8, b: u8) -> Color {
    let d = |(x, y, z): (u8, u8, u8)| {
        let f = |a: u8, b: u8| (i32::from(a) - i32::from(b)).pow(2);
        f(r, x) + f(g, y) + f(b, z)
    };
    ANSI16
        .iter()
        .min_by_key(|(_, rgb)| d(*rgb))
        .map_or(Color::Reset, |(c, _)| *c)
}

const CUBE: [u8; 6] = [0, 95, 135, 175, 215, 255];

fn rgb_to_256(r: u8, g: u8, b: u8) -> u8 {
    let level = |v: u8| -> u8 {
        CUBE.iter()
            .enumerate()
            .min_by_key(|(_, c)| (i32::from(**c) - i32::from(v)).abs())
            .map_or(0, |(i, _)| i as u8)
    };
    16 + 36 * level(r) + 6 * level(g) + level(b)
}

fn index_to_rgb(i: u8) -> (u8, u8, u8) {
    match i {
        0..16 => ANSI16[i as usize].1,
        16..232 => {
            let i = i - 16;
            (
                CUBE[(i / 36) as usize],
                CUBE[((i / 6) % 6) as usize],
                CUBE[(i % 6) as usize],
            )
        }
        _ => {
            let v = 8 + 10 * (i - 232);
            (v, v, v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn depth_follows_no_color_then_colorterm_then_term() {
        use ColorDepth::*;
        assert_eq!(
            ColorDepth::detect(Some("1"), Some("truecolor"), None),
            Never
        );
        assert_eq!(ColorDepth::detect(Some(""), Some("24bit"), None), TrueColor);
        assert_eq!(
            ColorDepth::detect(None, None, Some("xterm-256color")),
            Ansi256
        );
        assert_eq!(ColorDepth::detect(None, None, Some("vt100")), Ansi16);
        assert_eq!(ColorDepth::detect(None, None, None), Ansi16);
        assert_eq!(ColorDepth::detect(None, None, Some("dumb")), Never);
    }

    #[test]
    fn colours_are_reduced_to_the_depth_and_ascii_replaces_box_drawing() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 1));
        buf.set_string(0, 0, "┌─│█", Style::default().fg(Color::Rgb(200, 10, 10)));
        let mut b16 = buf.clone();
        finish(&mut b16, true, ColorDepth::Ansi16);
        assert_eq!(b16[(0, 0)].fg, Color::Red);
        let syms: String = b16.content.iter().map(|c| c.symbol()).collect();
        assert_eq!(syms, "+-|#");
        let mut b256 = buf.clone();
        finish(&mut b256, false, ColorDepth::Ansi256);
        assert_eq!(b256[(0, 0)].fg, Color::Indexed(160));
        assert_eq!(b256[(0, 0)].symbol(), "┌");
        let mut none = buf;
        finish(&mut none, false, ColorDepth::Never);
        assert!(none.content.iter().all(|c| c.fg == Color::Reset));
    }

    #[test]
    fn ascii_replaces_the_form_marks() {
        // The focused field's marker and the detail's action marker.
        assert_eq!(ascii_glyph('›'), Some('>'));
        assert_eq!(ascii_glyph('‹'), Some('<'));
    }
}

/// The terminal writer. crossterm spells even the 16 ANSI colours as 256-colour codes
/// (`38;5;1`), which a 16-colour terminal may not understand; at 16 colours or fewer this
/// writer collects a frame and rewrites those codes to the classic SGR 30-37/90-97 and
/// 40-47/100-107 on flush.
pub struct Out<W: std::io::Write> {
    inner: W,
    sixteen: bool,
    pending: Vec<u8>,
}

impl<W: std::io::Write> Out<W> {
    pub fn new(inner: W, depth: ColorDepth) -> Self {
        Out {
            inner,
            sixteen: depth <= ColorDepth::Ansi16,
            pending: Vec::new(),
        }
    }
}

impl<W: std::io::Write> std::io::Write for Out<W> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if self.sixteen {
            self.pending.extend_from_slice(b);
            Ok(b.len())
        } else {
            self.inner.write(b)
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let out = to_sgr16(&self.pending);
            self.pending.clear();
            self.inner.write_all(&out)?;
        }
        self.inner.flush()
    }
}

impl<W: std::io::Write> Drop for Out<W> {
    fn drop(&mut self) {
        let _ = std::io::Write::flush(self);
    }
}

/// Rewrites `38;5;N` / `48;5;N` with N < 16 inside SGR sequences (`ESC[…m`, also when
/// combined, as in `ESC[38;5;1;49m`) to 16-colour SGR codes.
pub fn to_sgr16(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"\x1b[") {
            let params = &bytes[i + 2..];
            let len = params
                .iter()
                .take_while(|c| c.is_ascii_digit() || **c == b';')
                .count();
            if params.get(len) == Some(&b'm') {
                out.extend_from_slice(b"\x1b[");
                out.extend_from_slice(sgr16_params(&params[..len]).as_bytes());
                out.push(b'm');
                i += 2 + len + 1;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn sgr16_params(params: &[u8]) -> String {
    let text = String::from_utf8_lossy(params);
    let p: Vec<&str> = text.split(';').collect();
    let mut out: Vec<String> = Vec::with_capacity(p.len());
    let mut k = 0;
    while k < p.len() {
        if (p[k] == "38" || p[k] == "48")
            && p.get(k + 1) == Some(&"5")
            && let Some(n) = p.get(k + 2).and_then(|n| n.parse::<u32>().ok())
            && n < 16
        {
            let base = match (p[k] == "38", n < 8) {
                (true, true) => 30,
                (true, false) => 90 - 8,
                (false, true) => 40,
                (false, false) => 100 - 8,
            };
            out.push((base + n).to_string());
            k += 3;
            continue;
        }
        out.push(p[k].to_string());
        k += 1;
    }
    out.join(";")
}

#[cfg(test)]
mod out_tests {
    use super::*;

    #[test]
    fn sixteen_colour_codes_are_rewritten_and_others_kept() {
        let s = to_sgr16(b"a\x1b[38;5;9mX\x1b[48;5;1mY\x1b[38;5;200mZ\x1b[1m\x1b[38;5;1;49m");
        assert_eq!(
            String::from_utf8(s).unwrap(),
            "a\x1b[91mX\x1b[41mY\x1b[38;5;200mZ\x1b[1m\x1b[31;49m"
        );
    }
}
