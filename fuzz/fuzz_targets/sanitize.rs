//! Fuzzes the sanitizer (src/sanitize/text.rs, compiled here on its own): it never panics,
//! is idempotent, and its output holds no control character (but LF in a body), no bidi
//! control, no invisible or tag character, and no oversized grapheme cluster.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unicode_segmentation::UnicodeSegmentation;

#[path = "../../src/sanitize/text.rs"]
#[allow(dead_code)]
mod sanitize;

use sanitize::{MAX_CLUSTER_CHARS, MAX_MARKS, TAB_STOP, clean_line, clean_text, is_clean};

fuzz_target!(|data: &[u8]| {
    // Lossy, as the client would see bytes that are not UTF-8 (U+FFFD), so every input counts.
    let s = String::from_utf8_lossy(data);
    let line = clean_line(&s);
    check(&line, false);
    assert!(line.len() <= 3 * s.len());
    assert_eq!(
        clean_line(&line),
        line,
        "clean_line is not idempotent on {s:?}"
    );
    let text = clean_text(&s);
    check(&text, true);
    assert!(text.len() <= TAB_STOP * s.len());
    assert_eq!(
        clean_text(&text),
        text,
        "clean_text is not idempotent on {s:?}"
    );
});

fn check(out: &str, keep_newlines: bool) {
    assert!(is_clean(out, keep_newlines));
    for c in out.chars() {
        let u = c as u32;
        assert!(
            u >= 0x20 || (keep_newlines && c == '\n'),
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
        // Marks in a row: checked with the general category the sanitizer uses.
        let mut run = 0;
        for c in g.chars() {
            use unicode_properties::general_category::{
                GeneralCategoryGroup, UnicodeGeneralCategory,
            };
            run = if c.general_category_group() == GeneralCategoryGroup::Mark {
                run + 1
            } else {
                0
            };
            assert!(run <= MAX_MARKS, "mark run in {g:?}");
        }
    }
}
