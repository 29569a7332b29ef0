//! The evaluation off-chain worker's duties on the node's Prometheus endpoint, as
//! `din_worker_duties_total{duty}`: what a validator's worker has done is otherwise visible
//! only in its log. The worker runs in the runtime and cannot reach the registry, so it
//! counts into persistent offchain storage (`din_primitives::OFFCHAIN_WORKER_DUTY_PREFIX`,
//! one SCALE `u64` per duty) and this task copies the counts into counters after every
//! imported block (a block behind the worker run that block starts).

use codec::Decode;
use din_primitives::{OFFCHAIN_WORKER_DUTIES, OFFCHAIN_WORKER_DUTY_PREFIX};
use futures::StreamExt;
use polkadot_sdk::{
	sc_client_api::BlockchainEvents,
	sp_core::offchain::{OffchainStorage, STORAGE_PREFIX},
	sp_runtime::traits::Block as BlockT,
};
use prometheus::{IntCounterVec, Opts, Registry};

/// Registers `din_worker_duties_total` with every duty at zero.
pub fn register(registry: &Registry) -> Result<IntCounterVec, prometheus::Error> {
	let duties = IntCounterVec::new(
		Opts::new(
			"din_worker_duties_total",
			"Votes the evaluation off-chain worker sent, by kind, its uploads a gateway stored, and its failed task runs",
		),
		&["duty"],
	)?;
	registry.register(Box::new(duties.clone()))?;
	for duty in OFFCHAIN_WORKER_DUTIES {
		duties.with_label_values(&[duty]);
	}
	Ok(duties)
}

/// The count of `duty` the worker stored (0 before its first).
fn stored_count(db: &impl OffchainStorage, duty: &str) -> u64 {
	let key = [OFFCHAIN_WORKER_DUTY_PREFIX, duty.as_bytes()].concat();
	db.get(STORAGE_PREFIX, &key)
		.and_then(|bytes| u64::decode(&mut &bytes[..]).ok())
		.unwrap_or(0)
}

/// Copies the worker's counts into `duties` after each imported block, until the node
/// stops.
pub async fn follow<B: BlockT>(
	duties: IntCounterVec,
	db: impl OffchainStorage,
	client: std::sync::Arc<impl BlockchainEvents<B>>,
) {
	let mut imported = client.import_notification_stream();
	while imported.next().await.is_some() {
		for duty in OFFCHAIN_WORKER_DUTIES {
			let counter = duties.with_label_values(&[duty]);
			// The stored count only grows; the counter catches up with it.
			counter.inc_by(stored_count(&db, duty).saturating_sub(counter.get()));
		}
	}
}
