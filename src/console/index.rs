//! Sorted id lists kept up to date one change at a time, so applying a live event costs a
//! binary search and a memmove instead of re-sorting thousands of incidents.
use crate::domain::Incident;
use std::cmp::Ordering;
use std::collections::HashMap;

pub type Incidents = HashMap<String, Incident>;

#[derive(Debug, Clone, Default)]
pub struct SortedIndex {
    ids: Vec<String>,
}

impl SortedIndex {
    /// Builds from scratch; `cmp` must be a total order (break ties on the id).
    pub fn build<'a>(
        items: impl Iterator<Item = &'a Incident>,
        cmp: impl Fn(&Incident, &Incident) -> Ordering,
    ) -> Self {
        let mut refs: Vec<&Incident> = items.collect();
        refs.sort_unstable_by(|a, b| cmp(a, b));
        SortedIndex {
            ids: refs.into_iter().map(|i| i.id.clone()).collect(),
        }
    }

    /// An index of ids already in order.
    pub fn from_ids(ids: Vec<String>) -> Self {
        SortedIndex { ids }
    }

    /// Removes `old`, which must still be the version in `map` the index was sorted with.
    pub fn remove(
        &mut self,
        old: &Incident,
        map: &Incidents,
        cmp: impl Fn(&Incident, &Incident) -> Ordering,
    ) {
        let found = self
            .ids
            .binary_search_by(|id| map.get(id).map_or(Ordering::Less, |i| cmp(i, old)));
        match found {
            Ok(pos) => {
                self.ids.remove(pos);
            }
            // Only reachable if the index and map disagree; stay correct, if slower.
            Err(_) => self.ids.retain(|id| id != &old.id),
        }
    }

    pub fn insert(
        &mut self,
        new: &Incident,
        map: &Incidents,
        cmp: impl Fn(&Incident, &Incident) -> Ordering,
    ) {
        let pos = self
            .ids
            .partition_point(|id| map.get(id).is_some_and(|i| cmp(i, new) == Ordering::Less));
        self.ids.insert(pos, new.id.clone());
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn get(&self, pos: usize) -> Option<&str> {
        self.ids.get(pos).map(String::as_str)
    }

    pub fn position(&self, id: &str) -> Option<usize> {
        self.ids.iter().position(|x| x == id)
    }

    pub fn ids(&self) -> &[String] {
        &self.ids
    }
}

/// A selection that is an incident, not a position: it follows its id while the list
/// changes around it. When the incident leaves the list (closed, filtered out) nothing is
/// selected, rather than whatever slid into its row; `gone` remembers it, so it is selected
/// again if it comes back, and `row` stays only as where the next j/k starts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cursor {
    pub row: usize,
    pub id: Option<String>,
    /// The selected incident while it is out of this list.
    pub gone: Option<String>,
}

impl Cursor {
    /// Re-finds the selection after the index changed. Returns the id of an incident that
    /// has just left the list (it was selected, now nothing is).
    pub fn fix(&mut self, index: &SortedIndex) -> Option<String> {
        if let Some(id) = self.id.clone().or_else(|| self.gone.clone()) {
            return match index.position(&id) {
                Some(p) => {
                    self.row = p;
                    self.id = Some(id);
                    self.gone = None;
                    None
                }
                None => {
                    let left = self.id.take();
                    self.gone = Some(id);
                    self.row = self.row.min(index.len().saturating_sub(1));
                    left
                }
            };
        }
        // Never selected yet (first load): the first card.
        self.clamp(index);
        None
    }

    pub fn clamp(&mut self, index: &SortedIndex) {
        self.row = self.row.min(index.len().saturating_sub(1));
        self.id = index.get(self.row).map(str::to_string);
        self.gone = None;
    }

    /// The user moved the selection to a row.
    pub fn set(&mut self, row: usize, index: &SortedIndex) {
        self.row = row;
        self.clamp(index);
    }

    /// Selects an incident by id; false (and nothing changes) when it is not in the list.
    pub fn select(&mut self, id: &str, index: &SortedIndex) -> bool {
        match index.position(id) {
            Some(p) => {
                self.row = p;
                self.id = Some(id.to_string());
                self.gone = None;
                true
            }
            None => false,
        }
    }

    /// The highlighted row, if anything is selected.
    pub fn selected_row(&self) -> Option<usize> {
        self.id.as_ref().map(|_| self.row)
    }
}

/// `INC-42` → 42, so INC-9 sorts before INC-10.
pub fn id_number(id: &str) -> u64 {
    id.rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX)
}

pub fn by_id(a: &Incident, b: &Incident) -> Ordering {
    id_number(&a.id)
        .cmp(&id_number(&b.id))
        .then_with(|| a.id.cmp(&b.id))
}

/// The board's order: most severe first, then the longest-running first.
pub fn board_order(a: &Incident, b: &Incident) -> Ordering {
    a.severity
        .cmp(&b.severity)
        .then(a.created_at.cmp(&b.created_at))
        .then_with(|| by_id(a, b))
}
