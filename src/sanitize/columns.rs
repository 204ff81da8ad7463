//! Text measured in terminal columns, for every table sitrep prints (the console's views
//! and `sitrep incidents list` alike): a wide character takes two columns, a combining
//! mark none, so padding by `char` count would misalign rows.
use unicode_width::UnicodeWidthChar;

pub fn width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Cuts `s` to at most `max` columns, ending in `…` when something was cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > max - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// `s` padded with spaces to at least `w` columns, never cut: for a column whose values a
/// person types back (a token's name for `token revoke`, an owner for `--owner`).
pub fn pad(s: &str, w: usize) -> String {
    let mut t = s.to_string();
    t.extend(std::iter::repeat_n(' ', w.saturating_sub(width(s))));
    t
}

/// `s` padded with spaces (or truncated) to exactly `w` columns.
pub fn fit(s: &str, w: usize) -> String {
    let mut t = truncate(s, w);
    let tw = width(&t);
    t.extend(std::iter::repeat_n(' ', w.saturating_sub(tw)));
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_are_padded_and_cut_by_columns() {
        assert_eq!(width("李小龙"), 6);
        assert_eq!(fit("李小龙", 8), "李小龙  ");
        assert_eq!(fit("李小龙", 5), "李小…");
        assert_eq!(width(&fit("李小龙", 5)), 5);
        assert_eq!(fit("ana", 5), "ana  ");
        assert_eq!(pad("李小龙", 8), "李小龙  ");
        assert_eq!(pad("李小龙", 4), "李小龙");
        assert_eq!(pad("ana", 5), "ana  ");
    }
}
