//! Following the chain block by block: the heartbeat of the daemons.
//!
//! A daemon reacts to the task's phase at each new best block. Polling the best head
//! (rather than a subscription) makes a dropped connection just a failed poll: the next
//! one reconnects nothing and loses nothing, and a daemon started late simply acts on the
//! current phase.

use std::time::Duration;

use din_chain::Chain;

/// Yields each new best block number (skipping none that it sees, but not replaying
/// blocks it slept through: the daemons act on current state, not on history).
pub struct Follower {
	last: Option<u64>,
	interval: Duration,
}

impl Follower {
	/// Polls every `interval`.
	pub fn new(interval: Duration) -> Self {
		Self { last: None, interval }
	}

	/// Waits for a block newer than the last one returned. Poll errors are logged and
	/// retried (the node may be restarting).
	pub async fn next(&mut self, chain: &Chain) -> u64 {
		loop {
			match chain.head().await {
				Ok((number, _)) if self.last.is_none_or(|last| number > last) => {
					self.last = Some(number);
					return number;
				},
				Ok(_) => {},
				Err(error) => {
					tracing::warn!(target: "din", "polling the best block failed: {error}")
				},
			}
			tokio::time::sleep(self.interval).await;
		}
	}
}

/// Whether the current phase of `info` (the task as of best block `block`) ends in the next
/// block. A phase's end runs in `on_initialize`, before any transaction of that block, so
/// from this block on the phase takes no more submissions and its outcome is what this
/// block's state shows. The daemons act on it a block early, where the outcome is theirs to
/// compute exactly, and their transactions land in the first block of the next phase
/// instead of the second:
/// - Training: participants publish their withheld updates; evaluators commit the
///   aggregate of a subgroup that needs no commitment sample yet
///   ([`training_ends_next`]);
/// - AggregationReveal: participants train the next round from the global model of the
///   subgroups' majorities ([`crate::common::global_model_of`]); in the last round,
///   evaluators commit that model.
///
/// A phase whose end is held for a settlement in slices takes such a transaction before it
/// moves on; the call is refused and the daemon does its duty again in the next phase.
pub fn ends_next(info: &din_chain::types::TaskInfo, block: u64) -> bool {
	u64::from(info.phase_ends) <= block.saturating_add(1)
}

/// Whether `info` is in Training and it ends in the next block ([`ends_next`]).
pub fn training_ends_next(info: &din_chain::types::TaskInfo, block: u64) -> bool {
	info.phase == din_chain::types::TaskPhase::Training && ends_next(info, block)
}
