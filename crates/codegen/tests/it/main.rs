//! The code generator's tests, one binary: the committed generated code is current (the
//! compiled knowledge base and the exported crepe crate), and the runtime written into every
//! crepe crate computes what sphere computes.

mod crepe;
mod crepe_runtime;
mod generated;
