//! What the runtime-level tests share: externalities on the dev genesis and a valid task
//! spec.

use din_primitives::{AggregationRule, FeeParams, RewardAsset, ScoringRule, UNIT};
use din_runtime::{Runtime, RuntimeGenesisConfig, System};
use pallet_din_tasks::{ModelRef, ModelSpec, PhaseLengths, RewardPool, TaskSpec, TestSetRef};
use polkadot_sdk::{
	frame_support::{genesis_builder_helper::build_state, BoundedVec},
	sp_core::H256,
	sp_io::{self, hashing::sha2_256},
	sp_runtime::Perbill,
};

/// A spec the runtime accepts: one median-scored FedAvg round of 5-block phases, a pool of
/// 1,000 DIN, subgroups of 4. Tests change the fields they are about.
pub fn task_spec() -> TaskSpec<Runtime> {
	let architecture = b"softmax:64:10".to_vec();
	TaskSpec {
		model: ModelSpec {
			hash: H256(sha2_256(&architecture)),
			architecture: BoundedVec::truncate_from(architecture),
		},
		genesis: ModelRef {
			cid: BoundedVec::truncate_from(b"bafy-genesis".to_vec()),
			commitment: H256::repeat_byte(1),
		},
		test_set: TestSetRef {
			commitment: H256::repeat_byte(2),
			encrypted_cid: BoundedVec::truncate_from(b"bafy-test-set".to_vec()),
			key_hash: H256::repeat_byte(3),
		},
		reward: RewardPool { asset: RewardAsset::Native, amount: 1_000 * UNIT },
		rounds: 1,
		phases: PhaseLengths {
			registration: 5,
			training: 5,
			aggregation_commit: 5,
			aggregation_reveal: 5,
			global_commit: 5,
			global_reveal: 5,
			scoring: 5,
			rewarding: 5,
		},
		subgroup_size: 4,
		evaluators_per_subgroup: 3,
		min_participants: 1,
		min_participant_bond: UNIT,
		min_evaluator_bond: 100 * UNIT,
		aggregation: AggregationRule::FedAvg,
		max_samples: 1_000_000,
		scoring: ScoringRule::Median { threshold: Perbill::from_percent(2) },
		fees: FeeParams {
			evaluator_fee: Perbill::from_percent(10),
			protocol_fee: Perbill::from_percent(1),
			baseline_margin: Perbill::from_percent(5),
			slash: Perbill::from_percent(10),
		},
	}
}

/// Externalities holding the development chain's genesis, at block 1.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut ext = sp_io::TestExternalities::new_empty();
	ext.execute_with(|| {
		// The preset reads the address mapping, so it is built inside the externalities. It
		// is a patch over the default config, as the node applies it.
		let patch = din_runtime::genesis_config_presets::get_preset(&"development".into())
			.expect("dev preset");
		let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serializes");
		merge(&mut config, serde_json::from_slice(&patch).expect("the preset is JSON"));
		build_state::<RuntimeGenesisConfig>(config.to_string().into_bytes())
			.expect("dev genesis builds");
		// Events are only kept from block 1 on.
		System::set_block_number(1);
	});
	ext
}

fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(serde_json::Value::Null), value);
			}
		},
		(base, patch) => *base = patch,
	}
}
