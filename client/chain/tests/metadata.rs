//! The committed `metadata/din.scale` is the metadata of the current din-runtime, so the
//! typed API generated from it matches the chain.
//!
//! Also: the protocol bounds the wrapper mirrors (it refuses over-long arguments before
//! sending them) agree with the runtime's.
//!
//! With `DIN_WRITE_METADATA=1` in the environment this test writes the file instead of
//! checking it; `scripts/gen-metadata.sh` runs it that way.

use std::path::PathBuf;

fn committed_path() -> PathBuf {
	// The package directory of this run (cargo and scripts/test.sh set it), not the one
	// compiled in: a build shared by checkouts at other paths keeps theirs.
	std::env::var_os("CARGO_MANIFEST_DIR")
		.map(std::path::PathBuf::from)
		.unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())
		.join("metadata/din.scale")
}

/// The SCALE-encoded `RuntimeMetadataPrefixed` the native runtime serves through the
/// `Metadata_metadata_at_version` runtime API, computed over empty state. pallet-revive
/// reads storage (the next fee multiplier) to build the default value of its
/// `EthBlockBuilderIR` entry, so a node could serve metadata that differs from this file in
/// that one default (a fresh dev node serves it byte for byte); the typed API never reads
/// that entry, and nothing else depends on state.
fn current_metadata() -> Vec<u8> {
	let metadata = polkadot_sdk::sp_io::TestExternalities::default()
		.execute_with(|| din_runtime::Runtime::metadata_at_version(din_chain::METADATA_VERSION));
	metadata
		.unwrap_or_else(|| {
			panic!(
				"din-runtime does not serve metadata V{}; it serves {:?}",
				din_chain::METADATA_VERSION,
				din_runtime::Runtime::metadata_versions()
			)
		})
		.to_vec()
}

#[test]
fn committed_metadata_is_current() {
	let path = committed_path();
	let current = current_metadata();
	if std::env::var_os("DIN_WRITE_METADATA").is_some() {
		std::fs::write(&path, &current)
			.unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
		eprintln!(
			"wrote {} ({} bytes, metadata V{})",
			path.display(),
			current.len(),
			din_chain::METADATA_VERSION
		);
		return;
	}
	let committed = std::fs::read(&path).unwrap_or_else(|e| {
		panic!("cannot read {}: {e}; run scripts/gen-metadata.sh", path.display())
	});
	assert!(
		committed == current,
		"{} is stale: din-runtime's metadata changed ({} bytes committed, {} now). Run \
		 scripts/gen-metadata.sh, then rebuild: din-chain's typed API is generated from that file.",
		path.display(),
		committed.len(),
		current.len(),
	);
}

#[test]
fn mirrored_bounds_match_the_runtime() {
	use polkadot_sdk::sp_runtime::{traits::Get, BoundedVec};
	fn bound<S: Get<u32>>(_: &BoundedVec<u8, S>) -> usize {
		S::get() as usize
	}

	assert_eq!(din_chain::MAX_CID_LEN, din_primitives::MAX_CID_LEN as usize);
	assert_eq!(din_chain::UNIT, din_primitives::UNIT);
	assert_eq!(
		din_chain::MAX_STORE_PEER_LEN,
		<<din_runtime::Runtime as pallet_din_staking::Config>::MaxStorePeerLen as Get<u32>>::get()
			as usize,
		"the runtime's MaxStorePeerLen"
	);
	let call = pallet_din_evaluation::Call::<din_runtime::Runtime>::submit_score {
		task: 0,
		target: pallet_din_evaluation::ScoreTarget::Baseline,
		correct: 0,
		total: 1,
		proof: Default::default(),
	};
	let pallet_din_evaluation::Call::submit_score { proof, .. } = &call else { unreachable!() };
	assert_eq!(
		din_chain::MAX_PROOF_LEN,
		bound(proof),
		"the proof bound of Evaluation::submit_score"
	);
}

/// The client proves for the statement the pallet checks: `din_chain::score_binding` over
/// the generated target equals `din_primitives::score_binding` over the pallet's.
#[test]
fn the_client_binds_proofs_as_the_pallet_checks_them() {
	use din_chain::{types::ScoreTarget, AccountId32};
	use pallet_din_evaluation::ScoreTarget as PalletTarget;
	use polkadot_sdk::sp_runtime::AccountId32 as RuntimeAccount;

	let (prover, participant) = ([7u8; 32], [9u8; 32]);
	let pallet = |target: PalletTarget<RuntimeAccount>| {
		din_primitives::score_binding(5, &target, &RuntimeAccount::from(prover))
	};
	assert_eq!(
		din_chain::score_binding(5, &ScoreTarget::Baseline, &AccountId32(prover)),
		pallet(PalletTarget::Baseline)
	);
	let client = ScoreTarget::Update { round: 3, participant: AccountId32(participant) };
	assert_eq!(
		din_chain::score_binding(5, &client, &AccountId32(prover)),
		pallet(PalletTarget::Update { round: 3, participant: RuntimeAccount::from(participant) })
	);
	assert_eq!(
		din_chain::score_binding(5, &ScoreTarget::Global { round: 2 }, &AccountId32(prover)),
		pallet(PalletTarget::Global { round: 2 })
	);
}

/// The client commits scores as the pallet opens them: `din_chain::score_commit_hash` over
/// the generated target equals `din_primitives::score_commit_hash` over the pallet's.
#[test]
fn the_client_commits_scores_as_the_pallet_opens_them() {
	use din_chain::{types::ScoreTarget, AccountId32};
	use pallet_din_evaluation::ScoreTarget as PalletTarget;
	use polkadot_sdk::sp_runtime::AccountId32 as RuntimeAccount;

	let (evaluator, participant, salt) = ([7u8; 32], [9u8; 32], [3u8; 32]);
	let pallet = |target: PalletTarget<RuntimeAccount>| {
		let who = RuntimeAccount::from(evaluator);
		din_primitives::score_commit_hash(5, &target, &who, 40, 50, &salt).0
	};
	let client = |target: &ScoreTarget| {
		din_chain::score_commit_hash(5, target, &AccountId32(evaluator), 40, 50, &salt).0
	};
	assert_eq!(client(&ScoreTarget::Baseline), pallet(PalletTarget::Baseline));
	assert_eq!(
		client(&ScoreTarget::Update { round: 3, participant: AccountId32(participant) }),
		pallet(PalletTarget::Update { round: 3, participant: RuntimeAccount::from(participant) })
	);
	assert_eq!(
		client(&ScoreTarget::Global { round: 2 }),
		pallet(PalletTarget::Global { round: 2 })
	);
}
