//! The terminal console (`sitrep` with no subcommand), in The Elm Architecture:
//! terminal events, live API events and the clock become [`Msg`]s; [`update`] changes
//! [`State`] and returns [`Effect`]s that tasks run; views render `&State` when it changed.
pub mod app;
mod apply;
pub mod clipboard;
pub mod closed;
pub mod config;
pub mod detail;
pub mod display;
pub mod drafts_file;
pub mod editing;
pub mod effects;
pub mod filter;
pub mod forms;
pub mod index;
pub mod intent;
pub mod keymap;
pub mod msg;
pub mod paste;
pub mod roles;
pub mod session;
pub mod state;
pub mod term;
#[doc(hidden)]
#[cfg(any(test, feature = "testdata"))]
pub mod testdata;
pub mod theme;
pub mod triage;
pub mod update;
pub mod view;
pub mod wall;

pub use app::{RunOptions, run};
pub use intent::{Intent, Msg};
pub use state::State;
pub use update::{Effect, update};
