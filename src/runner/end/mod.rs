//! How a run ends: its outcome decided from the events and the exit, the kind of a failure,
//! a log read after the fact, what a full-access task left, and telling someone it ended.

pub(super) mod failure;
pub(super) mod failure_rows;
pub(super) mod findings;
pub(super) mod notify;
pub(super) mod outcome;
pub(super) mod scan;
