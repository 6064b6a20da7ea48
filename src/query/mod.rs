//! Queries on the cloud-neutral graph: selectors and reachability with witness paths.

mod radius;
mod select;

pub use radius::{Radius, Reached, radius};
pub use select::{SelectError, select};
