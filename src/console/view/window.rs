//! The visible window of a long scrolled list: only its rows are built each frame, so the
//! cost of a frame follows the screen's height, not the number of incidents.
use ratatui::widgets::TableState;

/// The first row shown when `rows` fit and `selected` must be on screen: the window moves
/// only when the selection leaves it at the bottom.
pub fn first_shown(selected: usize, rows: usize) -> usize {
    if selected >= rows {
        selected + 1 - rows
    } else {
        0
    }
}

/// A table state for the window starting at `first`: the highlight, if the highlighted
/// row is in it, counted from the window's top (the rows handed to `Table` are the window).
pub fn table_state(highlighted: Option<usize>, first: usize, rows: usize) -> TableState {
    let inside = highlighted
        .filter(|h| (first..first + rows).contains(h))
        .map(|h| h - first);
    TableState::default().with_selected(inside)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_follows_the_selection_down_and_keeps_the_highlight_inside() {
        assert_eq!(first_shown(0, 10), 0);
        assert_eq!(first_shown(9, 10), 0);
        assert_eq!(first_shown(10, 10), 1);
        assert_eq!(first_shown(9_999, 20), 9_980);
        assert_eq!(table_state(Some(9_999), 9_980, 20).selected(), Some(19));
        assert_eq!(table_state(Some(3), 9_980, 20).selected(), None);
        assert_eq!(table_state(None, 0, 20).selected(), None);
    }
}
