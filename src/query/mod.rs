//! Queries on the cloud-neutral graph: selectors and reachability with witness paths.

mod all;
mod condense;
mod radius;
mod reverse;
mod select;

pub use all::{Summary, summarise_all};
pub use radius::{Radius, Reached, radius, reaches_without};
pub use reverse::{Reacher, paths, who_reaches};
pub use select::{SelectError, select};
