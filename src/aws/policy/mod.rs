//! The IAM policy language: parsing, wildcard patterns, conditions and request evaluation.

pub mod condition;
pub mod context;
pub mod document;
pub mod eval;
pub mod pattern;
pub mod shape;
pub mod tri;
pub mod variables;

pub use context::{Context, KeyState};
pub use document::{Actions, Effect, Policy, PolicyError, PolicySource, Resources, Statement};
pub use eval::{Caller, Grant, Hit, Request, Verdict, evaluate, statement_ref};
pub use tri::Tri;
