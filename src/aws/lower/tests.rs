//! Lowering semantics on small hand-built accounts.
