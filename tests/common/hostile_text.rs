//! The hostile text corpus the terminal sanitizer is tested with end to end: every attack
//! on a terminal in one string (shared by the console's hostile-text test and the status
//! page's escaping test).

pub const OSC52: &str = "\x1b]52;c;ZXZpbA==\x07";
pub const OSC0: &str = "\x1b]0;owned-title\x1b\\";
pub const OSC8: &str = "\x1b]8;;http://evil.example/\x1b\\";
pub const CLEAR: &str = "\x1b[2J\x1b[H";
pub const C1_CSI: &str = "\u{9b}31m";
pub const C1_OSC: &str = "\u{9d}0;c1-title\u{9c}";
pub const DCS: &str = "\x1bP+q544e\x1b\\";
pub const APC_PM_SOS: &str = "\x1b_apc\x1b\\\x1b^pm\x1b\\\x1bXsos\x1b\\";
pub const BIDI: &str = "\u{202e}lmth.exe\u{202c}\u{2066}x\u{2069}\u{200f}";
pub const ZERO_WIDTH: &str = "\u{200b}\u{200c}\u{200d}\u{2060}\u{feff}\u{2061}\u{fe0f}";
/// Tag characters spelling "hidden".
pub const TAGS: &str = "\u{e0068}\u{e0069}\u{e0064}\u{e0064}\u{e0065}\u{e006e}\u{e007f}";

/// Every attack in one string, around some visible text.
pub fn evil(label: &str) -> String {
    format!(
        "{label}{OSC52}{OSC0}{OSC8}{CLEAR}\x07{C1_CSI}{C1_OSC}{DCS}{APC_PM_SOS}{BIDI}{ZERO_WIDTH}{TAGS}Z{}\u{85}\x7f end",
        "\u{0301}\u{0316}".repeat(40)
    )
}

/// A multi-line body: the above, plus tabs, CR LF, a lone CR and a very long line.
pub fn evil_body(label: &str) -> String {
    format!(
        "{}\n\tindented\r\nsecond\rover\u{2028}third\n{}",
        evil(label),
        "long ".repeat(2000)
    )
}
