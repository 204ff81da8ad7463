//! Fuzzes the sanitizer (src/sanitize/text.rs, compiled here on its own): it never panics,
//! is idempotent, and its output holds no control character (but LF in a body), no bidi
//! control, no invisible or tag character, and no oversized grapheme cluster.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../src/sanitize/text.rs"]
#[allow(dead_code)]
mod sanitize;

use sanitize::{TAB_STOP, clean_line, clean_text, is_clean};

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
    sanitize::assert_safe(out, keep_newlines);
}
