//! The company model (see docs/model.md).
