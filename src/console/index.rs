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

/// A selection that follows an incident while the list changes around it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cursor {
    pub row: usize,
    pub id: Option<String>,
}

impl Cursor {
    /// Re-finds the selected id after the index changed; if it left, keeps the row.
    pub fn fix(&mut self, index: &SortedIndex) {
        if let Some(id) = &self.id
            && index.get(self.row) != Some(id.as_str())
            && let Some(p) = index.position(id)
        {
            self.row = p;
        }
        self.clamp(index);
    }

    pub fn clamp(&mut self, index: &SortedIndex) {
        self.row = self.row.min(index.len().saturating_sub(1));
        self.id = index.get(self.row).map(str::to_string);
    }

    pub fn set(&mut self, row: usize, index: &SortedIndex) {
        self.row = row;
        self.clamp(index);
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
