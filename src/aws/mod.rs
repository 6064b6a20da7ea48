//! Amazon Web Services: the snapshot's AWS files, IAM policy semantics, and lowering into the
//! graph.

pub mod audit;
pub mod authz;
pub mod can;
pub mod hints;
pub mod indexes;
pub mod inventories;
pub mod inventory;
pub mod load;
pub mod lower;
pub mod model;
pub mod organization;
pub mod policy;
pub mod principal;
pub mod revoke;
pub mod whatif;
pub mod whocan;
