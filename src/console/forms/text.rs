//! A form's text field as an editor: `ratatui-textarea` keeps the text, the cursor and the
//! undo history, and soft-wraps a multi-line field so the whole text can be read before it
//! is sent. The field's `value` stays the one source of what is saved in a draft and sent;
//! the editor is rebuilt from it whenever the two differ (a restored draft, a value set by
//! a form), with the cursor at the end, where typing used to go.
use ratatui_textarea::{CursorMove, TextArea, WrapMode};
use std::fmt;

/// An editing key in a text field, already told apart from the form's own keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Left,
    Right,
    WordLeft,
    WordRight,
    /// Start / end of the (logical) line: Home/End, Ctrl+A/Ctrl+E.
    Home,
    End,
    /// A line up / down in a multi-line field; false when there is none.
    Up,
    Down,
    Backspace,
    Delete,
    /// Ctrl+W: the word before the cursor.
    DeleteWord,
    /// Ctrl+U: from the start of the line to the cursor.
    DeleteLine,
    /// Ctrl+K: from the cursor to the end of the line.
    DeleteToEnd,
    Undo,
    Redo,
    /// Enter in a multi-line field.
    Newline,
}

/// The editor behind a text field. Not saved: the field's value is.
#[derive(Clone, Default)]
pub struct Editor {
    area: TextArea<'static>,
    /// The value the editor was last in step with.
    synced: String,
}

/// Two fields are equal when their values are: the cursor and history are not the field.
impl PartialEq for Editor {
    fn eq(&self, _: &Editor) -> bool {
        true
    }
}

impl fmt::Debug for Editor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.area.cursor();
        let (row, col) = (c.0, c.1);
        write!(f, "Editor(cursor {row}:{col})")
    }
}

impl Editor {
    /// An editor holding `value`, the cursor at its end.
    pub fn new(value: &str, multiline: bool) -> Editor {
        let mut area = TextArea::new(value.split('\n').map(str::to_string).collect());
        area.set_wrap_mode(if multiline {
            WrapMode::WordOrGlyph
        } else {
            WrapMode::None
        });
        area.move_cursor(CursorMove::Bottom);
        area.move_cursor(CursorMove::End);
        Editor {
            area,
            synced: value.to_string(),
        }
    }

    /// In step with `value`: rebuilt from it when it changed underneath.
    pub fn synced<'a>(
        slot: &'a mut Option<Editor>,
        value: &str,
        multiline: bool,
    ) -> &'a mut Editor {
        if slot.as_ref().is_none_or(|e| e.synced != value) {
            *slot = Some(Editor::new(value, multiline));
        }
        slot.as_mut().expect("just set")
    }

    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    /// Applies `e`; true when the cursor or the text changed.
    pub fn apply(&mut self, e: Edit) -> bool {
        let a = &mut self.area;
        let moved = |a: &mut TextArea, m: CursorMove| {
            let at = a.cursor();
            a.move_cursor(m);
            a.cursor() != at
        };
        let changed = match e {
            Edit::Left => moved(a, CursorMove::Back),
            Edit::Right => moved(a, CursorMove::Forward),
            Edit::WordLeft => moved(a, CursorMove::WordBack),
            Edit::WordRight => moved(a, CursorMove::WordForward),
            Edit::Home => moved(a, CursorMove::Head),
            Edit::End => moved(a, CursorMove::End),
            Edit::Up => moved(a, CursorMove::Up),
            Edit::Down => moved(a, CursorMove::Down),
            Edit::Backspace => a.delete_char(),
            Edit::Delete => a.delete_next_char(),
            Edit::DeleteWord => a.delete_word(),
            Edit::DeleteLine => a.delete_line_by_head(),
            Edit::DeleteToEnd => a.delete_line_by_end(),
            Edit::Undo => a.undo(),
            Edit::Redo => a.redo(),
            Edit::Newline => {
                a.insert_newline();
                true
            }
        };
        self.synced = self.text();
        changed
    }

    /// Inserts `text` at the cursor.
    pub fn insert(&mut self, text: &str) {
        self.area.insert_str(text);
        self.synced = self.text();
    }

    /// (line, column in characters) of the cursor.
    pub fn cursor(&self) -> (usize, usize) {
        let c = self.area.cursor();
        (c.0, c.1)
    }

    /// The editor to draw: a copy, so drawing never changes the form.
    pub fn area(&self) -> &TextArea<'static> {
        &self.area
    }
}

/// One screen row of a wrapped text: characters `start..end` of logical line `line`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub line: usize,
    pub start: usize,
    pub end: usize,
}

/// `text` soft-wrapped at `width` columns, word by word (a word wider than the row is
/// split): the space a row breaks at belongs to neither row, so a continuation row never
/// starts with a space the person did not see typed there. Line breaks are kept.
pub fn layout(text: &str, width: usize) -> Vec<Row> {
    use unicode_width::UnicodeWidthChar;
    let width = width.max(1);
    let mut rows = Vec::new();
    for (line, l) in text.split('\n').enumerate() {
        let chars: Vec<char> = l.chars().collect();
        let w = |c: char| c.width().unwrap_or(0);
        let mut start = 0;
        loop {
            // The longest run from `start` that fits.
            let mut end = start;
            let mut cols = 0;
            while end < chars.len() && cols + w(chars[end]) <= width {
                cols += w(chars[end]);
                end += 1;
            }
            if end == chars.len() {
                rows.push(Row { line, start, end });
                break;
            }
            if end == start {
                // A character wider than the row: it gets a row of its own.
                end += 1;
            }
            // Break at the last space that fits (or just after the run, if a space follows
            // it); inside a word only when the word alone is wider than the row.
            match (start + 1..=end).rev().find(|&i| chars[i] == ' ') {
                Some(space) => {
                    rows.push(Row {
                        line,
                        start,
                        end: space,
                    });
                    start = space + 1;
                }
                None => {
                    rows.push(Row { line, start, end });
                    start = end;
                }
            }
        }
    }
    rows
}

/// How many rows `text` takes soft-wrapped at `width` columns (see [`layout`]). Lays out a
/// form before it is drawn.
pub fn wrapped_rows(text: &str, width: usize) -> usize {
    layout(text, width).len()
}

/// The row of `rows` that shows the cursor at character `col` of logical line `line`, and
/// the column in it (in characters). At a split word the cursor shows at the start of the
/// next row; on a break space at the end of the row before it, or at the start of the next
/// row when that row is full.
pub fn cursor_row(rows: &[Row], (line, col): (usize, usize), width: usize) -> (usize, usize) {
    let mut last = (0, 0);
    for (i, r) in rows.iter().enumerate().filter(|(_, r)| r.line == line) {
        last = (i, r.end - r.start);
        if col < r.start || col > r.end {
            continue;
        }
        let at = col - r.start;
        if col < r.end {
            return (i, at);
        }
        match rows.get(i + 1).filter(|n| n.line == line) {
            // A split word: the next row starts right here.
            Some(n) if n.start == r.end => continue,
            Some(_) if at >= width => return (i + 1, 0),
            _ => return (i, at),
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_words_and_line_breaks() {
        assert_eq!(wrapped_rows("", 10), 1);
        assert_eq!(wrapped_rows("one two", 10), 1);
        assert_eq!(wrapped_rows("one two three", 10), 2);
        assert_eq!(wrapped_rows("a\nb\nc", 10), 3);
        assert_eq!(wrapped_rows(&"x".repeat(25), 10), 3);
    }

    fn shown(text: &str, width: usize) -> Vec<String> {
        let lines: Vec<Vec<char>> = text.split('\n').map(|l| l.chars().collect()).collect();
        layout(text, width)
            .iter()
            .map(|r| lines[r.line][r.start..r.end].iter().collect())
            .collect()
    }

    #[test]
    fn a_continuation_row_never_starts_with_the_break_space() {
        // The row is exactly full before the space: the space is the break, on neither row.
        assert_eq!(
            shown("Login works again after the auth rollback", 27),
            ["Login works again after the", "auth rollback"]
        );
        assert_eq!(shown("one two three", 10), ["one two", "three"]);
        assert_eq!(shown("abcdefghij klm", 4), ["abcd", "efgh", "ij", "klm"]);
        // Spaces the person typed inside a row are kept.
        assert_eq!(shown("a  b", 10), ["a  b"]);
        assert_eq!(shown("東京東京", 5), ["東京", "東京"]);
        assert_eq!(shown("a\n\nb", 5), ["a", "", "b"]);
    }

    #[test]
    fn the_cursor_is_found_on_its_row() {
        let text = "Login works again after the auth rollback";
        let rows = layout(text, 27);
        // Start, inside the second row, and the very end.
        assert_eq!(cursor_row(&rows, (0, 0), 27), (0, 0));
        assert_eq!(cursor_row(&rows, (0, 30), 27), (1, 2));
        assert_eq!(cursor_row(&rows, (0, 41), 27), (1, 13));
        // On the break space after a full row: the start of the next row.
        assert_eq!(cursor_row(&rows, (0, 27), 27), (1, 0));
        // On a break space with room left: the end of its row.
        let rows = layout("one two three", 10);
        assert_eq!(cursor_row(&rows, (0, 7), 10), (0, 7));
        // A split word: the cursor at the split shows at the start of the next row.
        let rows = layout("abcdefgh", 4);
        assert_eq!(cursor_row(&rows, (0, 4), 4), (1, 0));
        assert_eq!(cursor_row(&rows, (0, 8), 4), (1, 4));
        // The second logical line.
        let rows = layout("ab\ncd", 4);
        assert_eq!(cursor_row(&rows, (1, 1), 4), (1, 1));
    }
}
