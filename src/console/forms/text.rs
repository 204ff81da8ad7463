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

/// How many rows `text` takes soft-wrapped at `width` columns, word by word as the editor
/// wraps it (a word wider than the row is split). Lays out a form before it is drawn.
pub fn wrapped_rows(text: &str, width: usize) -> usize {
    let width = width.max(1);
    text.split('\n')
        .map(|line| {
            let mut rows = 1;
            let mut col = 0;
            for word in line.split_inclusive(' ') {
                let w = unicode_width::UnicodeWidthStr::width(word);
                let visible = unicode_width::UnicodeWidthStr::width(word.trim_end());
                if col + visible > width && col > 0 {
                    rows += 1;
                    col = 0;
                }
                if w > width {
                    rows += (col + w).saturating_sub(1) / width;
                    col = (col + w) % width;
                } else {
                    col += w;
                }
            }
            rows
        })
        .sum()
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
}
