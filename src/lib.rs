//! sitrep: a terminal incident console and the incident API it talks to.
pub mod audit;
pub mod backups;
pub mod client;
pub mod console;
pub mod demo;
pub mod domain;
pub mod launch;
pub mod pagerduty;
pub mod paths;
pub mod protocol;
pub mod report;
pub mod review;
pub mod sanitize;
pub mod script;
pub mod server;
pub mod webhooks;
