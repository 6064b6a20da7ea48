//! The cloud-neutral typed graph every source lowers into and every query runs on.
//!
//! Nothing here knows about AWS, GCP or Azure: nodes carry their provider's native id as an
//! opaque string, and edges carry the evidence the lowering stage recorded.

pub(crate) mod compact;
mod edge;
mod node;
mod store;

pub use compact::{Compact, Step};
pub use edge::{
    Citation, Edge, EdgeKind, Evidence, List, Reach, RecordRef, StatementRef, Text, Undecided,
};
pub use node::{Attrs, Node, NodeKind};
pub use store::{EdgeId, EdgeSink, EdgeView, Graph, Journal, NodeId, NodeKeys, Slot};
