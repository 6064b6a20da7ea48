//! Rendering query results. Nothing here decides reachability: it arranges what the query
//! found, one emitter per format.

pub mod audit;
pub mod dot;
pub mod json;
pub mod plan;
pub mod summary;
pub mod table;

pub use summary::RadiusSummary;

/// A `can` decision with the request it answers.
pub struct CanView<'a> {
    pub principal: &'a str,
    pub action: &'a str,
    pub resource: &'a str,
    pub decision: &'a crate::aws::authz::Decision,
}
