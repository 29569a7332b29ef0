//! A whole task on the real runtime, with every DIN pallet's `try_state` after each block.
//!
//! The pallets' own tests check their invariants at the end of each test, on mocks that run
//! only some hooks. Here every block is opened through `Executive::initialize_block` (all
//! hooks, the runtime's real bounds, hold reasons and weights), and the escrow, stake,
//! panel and settlement invariants are checked after each one: two rounds served by honest
//! panels, then an owner who withholds the test-set key, so the settlement is the one that
//! pays the participants in the owner's stead, spread over blocks by the sliced payout.

mod common;

use common::{account, assert_invariants, new_test_ext, open_block, task_spec};
use din_primitives::{RewardAsset, Role, TaskPhase, UNIT};
use din_runtime::{
	genesis_config_presets::{DEV_STABLECOIN, DEV_STABLECOIN_UNIT},
	Balances, Evaluation, Runtime, RuntimeEvent, RuntimeOrigin, Staking, System,
};
use pallet_din_evaluation::{Panels, RoundEvaluators};
use pallet_din_tasks::{Tasks, Updates};
use polkadot_sdk::{
	frame_support::{
		traits::{fungible::Inspect, fungibles},
		BoundedVec,
	},
	sp_core::H256,
	sp_keyring::Sr25519Keyring,
	sp_runtime::AccountId32,
};
use std::collections::BTreeSet;

const SALT: [u8; 32] = [7; 32];
const PARTICIPANTS: u32 = 8;
/// Far more blocks than two rounds of 5-block phases and the settlement slices take.
const LAST_BLOCK: u32 = 200;

fn cid(bytes: &[u8]) -> din_primitives::Cid {
	BoundedVec::truncate_from(bytes.to_vec())
}

/// What every honest panel member of `subgroup` agrees on in `round`.
fn aggregate_of(round: u32, subgroup: u32) -> H256 {
	H256::from_low_u64_be(0x1000 + u64::from(round) * 64 + u64::from(subgroup))
}

fn global_of(round: u32) -> H256 {
	H256::from_low_u64_be(0x2000 + u64::from(round))
}

/// The honest vote on the global model of the round before `round`, while it is open.
fn pipelined_vote(task: din_primitives::TaskId, round: u32) -> Option<din_primitives::ModelRef> {
	Evaluation::open_global_vote(task, round).map(|voted| din_primitives::ModelRef {
		cid: cid(b"bafy-global"),
		commitment: global_of(voted),
	})
}

/// Does, once each, what an honest party does in `phase` of `round`: participants submit,
/// panels commit and reveal the same aggregate (with the same vote on the previous round's
/// global model), the last round's evaluators the same global model.
fn serve(
	task: din_primitives::TaskId,
	round: u32,
	phase: TaskPhase,
	participants: &[AccountId32],
	done: &mut BTreeSet<Vec<u8>>,
) {
	let mut once = |who: &AccountId32, what: &[u8]| {
		done.insert(
			[AsRef::<[u8]>::as_ref(who), &round.to_le_bytes()[..], &[phase as u8][..], what]
				.concat(),
		)
	};
	let panels: Vec<(u32, Vec<AccountId32>)> = Panels::<Runtime>::iter_prefix(task)
		.filter(|((r, _), _)| *r == round)
		.map(|((_, subgroup), panel)| (subgroup, panel.into_inner()))
		.collect();
	let signed = |who: &AccountId32| RuntimeOrigin::signed(who.clone());
	match phase {
		TaskPhase::Training => {
			for (i, who) in participants.iter().enumerate() {
				if once(who, b"") {
					din_runtime::Tasks::submit_update(
						signed(who),
						task,
						round,
						cid(b"bafy-update"),
						H256::from_low_u64_be(0x100 * u64::from(round + 1) + i as u64),
						100,
					)
					.expect("an assigned participant submits in training");
				}
			}
		},
		TaskPhase::AggregationCommit => {
			for (subgroup, panel) in &panels {
				for who in panel {
					if once(who, &subgroup.to_le_bytes()) {
						let mut hash = din_primitives::aggregate_commit_hash(
							task,
							round,
							*subgroup,
							who,
							b"bafy-aggregate",
							&aggregate_of(round, *subgroup),
							&[],
							&SALT,
						);
						if Evaluation::open_global_vote(task, round).is_some() {
							let vote = pipelined_vote(task, round);
							hash = din_primitives::pipelined_commit_hash(
								&hash,
								vote.as_ref().map(|m| (&m.cid[..], &m.commitment)),
							);
						}
						Evaluation::commit_aggregate(signed(who), task, round, *subgroup, hash)
							.expect("a panel member commits");
					}
				}
			}
		},
		TaskPhase::AggregationReveal => {
			for (subgroup, panel) in &panels {
				for who in panel {
					if once(who, &subgroup.to_le_bytes()) {
						Evaluation::reveal_aggregate(
							signed(who),
							task,
							round,
							*subgroup,
							cid(b"bafy-aggregate"),
							aggregate_of(round, *subgroup),
							BoundedVec::new(),
							SALT,
							pipelined_vote(task, round),
						)
						.expect("a panel member reveals what it committed");
					}
				}
			}
		},
		TaskPhase::GlobalCommit => {
			for (who, _) in RoundEvaluators::<Runtime>::get(task, round) {
				if once(&who, b"") {
					let hash = din_primitives::global_commit_hash(
						task,
						round,
						&who,
						b"bafy-global",
						&global_of(round),
						&SALT,
					);
					Evaluation::commit_global(signed(&who), task, round, hash)
						.expect("a round evaluator commits");
				}
			}
		},
		TaskPhase::GlobalReveal => {
			for (who, _) in RoundEvaluators::<Runtime>::get(task, round) {
				if once(&who, b"") {
					Evaluation::reveal_global(
						signed(&who),
						task,
						round,
						cid(b"bafy-global"),
						global_of(round),
						SALT,
					)
					.expect("a round evaluator reveals what it committed");
				}
			}
		},
		_ => {},
	}
}

#[test]
fn every_invariant_holds_after_every_block_of_a_task_whose_owner_withholds_the_key() {
	run_a_task_whose_owner_withholds_the_key(RewardAsset::Native, 1_000 * UNIT);
}

/// The same task with its pool in the dev chain's stablecoin: the escrow invariant per
/// asset after every block, and the participants paid in dUSD.
#[test]
fn a_task_paid_in_the_dev_stablecoin_keeps_every_invariant_and_pays_in_it() {
	run_a_task_whose_owner_withholds_the_key(
		RewardAsset::Asset(DEV_STABLECOIN),
		1_000 * DEV_STABLECOIN_UNIT,
	);
}

/// `who`'s balance (free and held) in `asset`.
fn total_in(asset: RewardAsset, who: &AccountId32) -> u128 {
	match asset {
		RewardAsset::Native => Balances::total_balance(who),
		RewardAsset::Asset(id) => {
			<din_runtime::AssetsHolder as fungibles::Inspect<_>>::total_balance(id, who)
		},
	}
}

fn run_a_task_whose_owner_withholds_the_key(asset: RewardAsset, pool: u128) {
	new_test_ext().execute_with(|| {
		// Everyone joins at genesis: a round's draws take only those that joined before their
		// randomness could be known, and the test chain never changes epoch.
		System::set_block_number(0);
		for i in 0..16 {
			let who = account(0xee, i);
			Staking::bond(RuntimeOrigin::signed(who.clone()), Role::Evaluator, 1_000 * UNIT)
				.expect("bonds");
			Evaluation::register_evaluator(RuntimeOrigin::signed(who)).expect("registers");
		}
		let owner = Sr25519Keyring::Alice.to_account_id();
		let task = pallet_din_tasks::NextTaskId::<Runtime>::get();
		let mut spec = task_spec();
		spec.rounds = 2;
		spec.reward.asset = asset;
		spec.reward.amount = pool;
		din_runtime::Tasks::create_task(RuntimeOrigin::signed(owner.clone()), spec.clone())
			.expect("valid spec");
		let participants: Vec<AccountId32> = (0..PARTICIPANTS).map(|i| account(0xaa, i)).collect();
		for who in &participants {
			Staking::bond(RuntimeOrigin::signed(who.clone()), Role::Participant, 10 * UNIT)
				.expect("bonds");
			din_runtime::Tasks::join_task(RuntimeOrigin::signed(who.clone()), task).expect("joins");
		}
		let before: Vec<u128> = participants.iter().map(|p| total_in(asset, p)).collect();
		let native_before: Vec<u128> = participants.iter().map(Balances::total_balance).collect();
		let owner_before = total_in(asset, &owner);

		let mut done = BTreeSet::new();
		let mut finished_at = None;
		let mut phases_seen = BTreeSet::new();
		let mut round_starts = Vec::new();
		for n in 1..=LAST_BLOCK {
			open_block(n);
			if System::events().iter().any(|record| {
				matches!(
					&record.event,
					RuntimeEvent::Tasks(pallet_din_tasks::Event::RoundStarted { task: t, .. }) if *t == task
				)
			}) {
				round_starts.push(n);
			}
			if System::events().iter().any(|record| {
				matches!(
					&record.event,
					RuntimeEvent::Tasks(pallet_din_tasks::Event::TaskFinished { task: t, .. }) if *t == task
				)
			}) {
				finished_at = Some(n);
				break;
			}
			let info = Tasks::<Runtime>::get(task).expect("a live task is stored");
			phases_seen.insert((info.round, info.phase as u8));
			if info.phase == TaskPhase::AggregationCommit {
				let updates = Updates::<Runtime>::iter_prefix((task, info.round)).count();
				assert_eq!(
					updates, PARTICIPANTS as usize,
					"every update of round {} is kept",
					info.round
				);
			}
			serve(task, info.round, info.phase, &participants, &mut done);
			assert_invariants(n);
		}
		let finished_at = finished_at.expect("the task finishes within LAST_BLOCK blocks");

		// Both rounds went through every phase of theirs; only the last voted on its global
		// model in phases of its own, round 0's was voted on with round 1's aggregates.
		for round in 0..2 {
			for phase in [TaskPhase::Training, TaskPhase::AggregationReveal] {
				assert!(
					phases_seen.contains(&(round, phase as u8)),
					"round {round} skipped {phase:?}"
				);
			}
		}
		assert!(!phases_seen.contains(&(0, TaskPhase::GlobalReveal as u8)));
		assert!(phases_seen.contains(&(1, TaskPhase::GlobalReveal as u8)));
		for round in 0..2 {
			assert_eq!(
				pallet_din_evaluation::GlobalModels::<Runtime>::get(task, round)
					.map(|m| m.commitment),
				Some(global_of(round)),
				"round {round}'s global model is fixed"
			);
		}
		// Every submission lands in the first block it can: with the runtime's weights the
		// settlement and the next round's start share a block, and a round takes three.
		assert_eq!(round_starts.len(), 2);
		assert_eq!(
			round_starts[1] - round_starts[0],
			3,
			"blocks from round 0's start to round 1's"
		);
		let info = Tasks::<Runtime>::get(task).expect("kept after the end");
		assert_eq!(info.phase, TaskPhase::Finished);
		assert_eq!(
			info.remaining, 0,
			"nothing of the pool is left in escrow at block {finished_at}"
		);

		// The owner withheld the key: the participants are paid in its stead, equally, and
		// their bonds are free of the task's duty again.
		let earned: Vec<u128> = participants
			.iter()
			.zip(&before)
			.map(|(who, before)| total_in(asset, who) - before)
			.collect();
		assert!(earned[0] > 0, "a participant is paid when the owner withholds the key");
		assert!(earned.iter().all(|e| *e == earned[0]), "equal shares: {earned:?}");
		if asset != RewardAsset::Native {
			let native: Vec<u128> = participants.iter().map(Balances::total_balance).collect();
			assert_eq!(native, native_before, "a pool in an asset pays no native token");
		}
		for who in &participants {
			assert_eq!(
				<Staking as din_primitives::StakeInfo<_, _>>::locked(who, Role::Participant),
				0
			);
		}
		let owner_refund = total_in(asset, &owner) + spec.reward.amount - owner_before;
		assert!(
			owner_refund < spec.reward.amount / 100,
			"an owner who withholds the key gets back {owner_refund} of {}",
			spec.reward.amount
		);
	});
}
