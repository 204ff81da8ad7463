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

#[cfg(test)]
pub(crate) mod figures_tests;
