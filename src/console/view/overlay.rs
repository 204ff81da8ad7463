//! Forms and confirmations, drawn over the screen. Key hints come from the keymap.
use super::fmt::{put, width as width_of};
use crate::console::forms::text::{Editor, cursor_row, layout, wrapped_rows};
use crate::console::forms::{Confirm, Field, Form};
use crate::console::intent::Intent;
use crate::console::keymap::Mode;
use crate::console::state::State;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Block, Borders, Clear, Widget};
use ratatui_textarea::CursorMove;

fn popup(area: Rect, height: u16) -> Rect {
    let w = area.width.saturating_sub(4).min(76);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 3,
        w,
        h,
    )
}

fn frame(state: &State, r: Rect, title: &str, buf: &mut Buffer) -> Rect {
    Clear.render(r, buf);
    Block::default()
        .borders(Borders::ALL)
        .title(format!(" {title} "))
        .border_style(state.settings.theme.key)
        .render(r, buf);
    Rect::new(
        r.x + 2,
        r.y + 1,
        r.width.saturating_sub(4),
        r.height.saturating_sub(2),
    )
}

/// "ctrl-s send  tab next field ..." for `mode`, from the keymap.
fn hint_line(
    state: &State,
    mode: Mode,
    actions: &[(Intent, &str)],
    x: u16,
    y: u16,
    right: u16,
    buf: &mut Buffer,
) {
    let t = &state.settings.theme;
    let mut x = x;
    for (action, label) in actions {
        let Some(key) = state.settings.keymap.key_for(mode, *action) else {
            continue;
        };
        let key = key.to_string();
        let need = (key.chars().count() + label.chars().count() + 3) as u16;
        if x + need > right {
            break;
        }
        x = put(buf, x, y, &key, right - x, t.key);
        x = put(buf, x + 1, y, label, right - x - 1, t.dim) + 2;
    }
}

/// Rows each field gets: one for a choice or a one-line field; a multi-line field as many
/// as its wrapped text needs, the focused one first, within `budget` rows in all.
fn field_rows(f: &Form, width: u16, budget: u16) -> Vec<u16> {
    let need: Vec<u16> = f
        .fields
        .iter()
        .map(|field| {
            if field.multiline {
                wrapped_rows(&field.value, width as usize).min(u16::MAX as usize) as u16
            } else {
                1
            }
        })
        .collect();
    let mut rows = vec![1u16; need.len()];
    let mut left = budget.saturating_sub(need.len() as u16);
    let order = std::iter::once(f.focus).chain((0..need.len()).filter(|&i| i != f.focus));
    for i in order {
        let Some(&n) = need.get(i) else { continue };
        let extra = n.saturating_sub(1).min(left);
        rows[i] += extra;
        left -= extra;
    }
    rows
}

/// A text field: a one-line field drawn by its editor (which scrolls it sideways to the
/// cursor); a multi-line field wrapped by [`layout`], the rows a form was sized for, with
/// the editor's cursor on them.
fn render_text(state: &State, field: &Field, focused: bool, area: Rect, buf: &mut Buffer) {
    if field.multiline {
        return render_wrapped(state, field, focused, area, buf);
    }
    let t = &state.settings.theme;
    let mut editor = match &field.editor {
        Some(e) if e.text() == field.value => e.area().clone(),
        _ => Editor::new(&field.value, field.multiline).area().clone(),
    };
    let style = if focused { t.base } else { t.dim.patch(t.base) };
    editor.set_style(style);
    editor.set_cursor_line_style(Style::default());
    if focused {
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

/// A multi-line field wrapped word by word; the focused one scrolls to keep its cursor in
/// view. (The editor's own wrapping starts a continuation row with the break space.)
fn render_wrapped(state: &State, field: &Field, focused: bool, area: Rect, buf: &mut Buffer) {
    let t = &state.settings.theme;
    let style = if focused { t.base } else { t.dim.patch(t.base) };
    let cursor_style = style.add_modifier(Modifier::REVERSED);
    buf.set_style(area, style);
    if area.width == 0 || area.height == 0 {
        return;
    }
    if field.value.is_empty() {
        put(buf, area.x, area.y, &field.hint, area.width, t.dim);
        if focused && let Some(c) = buf.cell_mut((area.x, area.y)) {
            c.set_style(cursor_style);
        }
        return;
    }
    let width = area.width as usize;
    let rows = layout(&field.value, width);
    let lines: Vec<Vec<char>> = field
        .value
        .split('\n')
        .map(|l| l.chars().collect())
        .collect();
    let cursor = match &field.editor {
        Some(e) if e.text() == field.value => e.cursor(),
        _ => (lines.len() - 1, lines.last().map_or(0, Vec::len)),
    };
    let (crow, ccol) = cursor_row(&rows, cursor, width);
    let height = area.height as usize;
    let top = if focused {
        (crow + 1).saturating_sub(height)
    } else {
        0
    };
    for (k, r) in rows.iter().enumerate().skip(top).take(height) {
        let y = area.y + (k - top) as u16;
        let row = &lines[r.line][r.start..r.end];
        put(
            buf,
            area.x,
            y,
            &row.iter().collect::<String>(),
            area.width,
            style,
        );
        if focused && k == crow {
            let before: String = row[..ccol.min(row.len())].iter().collect();
            let cx = area.x + (width_of(&before) as u16).min(area.width - 1);
            if let Some(c) = buf.cell_mut((cx, y)) {
                c.set_style(cursor_style);
            }
        }
    }
}

pub fn render_form(state: &State, f: &Form, area: Rect, buf: &mut Buffer) {
    let t = &state.settings.theme;
    let label_w = f
        .fields
        .iter()
        .map(|f| f.label.chars().count() + 2)
        .max()
        .unwrap_or(10)
        .min(24) as u16;
    // The error is wrapped, never cut: what to fix is often at its end.
    let text_w = popup(area, 1).width.saturating_sub(4) as usize;
    let error: Vec<String> = f
        .error
        .as_deref()
        .map(|e| super::fmt::wrap(e, text_w))
        .unwrap_or_default();
    // Borders, the context line and a blank, a blank and the error lines (one kept even
    // when there is none, so the form does not jump), the key hints.
    let chrome: u16 = 6 + (error.len().max(1) as u16);
    let value_w = popup(area, 1).width.saturating_sub(4 + label_w);
    let rows = field_rows(f, value_w, area.height.saturating_sub(chrome));
    let r = popup(area, rows.iter().sum::<u16>() + chrome);
    let inner = frame(state, r, &f.title(), buf);
    let right = inner.right();
    let mut y = inner.y;
    put(buf, inner.x, y, &f.context, inner.width, t.dim);
    y += 2;
    for (i, (field, &h)) in f.fields.iter().zip(&rows).enumerate() {
        if y >= inner.bottom() {
            break;
        }
        let focused = i == f.focus;
        let marker = if focused { "›" } else { " " };
        put(buf, inner.x.saturating_sub(1), y, marker, 1, t.key);
        let req = if f.requires(field) { "*" } else { "" };
        let label = format!("{}{req}", field.label);
        put(
            buf,
            inner.x,
            y,
            &label,
            label_w,
            if focused { t.title } else { t.base },
        );
        let vx = inner.x + label_w;
        let vw = right.saturating_sub(vx);
        if field.is_choice() {
            let mut x = vx;
            for c in &field.choices {
                let chosen = *c == field.value;
                let text = if chosen {
                    format!("[{c}]")
                } else {
                    format!(" {c} ")
                };
                let style = if chosen {
                    if focused { t.selected } else { t.title }
                } else {
                    t.dim
                };
                x = put(buf, x, y, &text, right.saturating_sub(x), style) + 1;
            }
        } else if field.value.is_empty() && !focused {
            put(buf, vx, y, &field.hint, vw, t.dim);
        } else {
            let h = h.min(inner.bottom().saturating_sub(y));
            render_text(state, field, focused, Rect::new(vx, y, vw, h), buf);
        }
        y += h;
    }
    y += 1;
    let hy = inner.bottom().saturating_sub(1);
    for (y, line) in (y..hy).zip(&error) {
        put(buf, inner.x, y, line, inner.width, t.error);
    }
    hint_line(
        state,
        Mode::Form,
        &[
            (Intent::Send, "send"),
            (Intent::NextField, "next"),
            (Intent::PrevField, "prev"),
            (Intent::ChoiceNext, "choice"),
            (Intent::Cancel, "close, keep draft"),
        ],
        inner.x,
        hy,
        right,
        buf,
    );
}

pub fn render_confirm(state: &State, c: &Confirm, area: Rect, buf: &mut Buffer) {
    let t = &state.settings.theme;
    // Warnings are wrapped, never cut: the reason for a refusal is usually at the end.
    let text_w = popup(area, 0).width.saturating_sub(4) as usize;
    let lines: Vec<String> = c
        .lines
        .iter()
        .flat_map(|l| super::fmt::wrap(l, text_w))
        .collect();
    let r = popup(area, lines.len() as u16 + 5);
    let inner = frame(state, r, &c.title, buf);
    for (y, line) in (inner.y..).zip(lines.iter()) {
        if y + 1 >= inner.bottom() {
            break;
        }
        put(buf, inner.x, y, line, inner.width, t.base);
    }
    hint_line(
        state,
        Mode::Confirm,
        &[(Intent::Confirm, c.yes), (Intent::Cancel, c.no)],
        inner.x,
        inner.bottom().saturating_sub(1),
        inner.right(),
        buf,
    );
}
