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
