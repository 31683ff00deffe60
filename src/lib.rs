//! sphere: compliance checks for social CRM, as Datalog rules with derivations back to the law.
//!
//! This crate is the application: the command line (the only place that prints) and the
//! layers that join the engine (`sphere-engine`) with the company model (`sphere-model`).

pub mod cli;
#[cfg(feature = "crepe")]
pub mod crepe_engine;
pub mod digest;
pub mod explain;
pub mod export;
pub mod files;
pub mod findings;
pub mod kb;
pub mod kbtest;
pub mod sarif;
pub mod session;
