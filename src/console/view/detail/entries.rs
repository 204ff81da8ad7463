//! A tab's body: a loadable list drawn from the scrolled-to item down, only as many items
//! as fit. A timeline can be thousands of entries long; wrapping them all each frame to
//! scroll a `Paragraph` by rows would cost what the render budget cannot spare, so the
//! scroll counts items and only the visible ones are wrapped.
use super::super::fmt::{fit_spans, wrap_hanging};
use crate::console::state::Loadable;
use crate::console::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

pub struct Entries<'a, T, F> {
    pub theme: &'a Theme,
    pub items: &'a Loadable<Vec<T>>,
    /// The first item shown, counted from the newest when `newest_first`.
    pub scroll: usize,
    pub newest_first: bool,
    /// An item's lines, before wrapping.
    pub rows: F,
}

impl<T, F: Fn(&T) -> Vec<String>> Widget for Entries<'_, T, F> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        // A line of its own: a list's state, or the marker for what is below the fold.
        let one = |row: Rect, text: String, style: Style, buf: &mut Buffer| {
            fit_spans([Span::styled(text, style)], row.width as usize).render(row, buf)
        };
        let items = match self.items {
            Loadable::Loading => return one(area, "Loading…".into(), t.dim, buf),
            Loadable::Unavailable(why) => return one(area, why.clone(), t.dim, buf),
            Loadable::Failed(e) => return one(area, format!("Could not load: {e}"), t.error, buf),
            Loadable::Ready(v) if v.is_empty() => return one(area, "None.".into(), t.dim, buf),
            Loadable::Ready(v) => v,
        };
        let order: Box<dyn Iterator<Item = &T>> = if self.newest_first {
            Box::new(items.iter().rev())
        } else {
            Box::new(items.iter())
        };
        let width = area.width as usize;
        let height = area.height as usize;
        let mut lines: Vec<Line> = Vec::with_capacity(height);
        let mut below = None;
        for (i, item) in order.enumerate().skip(self.scroll) {
            // Each item's rows, wrapped; continuation rows indent under the text.
            let mut rows = Vec::new();
            for line in (self.rows)(item) {
                let indent = line.len() - line.trim_start().len();
                rows.extend(wrap_hanging(&line, width, indent + 2));
            }
            // Leave the last row for the marker unless this item is the last.
            let last = i + 1 == items.len();
            let room = height - lines.len();
            if rows.len() > room || (!last && rows.len() == room) {
                below = Some(items.len() - i);
                break;
            }
            for (k, row) in rows.into_iter().enumerate() {
                // The item scrolled to stands out, so a scroll reads as moving.
                let style = if i == self.scroll && k == 0 && self.scroll > 0 {
                    t.title
                } else {
                    t.base
                };
                lines.push(fit_spans([Span::styled(row, style)], width));
            }
        }
        Paragraph::new(lines).render(area, buf);
        if let Some(below) = below
            && area.height > 0
        {
            let mark = if self.newest_first {
                format!("↓ {below} older below (j to scroll)")
            } else {
                format!("↓ {below} more below (j to scroll)")
            };
            let last = Rect {
                y: area.bottom() - 1,
                height: 1,
                ..area
            };
            one(last, mark, t.dim, buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::theme::Theme;

    fn draw(items: &Loadable<Vec<String>>, scroll: usize, w: u16, h: u16) -> Buffer {
        let theme = Theme::color();
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        Entries {
            theme: &theme,
            items,
            scroll,
            newest_first: true,
            rows: |s: &String| vec![s.clone()],
        }
        .render(buf.area, &mut buf);
        buf
    }

    fn row(buf: &Buffer, y: u16) -> String {
        (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
    }

    #[test]
    fn a_long_list_shows_the_newest_first_and_says_how_many_are_below() {
        let items = Loadable::Ready((0..10_000).map(|i| format!("entry {i}")).collect());
        let buf = draw(&items, 0, 30, 4);
        assert_eq!(row(&buf, 0).trim_end(), "entry 9999");
        assert_eq!(row(&buf, 2).trim_end(), "entry 9997");
        assert_eq!(row(&buf, 3), "↓ 9997 older below (j to scro…");
        // Scrolled: the item scrolled to stands out.
        let buf = draw(&items, 5, 30, 4);
        assert_eq!(row(&buf, 0).trim_end(), "entry 9994");
        let title = Theme::color().title;
        assert_eq!(buf[(0, 0)].style().add_modifier, title.add_modifier);
        assert_ne!(buf[(0, 1)].style().add_modifier, title.add_modifier);
    }

    #[test]
    fn a_long_entry_wraps_under_itself_and_a_cut_row_ends_in_an_ellipsis() {
        let items = Loadable::Ready(vec!["09:30  Cara  phase: triage → containment".to_string()]);
        let buf = draw(&items, 0, 24, 3);
        assert_eq!(row(&buf, 0).trim_end(), "09:30  Cara  phase:");
        assert_eq!(row(&buf, 1).trim_end(), "  triage → containment");
        let line = fit_spans([Span::raw("SEV1 "), Span::raw("Payments API down")], 12);
        assert_eq!(line.to_string(), "SEV1 Paymen…");
    }
}
