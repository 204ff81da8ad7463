//! A form's text field: a one-line field drawn by its editor (which scrolls it sideways to
//! the cursor); a multi-line field wrapped word by word by [`layout`], on the rows the form
//! was sized for, with the editor's cursor on them. The cursor is a reversed cell, not the
//! terminal's cursor: the frame never moves the terminal cursor, so the form owns it.
use crate::console::forms::Field;
use crate::console::forms::text::{Editor, cursor_row, layout};
use crate::console::theme::Theme;
use crate::console::view::fmt::{fit_spans, width as width_of};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use ratatui_textarea::CursorMove;

pub struct TextField<'a> {
    pub theme: &'a Theme,
    pub field: &'a Field,
    pub focused: bool,
}

impl Widget for TextField<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if self.field.multiline {
            self.render_wrapped(area, buf)
        } else {
            self.render_line(area, buf)
        }
    }
}

impl TextField<'_> {
    fn style(&self) -> Style {
        let t = self.theme;
        if self.focused {
            t.base
        } else {
            t.dim.patch(t.base)
        }
    }

    fn render_line(self, area: Rect, buf: &mut Buffer) {
        let (t, field) = (self.theme, self.field);
        let mut editor = match &field.editor {
            Some(e) if e.text() == field.value => e.area().clone(),
            _ => Editor::new(&field.value, field.multiline).area().clone(),
        };
        let style = self.style();
        editor.set_style(style);
        editor.set_cursor_line_style(Style::default());
        if self.focused {
            editor.set_cursor_style(style.add_modifier(Modifier::REVERSED));
            editor.set_placeholder_text(field.hint.clone());
            editor.set_placeholder_style(t.dim);
        } else {
            // Not being edited: the cursor is not drawn, and the text is read from its start.
            editor.set_cursor_style(style);
            editor.move_cursor(CursorMove::Top);
            editor.move_cursor(CursorMove::Head);
        }
        (&editor).render(area, buf);
    }

    /// The focused field scrolls to keep its cursor in view. (The editor's own wrapping
    /// starts a continuation row with the break space, hence a wrapping of our own.)
    fn render_wrapped(self, area: Rect, buf: &mut Buffer) {
        let (t, field) = (self.theme, self.field);
        let style = self.style();
        let cursor_style = style.add_modifier(Modifier::REVERSED);
        buf.set_style(area, style);
        if area.is_empty() {
            return;
        }
        let cols = area.width as usize;
        if field.value.is_empty() {
            fit_spans([Span::styled(field.hint.as_str(), t.dim)], cols).render(area, buf);
            if self.focused
                && let Some(c) = buf.cell_mut((area.x, area.y))
            {
                c.set_style(cursor_style);
            }
            return;
        }
        let rows = layout(&field.value, cols);
        let lines: Vec<Vec<char>> = field
            .value
            .split('\n')
            .map(|l| l.chars().collect())
            .collect();
        let cursor = match &field.editor {
            Some(e) if e.text() == field.value => e.cursor(),
            _ => (lines.len() - 1, lines.last().map_or(0, Vec::len)),
        };
        let (crow, ccol) = cursor_row(&rows, cursor, cols);
        let height = area.height as usize;
        let top = if self.focused {
            (crow + 1).saturating_sub(height)
        } else {
            0
        };
        let shown: Vec<Line> = rows
            .iter()
            .skip(top)
            .take(height)
            .map(|r| {
                let row: String = lines[r.line][r.start..r.end].iter().collect();
                fit_spans([Span::styled(row, style)], cols)
            })
            .collect();
        Paragraph::new(shown).render(area, buf);
        if self.focused && (top..top + height).contains(&crow) {
            let r = &rows[crow];
            let row = &lines[r.line][r.start..r.end];
            let before: String = row[..ccol.min(row.len())].iter().collect();
            let cx = area.x + (width_of(&before) as u16).min(area.width - 1);
            let cy = area.y + (crow - top) as u16;
            if let Some(c) = buf.cell_mut((cx, cy)) {
                c.set_style(cursor_style);
            }
        }
    }
}
