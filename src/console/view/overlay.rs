//! Forms and confirmations, drawn over the screen in a cleared, framed popup. Key hints
//! come from the keymap.
mod field;

use super::fmt::{fit_spans, wrap};
use crate::console::forms::text::wrapped_rows;
use crate::console::forms::{Confirm, Form};
use crate::console::intent::Intent;
use crate::console::keymap::Mode;
use crate::console::state::State;
use crate::console::theme::Theme;
use field::TextField;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph, Widget};

pub fn render_form(state: &State, f: &Form, area: Rect, buf: &mut Buffer) {
    FormView { state, form: f }.render(area, buf);
}

pub fn render_confirm(state: &State, c: &Confirm, area: Rect, buf: &mut Buffer) {
    ConfirmView { state, confirm: c }.render(area, buf);
}

/// Where a popup of `height` rows goes: centred across, a third of the way down (the eye
/// lands there first), at most 76 columns wide.
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

/// Clears `r` (the screen below must not show through), frames it with `title`, and
/// returns the inside, a column of padding on each side.
fn frame(t: &Theme, r: Rect, title: &str, buf: &mut Buffer) -> Rect {
    Clear.render(r, buf);
    let block = Block::bordered()
        .title(format!(" {title} "))
        .border_style(t.key)
        .padding(Padding::horizontal(1));
    let inner = block.inner(r);
    block.render(r, buf);
    inner
}

/// "ctrl-s send  tab next field ..." for `mode`, from the keymap: as many as fit whole in
/// `cols` columns.
fn hints<'a>(state: &State, mode: Mode, intents: &[(Intent, &'a str)], cols: u16) -> Line<'a> {
    let t = &state.settings.theme;
    let mut spans = Vec::new();
    let mut used = 0u16;
    for (intent, label) in intents {
        let Some(key) = state.settings.keymap.key_for(mode, *intent) else {
            continue;
        };
        let key = key.to_string();
        let need = (key.chars().count() + label.chars().count() + 3) as u16;
        if used + need > cols {
            break;
        }
        used += need;
        spans.extend([
            Span::styled(key, t.key),
            Span::raw(" "),
            Span::styled(*label, t.dim),
            Span::raw("  "),
        ]);
    }
    Line::from(spans)
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

/// A form: its context, a row (or more) per field with the focused one marked, its error
/// and its key hints.
pub struct FormView<'a> {
    state: &'a State,
    form: &'a Form,
}

impl FormView<'_> {
    /// One field's label and value on `row` (its first row; a multi-line value takes all).
    fn field(&self, i: usize, label_w: u16, row: Rect, buf: &mut Buffer) {
        let (t, f) = (&self.state.settings.theme, self.form);
        let field = &f.fields[i];
        let focused = i == f.focus;
        if row.x > 0 {
            // In the popup's padding column, so the labels stay aligned.
            let marker = if focused { "›" } else { " " };
            Span::styled(marker, t.key).render(Rect::new(row.x - 1, row.y, 1, 1), buf);
        }
        let [label_area, value] =
            Layout::horizontal([Constraint::Length(label_w), Constraint::Min(0)]).areas(row);
        let req = if f.requires(field) { "*" } else { "" };
        let label_style = if focused { t.title } else { t.base };
        fit_spans(
            [Span::styled(format!("{}{req}", field.label), label_style)],
            label_w as usize,
        )
        .render(label_area, buf);
        let cols = value.width as usize;
        if field.is_choice() {
            let choices = field.choices.iter().flat_map(|c| {
                let chosen = *c == field.value;
                let (text, style) = match (chosen, focused) {
                    (true, true) => (format!("[{c}]"), t.selected),
                    (true, false) => (format!("[{c}]"), t.title),
                    (false, _) => (format!(" {c} "), t.dim),
                };
                [Span::styled(text, style), Span::raw(" ")]
            });
            fit_spans(choices, cols).render(value, buf);
        } else if field.value.is_empty() && !focused {
            fit_spans([Span::styled(field.hint.as_str(), t.dim)], cols).render(value, buf);
        } else {
            TextField {
                theme: t,
                field,
                focused,
            }
            .render(value, buf);
        }
    }
}

impl Widget for FormView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (t, f) = (&self.state.settings.theme, self.form);
        let label_w = f
            .fields
            .iter()
            .map(|f| f.label.chars().count() + 2)
            .max()
            .unwrap_or(10)
            .min(24) as u16;
        // The error is wrapped, never cut: what to fix is often at its end.
        let text_w = popup(area, 1).width.saturating_sub(4);
        let error: Vec<String> = f
            .error
            .as_deref()
            .map(|e| wrap(e, text_w as usize))
            .unwrap_or_default();
        // Borders, the context line and a blank, a blank and the error lines (one kept even
        // when there is none, so the form does not jump), the key hints.
        let chrome: u16 = 6 + (error.len().max(1) as u16);
        let value_w = text_w.saturating_sub(label_w);
        let rows = field_rows(f, value_w, area.height.saturating_sub(chrome));
        let r = popup(area, rows.iter().sum::<u16>() + chrome);
        let inner = frame(t, r, &f.title(), buf);
        let [context, _, body, hint_row] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(inner);
        fit_spans(
            [Span::styled(f.context.as_str(), t.dim)],
            inner.width as usize,
        )
        .render(context, buf);
        let mut y = body.y;
        for (i, &h) in rows.iter().enumerate() {
            if y >= body.bottom() {
                break;
            }
            let h = h.min(body.bottom() - y);
            self.field(i, label_w, Rect::new(body.x, y, body.width, h), buf);
            y += h;
        }
        // The error below the fields, after a blank row.
        let below = Rect::new(
            body.x,
            y + 1,
            body.width,
            body.bottom().saturating_sub(y + 1),
        );
        let error: Vec<Line> = error
            .into_iter()
            .map(|l| fit_spans([Span::styled(l, t.error)], inner.width as usize))
            .collect();
        Paragraph::new(error).render(below, buf);
        hints(
            self.state,
            Mode::Form,
            &[
                (Intent::Send, "send"),
                (Intent::NextField, "next"),
                (Intent::PrevField, "prev"),
                (Intent::ChoiceNext, "choice"),
                (Intent::Cancel, "close, keep draft"),
            ],
            hint_row.width,
        )
        .render(hint_row, buf);
    }
}

/// A confirmation: its warnings, wrapped, and the keys that confirm or cancel.
pub struct ConfirmView<'a> {
    state: &'a State,
    confirm: &'a Confirm,
}

impl Widget for ConfirmView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (t, c) = (&self.state.settings.theme, self.confirm);
        // Warnings are wrapped, never cut: the reason for a refusal is usually at the end.
        // Wrapped here, not by the paragraph, because the popup's height is their count.
        let text_w = popup(area, 0).width.saturating_sub(4) as usize;
        let lines: Vec<Line> = c
            .lines
            .iter()
            .flat_map(|l| wrap(l, text_w))
            .map(|l| fit_spans([Span::styled(l, t.base)], text_w))
            .collect();
        let r = popup(area, lines.len() as u16 + 5);
        let inner = frame(t, r, &c.title, buf);
        let [text, hint_row] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(inner);
        Paragraph::new(lines).render(text, buf);
        hints(
            self.state,
            Mode::Confirm,
            &[(Intent::Confirm, c.yes), (Intent::Cancel, c.no)],
            hint_row.width,
        )
        .render(hint_row, buf);
    }
}
