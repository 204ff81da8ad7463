//! sitrep: a terminal incident console and the incident API it talks to.
pub mod domain;
pub mod paths;
pub mod server;
