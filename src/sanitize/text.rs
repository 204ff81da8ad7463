//! The string rules of the sanitizer: pure functions of a `&str`, with no dependency on the
//! rest of the crate (the fuzz target in `fuzz/` compiles this file on its own).
//!
//! What a field looks like after [`clean_line`] (ids, titles, names) or [`clean_text`]
//! (summaries, update bodies, exception texts):
//!
//! - Escape sequences are removed whole, payload included: CSI (`ESC [`, 8-bit `0x9B`),
//!   OSC, DCS, SOS, PM and APC (`ESC ]`, `ESC P`, `ESC X`, `ESC ^`, `ESC _` and their 8-bit
//!   forms, up to BEL or ST; an unterminated one swallows the rest of the field), and the
//!   other two-byte and nF escapes.
//! - Other C0 controls become their control picture (BEL → `␇`, CR → `␍`), DEL becomes `␡`,
//!   C1 controls become `U+FFFD`, so the character is visible but inert.
//! - Bidi overrides, embeddings, isolates and marks become visible markers (`[RLO]`, `[LRI]`,
//!   `[RLM]`, …) rather than silently reordering the text around them.
//! - Invisible characters are removed: zero-width space/joiners, word joiner and the other
//!   invisible operators (U+2060–U+206F), BOM, soft hyphen, every other format character
//!   (general category Cf), variation selectors, the combining grapheme joiner, Hangul
//!   fillers and the tag characters (U+E0000–U+E0FFF). They are removed from bodies too:
//!   an emoji ZWJ sequence shows as its parts (👩‍💻 → 👩💻), which is what many terminals do
//!   anyway, and it keeps the width the console computes equal to the width the terminal
//!   draws.
//! - Line breaks: in a line field, LF, CR LF, U+2028 and U+2029 become one space and a tab
//!   becomes one space, so a field cannot forge extra rows. In a body, CR LF, U+2028 and
//!   U+2029 become LF (the only control character a body keeps), and a tab is expanded to
//!   spaces up to the next multiple of [`TAB_STOP`] display columns, counted from the start
//!   of the body's line. A lone CR is shown as `␍` in both (it would return the cursor and
//!   let a later part of the line overwrite an earlier one).
//! - Grapheme clusters are capped: at most [`MAX_MARKS`] combining marks in a row on one base
//!   character and at most [`MAX_CLUSTER_CHARS`] characters in one cluster; the excess is
//!   dropped. That defeats "zalgo" floods that draw over neighbouring rows, and the other
//!   ways to build an unbounded cluster (Hangul jamo, emoji modifiers, Indic conjuncts).
//!
//! Both functions are idempotent (`clean(clean(x)) == clean(x)`) and never panic; a property
//! test and the fuzz target check that, and that the output contains none of the above.
use unicode_properties::general_category::{
    GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory,
};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthChar;

/// Tabs in a body are expanded to the next multiple of this many display columns.
pub const TAB_STOP: usize = 8;
/// At most this many combining marks in a row are kept on one base character.
pub const MAX_MARKS: usize = 4;
/// At most this many characters are kept in one grapheme cluster (after the marks cap).
/// Real text stays far below it: a conjunct of four consonants with its vowel sign is 8.
pub const MAX_CLUSTER_CHARS: usize = 12;

/// Cleans text that may span lines (summaries, update bodies): newlines are kept, every other
/// control character is made visible, escape sequences are removed whole.
pub fn clean_text(s: &str) -> String {
    clean(s, true)
}

/// Cleans a single-line field (ids, titles, names): like [`clean_text`], and a newline
/// becomes a space so one field cannot forge extra rows on the screen.
pub fn clean_line(s: &str) -> String {
    clean(s, false)
}

/// True when cleaning `s` would change nothing; lets callers skip the allocation on the
/// common, already-clean path.
pub fn is_clean(s: &str, keep_newlines: bool) -> bool {
    s.chars().all(|c| char_is_clean(c, keep_newlines)) && cap_clusters(s).is_none()
}

/// A character that may appear in the output as it is.
fn char_is_clean(c: char, keep_newlines: bool) -> bool {
    if c.is_ascii() {
        return !c.is_ascii_control() || (keep_newlines && c == '\n');
    }
    !c.is_control()
        && bidi_marker(c).is_none()
        && !is_invisible(c)
        && !matches!(c, '\u{2028}' | '\u{2029}')
}

fn clean(s: &str, keep_newlines: bool) -> String {
    if is_clean(s, keep_newlines) {
        return s.to_string();
    }
    let mut out = replace_chars(s, keep_newlines);
    // Dropping the tail of one cluster can let the next cluster join what is left, so the
    // cap runs until nothing changes; each round removes at least one character.
    while let Some(capped) = cap_clusters(&out) {
        out = capped;
    }
    out
}

/// Whether `s` has something of its own to show once sanitized: a letter, digit,
/// punctuation mark or symbol that puts ink on the screen. Bidi controls count for nothing
/// (the `[RLO]`-style markers shown in their place are the sanitizer's words, not the
/// text's), nor do marks without a base, spaces, or the letters and symbols that draw blank
/// (Hangul fillers, the blank braille pattern).
pub fn shows_text(s: &str) -> bool {
    let without_bidi: String = s.chars().filter(|c| bidi_marker(*c).is_none()).collect();
    clean_line(&without_bidi).chars().any(|c| {
        matches!(
            c.general_category_group(),
            GeneralCategoryGroup::Letter
                | GeneralCategoryGroup::Number
                | GeneralCategoryGroup::Punctuation
                | GeneralCategoryGroup::Symbol
        ) && !matches!(
            c,
            '\u{2800}' | '\u{3164}' | '\u{115f}' | '\u{1160}' | '\u{ffa0}'
        )
    })
}

/// The character-level pass: escape sequences, controls, bidi, invisibles, tabs, newlines.
fn replace_chars(s: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(s.len());
    // Display column on the current line of a body, for tab stops.
    let mut col = 0usize;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let start = out.len();
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // 8-bit C1 introducers of the string and CSI sequences.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\r' if chars.peek() == Some(&'\n') => {
                chars.next();
                out.push(if keep_newlines { '\n' } else { ' ' });
            }
            '\n' | '\u{2028}' | '\u{2029}' if keep_newlines => out.push('\n'),
            '\n' | '\u{2028}' | '\u{2029}' => out.push(' '),
            '\t' if keep_newlines => {
                let n = TAB_STOP - col % TAB_STOP;
                out.extend(std::iter::repeat_n(' ', n));
            }
            '\t' => out.push(' '),
            // Control pictures (U+2400 block) keep the character's identity visible.
            c @ '\0'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
            '\u{7f}' => out.push('\u{2421}'),
            '\u{80}'..='\u{9f}' => out.push('\u{fffd}'),
            c => match bidi_marker(c) {
                Some(name) => {
                    out.push('[');
                    out.push_str(name);
                    out.push(']');
                }
                None if is_invisible(c) => {}
                None => out.push(c),
            },
        }
        for pushed in out[start..].chars() {
            if pushed == '\n' {
                col = 0;
            } else {
                col += pushed.width().unwrap_or(0);
            }
        }
    }
    out
}

/// The cluster-level pass: at most [`MAX_MARKS`] combining marks in a row and at most
/// [`MAX_CLUSTER_CHARS`] characters per grapheme cluster. `None` when nothing is dropped.
fn cap_clusters(s: &str) -> Option<String> {
    // ASCII has no marks, and its only multi-character cluster is CR LF.
    if s.is_ascii() {
        return None;
    }
    let mut out: Option<String> = None;
    for (at, cluster) in s.grapheme_indices(true) {
        let mut marks = 0usize;
        let mut kept = 0usize;
        for (i, c) in cluster.char_indices() {
            marks = if is_mark(c) { marks + 1 } else { 0 };
            let keep = marks <= MAX_MARKS && kept < MAX_CLUSTER_CHARS;
            if keep {
                kept += 1;
                if let Some(o) = out.as_mut() {
                    o.push(c);
                }
            } else if out.is_none() {
                out = Some(s[..at + i].to_string());
            }
        }
    }
    out
}

/// Combining marks (general categories Mn, Mc, Me): what a "zalgo" flood stacks.
fn is_mark(c: char) -> bool {
    !c.is_ascii()
        && matches!(
            c.general_category(),
            GeneralCategory::NonspacingMark
                | GeneralCategory::SpacingMark
                | GeneralCategory::EnclosingMark
        )
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// After ESC: removes the whole sequence, whatever kind it is.
fn skip_escape(chars: &mut Chars) {
    match chars.peek().copied() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        // OSC, DCS, SOS, PM, APC: strings that run until a terminator.
        Some(']' | 'P' | 'X' | '^' | '_') => {
            chars.next();
            skip_string(chars);
        }
        // nF sequences (ESC, intermediates 0x20-0x2F, one final byte) and two-byte Fp/Fe/Fs.
        Some(_) => {
            while chars
                .next_if(|c| ('\u{20}'..='\u{2f}').contains(c))
                .is_some()
            {}
            chars.next_if(|c| ('\u{30}'..='\u{7e}').contains(c));
        }
        None => {}
    }
}

/// CSI: parameter bytes 0x30-0x3F, intermediates 0x20-0x2F, then one final byte 0x40-0x7E.
/// A malformed sequence ends at the first byte outside those ranges, which is kept.
fn skip_csi(chars: &mut Chars) {
    while chars
        .next_if(|c| ('\u{20}'..='\u{3f}').contains(c))
        .is_some()
    {}
    chars.next_if(|c| ('\u{40}'..='\u{7e}').contains(c));
}

/// OSC/DCS/SOS/PM/APC: everything up to BEL, ST (`ESC \` or 0x9C). An unterminated string
/// swallows the rest of the field: a terminal would do the same, and showing half of it
/// would show attacker-chosen bytes out of context.
fn skip_string(chars: &mut Chars) {
    while let Some(c) = chars.next() {
        match c {
            '\u{07}' | '\u{9c}' => return,
            '\u{1b}' if chars.next_if_eq(&'\\').is_some() => return,
            _ => {}
        }
    }
}

/// Characters that reorder text: overrides, embeddings, isolates and directional marks.
fn bidi_marker(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{202a}' => "LRE",
        '\u{202b}' => "RLE",
        '\u{202c}' => "PDF",
        '\u{202d}' => "LRO",
        '\u{202e}' => "RLO",
        '\u{2066}' => "LRI",
        '\u{2067}' => "RLI",
        '\u{2068}' => "FSI",
        '\u{2069}' => "PDI",
        '\u{200e}' => "LRM",
        '\u{200f}' => "RLM",
        '\u{061c}' => "ALM",
        _ => return None,
    })
}

/// Invisible characters that can hide text or make two ids look equal: every format
/// character (Cf: zero-width space and joiners, word joiner, invisible operators, BOM, soft
/// hyphen, interlinear annotation, tags, …) and the other default-ignorable characters
/// (variation selectors, combining grapheme joiner, Hangul fillers, Mongolian free variation
/// selectors, the reserved U+2065, U+FFF0–U+FFF8 and U+E0000–U+E0FFF).
fn is_invisible(c: char) -> bool {
    if c.is_ascii() {
        return false;
    }
    matches!(
        c,
        '\u{034f}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{17b4}'
            | '\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2060}'..='\u{206f}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fffb}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{e0000}'..='\u{e0fff}'
    ) || c.general_category() == GeneralCategory::Format
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csi_sequences_are_removed_whole() {
        assert_eq!(clean_line("a\x1b[2Jb\x1b[1;31mred\x1b[0m"), "abred");
        assert_eq!(clean_line("x\u{9b}2Ky"), "xy");
    }

    #[test]
    fn osc_clipboard_write_is_removed_with_its_payload() {
        assert_eq!(clean_line("pay\x1b]52;c;ZXZpbA==\x07load"), "payload");
        assert_eq!(clean_line("t\x1b]0;title\x1b\\u"), "tu");
        // Unterminated: nothing of the payload survives.
        assert_eq!(clean_line("ok\x1b]8;;http://evil"), "ok");
    }

    #[test]
    fn dcs_apc_pm_sos_are_removed() {
        for intro in ['P', '_', '^', 'X'] {
            let s = format!("a\x1b{intro}payload\x1b\\b");
            assert_eq!(clean_line(&s), "ab", "ESC {intro}");
        }
        assert_eq!(clean_line("a\u{90}q\u{9c}b"), "ab");
    }

    #[test]
    fn other_controls_become_visible() {
        assert_eq!(clean_line("bell\x07"), "bell\u{2407}");
        assert_eq!(clean_line("del\x7f"), "del\u{2421}");
        assert_eq!(clean_line("cr\rlf"), "cr\u{240d}lf");
        assert_eq!(clean_line("c1\u{85}"), "c1\u{fffd}");
        assert_eq!(clean_line("two\nlines\ttab"), "two lines tab");
        assert_eq!(clean_text("two\nlines"), "two\nlines");
    }

    #[test]
    fn bidi_overrides_are_shown_and_zero_width_dropped() {
        assert_eq!(clean_line("INC\u{202e}-12"), "INC[RLO]-12");
        assert_eq!(clean_line("a\u{2066}b\u{2069}"), "a[LRI]b[PDI]");
        assert_eq!(clean_line("IN\u{200b}C-1\u{feff}"), "INC-1");
    }

    #[test]
    fn tags_and_other_invisible_characters_are_removed() {
        // Tag characters spell hidden ASCII ("ignore previous…") after a visible id.
        let tagged: String = "INC-7"
            .chars()
            .chain(
                "hidden"
                    .chars()
                    .map(|c| char::from_u32(0xe0000 + c as u32).unwrap()),
            )
            .chain(['\u{e0001}', '\u{e007f}'])
            .collect();
        assert_eq!(clean_line(&tagged), "INC-7");
        // Invisible operators, interlinear annotation, variation selectors, CGJ, fillers.
        let s = "a\u{2061}b\u{2064}c\u{206a}d\u{206f}e\u{fff9}f\u{fffb}g\u{fe0f}h\u{34f}i\u{3164}j\u{e0100}k";
        assert_eq!(clean_line(s), "abcdefghijk");
        assert_eq!(clean_text(s), "abcdefghijk");
        // Other format characters (Cf), e.g. the Arabic number sign and a shorthand control.
        assert_eq!(clean_line("x\u{600}y\u{1bca1}z\u{ad}"), "xyz");
        // An emoji ZWJ sequence keeps its parts.
        assert_eq!(clean_text("dev 👩\u{200d}💻"), "dev 👩💻");
    }

    #[test]
    fn bodies_expand_tabs_to_stops_and_split_newlines() {
        assert_eq!(clean_text("a\tb"), "a       b");
        assert_eq!(clean_text("abcdefgh\tx"), "abcdefgh        x");
        assert_eq!(clean_text("ab\ncd\te"), "ab\ncd      e");
        // Columns count display width: a wide character takes two.
        assert_eq!(clean_text("東京\tx"), "東京    x");
        assert_eq!(
            clean_text("one\r\ntwo\u{2028}three\u{2029}four"),
            "one\ntwo\nthree\nfour"
        );
        assert_eq!(clean_text("safe\revil"), "safe\u{240d}evil");
        assert_eq!(clean_line("one\r\ntwo\u{2028}x\ty"), "one two x y");
    }

    #[test]
    fn combining_floods_are_capped() {
        let zalgo = format!("Z{}a{}", "\u{0301}".repeat(50), "\u{0316}\u{0317}");
        assert_eq!(
            clean_line(&zalgo),
            format!("Z{}a\u{0316}\u{0317}", "\u{0301}".repeat(MAX_MARKS))
        );
        // Legitimate combining text is untouched: decomposed Vietnamese, a Hindi conjunct.
        for s in ["Vie\u{0302}\u{0323}t", "स्त्री", "क्ष्म्य"] {
            assert_eq!(clean_line(s), s);
        }
        // An unbounded cluster without marks (Hangul vowel jamo) is capped as well.
        let jamo = format!("\u{1100}{}", "\u{1161}".repeat(100));
        assert_eq!(clean_line(&jamo).chars().count(), MAX_CLUSTER_CHARS);
        // Removing an invisible character between two runs cannot let the run grow.
        let joined = format!("a{0}\u{200b}{0}", "\u{0301}".repeat(3));
        assert_eq!(
            clean_line(&joined),
            format!("a{}", "\u{0301}".repeat(MAX_MARKS))
        );
    }

    #[test]
    fn ordinary_text_is_untouched() {
        let s = "Checkout 5xx in eu-west — Zürich, 東京, emoji 🔥, naïve café, עברית, العربية";
        assert_eq!(clean_line(s), s);
        assert!(is_clean(s, false));
    }
}

/// The output invariants, written out independently of the rules above (but for `is_mark`):
/// checked by the property tests and by the fuzz target (fuzz/), which compiles this file.
#[cfg(any(test, fuzzing))]
pub fn assert_safe(out: &str, keep_newlines: bool) {
    for c in out.chars() {
        let u = c as u32;
        assert!(
            !(u < 0x20 && !(keep_newlines && c == '\n')),
            "C0 {u:#x} in {out:?}"
        );
        assert!(!(0x7f..=0x9f).contains(&u), "DEL/C1 {u:#x} in {out:?}");
        assert!(
            !matches!(u, 0x202a..=0x202e | 0x2066..=0x2069 | 0x200e | 0x200f | 0x061c),
            "bidi {u:#x} in {out:?}"
        );
        assert!(
            !matches!(u, 0x200b..=0x200d | 0x2060..=0x2064 | 0x206a..=0x206f | 0xfeff | 0xad),
            "zero-width {u:#x} in {out:?}"
        );
        assert!(!(0xe0000..=0xe0fff).contains(&u), "tag {u:#x} in {out:?}");
        assert!(
            !(0xfe00..=0xfe0f).contains(&u),
            "variation selector in {out:?}"
        );
        assert!(!matches!(u, 0x2028 | 0x2029), "separator in {out:?}");
    }
    for g in out.graphemes(true) {
        assert!(g.chars().count() <= MAX_CLUSTER_CHARS, "cluster {g:?}");
        let mut run = 0;
        for c in g.chars() {
            run = if is_mark(c) { run + 1 } else { 0 };
            assert!(run <= MAX_MARKS, "mark run in {g:?}");
        }
    }
}

/// Property tests: hostile input built from escape sequences, C1 controls, bidi, tags,
/// invisibles, combining floods and arbitrary characters.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn piece() -> impl Strategy<Value = String> {
        let fixed = prop::sample::select(vec![
            "\x1b[2J",
            "\x1b[1;31m",
            "\x1b]52;c;ZXZpbA==\x07",
            "\x1b]0;pwned\x1b\\",
            "\x1b]8;;http://evil\x1b\\",
            "\x1bP+q544e\x1b\\",
            "\x1b_apc\x1b\\",
            "\x1b^pm\x1b\\",
            "\x1bXsos\x1b\\",
            "\x1b",
            "\x1b[",
            "\x1b]",
            "\x1b(0",
            "\u{9b}2J",
            "\u{9d}0;t\u{9c}",
            "\u{90}dcs\u{9c}",
            "\u{9c}",
            "\x07",
            "\x7f",
            "\r",
            "\r\n",
            "\n",
            "\t",
            "\u{2028}",
            "\u{2029}",
            "\u{202e}",
            "\u{2066}",
            "\u{200b}",
            "\u{200d}",
            "\u{feff}",
            "\u{fe0f}",
            "\u{e0041}",
            "\u{e007f}",
            "\u{0301}",
            "\u{0301}\u{0301}\u{0301}\u{0301}\u{0301}\u{0301}",
            "\u{1161}\u{1161}\u{1161}\u{1161}\u{1161}\u{1161}\u{1161}",
            "क्",
            "\u{11a84}",
            "\u{102b}",
            "👩\u{200d}💻",
            "\u{1f3fb}\u{1f3fb}",
            "🇪🇺",
            "東京",
            "INC-1",
            " ",
            "[RLO]",
        ])
        .prop_map(str::to_string);
        prop_oneof![
            4 => fixed,
            2 => any::<char>().prop_map(String::from),
            2 => (0u32..0x100).prop_map(|c| char::from_u32(c).unwrap().to_string()),
            1 => (0x300u32..0x370).prop_map(|c| char::from_u32(c).unwrap().to_string()),
            1 => (0xe0000u32..0xe0080).prop_map(|c| char::from_u32(c).unwrap().to_string()),
            1 => (0x2000u32..0x2070).prop_map(|c| char::from_u32(c).unwrap().to_string()),
        ]
    }

    fn hostile() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => prop::collection::vec(piece(), 0..40).prop_map(|v| v.concat()),
            1 => any::<String>(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn clean_line_is_safe_idempotent_and_one_line(s in hostile()) {
            let out = clean_line(&s);
            assert_safe(&out, false);
            prop_assert!(!out.contains('\n'));
            prop_assert_eq!(clean_line(&out), out.clone());
            prop_assert!(is_clean(&out, false));
            // A C0 byte becomes a 3-byte control picture, the worst growth for a line.
            prop_assert!(out.len() <= 3 * s.len());
        }

        #[test]
        fn clean_text_is_safe_idempotent_and_keeps_line_structure(s in hostile()) {
            let out = clean_text(&s);
            assert_safe(&out, true);
            prop_assert_eq!(clean_text(&out), out.clone());
            prop_assert!(is_clean(&out, true));
            // A one-byte tab becomes at most TAB_STOP spaces, the worst growth for a body.
            prop_assert!(out.len() <= TAB_STOP * s.len());
            // A body never gains more lines than the input had line breaks.
            let breaks = s.matches(['\n', '\u{2028}', '\u{2029}']).count();
            prop_assert!(out.matches('\n').count() <= breaks);
            // Cleaning a line of the body is what cleaning it as a line gives.
            prop_assert_eq!(clean_line(&out), clean_line(&out.replace('\n', " ")));
        }

        #[test]
        fn clean_strings_are_returned_unchanged(s in "[a-zA-Z0-9 ._:/()-]{0,80}") {
            prop_assert_eq!(clean_line(&s), s.clone());
            prop_assert_eq!(clean_text(&s), s);
        }
    }
}
