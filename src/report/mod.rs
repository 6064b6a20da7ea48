//! Rendering query results. Nothing here decides reachability: it arranges what the query
//! found, one emitter per format.

pub mod json;
pub mod summary;
pub mod table;

pub use summary::RadiusSummary;
