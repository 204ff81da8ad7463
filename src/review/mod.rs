//! The quarterly review and the evidence an auditor asks for: one set of figures
//! ([`figures`]) computed from incidents' timelines, drawn by the console's review view and
//! written by `sitrep evidence`.
pub mod cli;
pub mod evidence;
pub mod figures;
pub mod sample;
pub mod targets;

pub use figures::{Period, PeriodFigures, Record};
pub use targets::Targets;

/// The longest period a review or an evidence export covers (five years): the figures have a
/// row per week, so an unbounded period is megabytes of output from one mistyped year.
pub const MAX_PERIOD_DAYS: u32 = 1830;

#[cfg(test)]
pub(crate) mod figures_tests;
