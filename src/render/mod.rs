//! Renderers: typed results in, text out. One module per format: [`text`], [`json`]
//! (`sphere-findings/1`), [`markdown`], [`sarif`], [`dot`], [`gate`] (the gate's answer); [`kb`] writes the knowledge
//! base's catalogue, lints and rule-test reports. One renderer per tree format: text, JSON
//! and DOT each write [`crate::Derivation`] in one place.
//!
//! Invariant: renderers return strings; they never print and never evaluate.

pub mod dot;
pub mod gate;
pub mod json;
pub mod kb;
pub mod markdown;
pub mod sarif;
pub mod text;
