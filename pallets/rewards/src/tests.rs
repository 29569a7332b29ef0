//! Tests of pallet-din-rewards: exact shares, slashes, the participants'-favour rule and
//! the accounting invariant under random outcomes.

use crate::{mock::*, *};
use din_primitives::{FeeParams, Role};
use polkadot_sdk::frame_support::traits::fungible::Inspect;
use proptest::prelude::*;

fn pct(p: u32) -> Perbill {
	Perbill::from_percent(p)
}

fn balance(who: AccountId) -> Balance {
	Balances::balance(&who)
}

/// A task's outcome, as pallet-din-evaluation streams it into the settlement.
#[derive(Default)]
struct TaskOutcome {
	test_key_released: bool,
	baseline: Option<Perbill>,
	globals: Vec<(RoundIndex, Perbill)>,
	scores: Vec<(AccountId, RoundIndex, Perbill)>,
	/// Scores of stale updates: `(who, round, trained_from, accuracy)`.
	stale: Vec<(AccountId, RoundIndex, RoundIndex, Perbill)>,
	accepted: Vec<(AccountId, u32)>,
	work: Vec<(AccountId, u32)>,
}

/// Open the settlement of `task`, credit every record of `outcome`, pay out `slice`
/// payments per call until done; the recorded settlement.
fn settle_in_slices(task: TaskId, outcome: TaskOutcome, slice: u32) -> Settlement<Balance> {
	let TaskOutcome { test_key_released, baseline, globals, scores, stale, accepted, work } =
		outcome;
	Rewards::do_open(task, ScoreBasis { test_key_released, baseline, globals });
	for (who, units) in work {
		Rewards::do_credit(task, Credit::Work { who, units });
	}
	for (who, round, accuracy) in scores {
		Rewards::do_credit(task, Credit::Score { who, round, trained_from: round, accuracy });
	}
	for (who, round, trained_from, accuracy) in stale {
		Rewards::do_credit(task, Credit::Score { who, round, trained_from, accuracy });
	}
	for (who, updates) in accepted {
		Rewards::do_credit(task, Credit::Accepted { who, updates });
	}
	let mut calls = 0;
	loop {
		calls += 1;
		assert!(calls < 100, "the payout ends");
		let (paid, done) = Rewards::pay_out_up_to(task, slice);
		assert!(paid <= slice);
		if done {
			break;
		}
	}
	assert!(!PendingSettlements::<Test>::contains_key(task));
	assert_eq!(ParticipantWeights::<Test>::iter_prefix(task).count(), 0);
	assert_eq!(EvaluatorWork::<Test>::iter_prefix(task).count(), 0);
	Settlements::<Test>::get(task).expect("recorded when the payout ends")
}

fn settle(task: TaskId, outcome: TaskOutcome) -> Settlement<Balance> {
	settle_in_slices(task, outcome, 1)
}

/// 10 contributes 30 points (20 + 10 over two rounds), 11 contributes 10, 12 is at the
/// baseline (50%), 13 is 5 points below it (beyond the 1% margin); evaluators 30 and 31 did
/// 3 and 1 units of work.
fn exact_shares_outcome() -> TaskOutcome {
	TaskOutcome {
		test_key_released: true,
		baseline: Some(pct(50)),
		globals: vec![],
		scores: vec![
			(10, 0, pct(70)),
			(10, 1, pct(60)),
			(11, 0, pct(60)),
			(12, 0, pct(50)),
			(13, 0, pct(45)),
		],
		accepted: vec![(10, 2), (11, 1), (12, 1), (13, 1)],
		work: vec![(30, 3), (31, 1)],
		stale: vec![],
	}
}

#[test]
fn fees_burn_and_contribution_shares_are_exact() {
	build_and_execute(|| {
		let task = create(10_000, fees());
		let owner_before = balance(OWNER);
		let s = settle(task, exact_shares_outcome());
		// Evaluators: 1_000 split 3:1.
		assert_eq!(balance(30) - ENDOWMENT, 750);
		assert_eq!(balance(31) - ENDOWMENT, 250);
		// Participants: 8_500 split 30:10.
		assert_eq!(balance(10) + 100 - ENDOWMENT, 6_375);
		assert_eq!(balance(11) + 100 - ENDOWMENT, 2_125);
		assert_eq!(balance(12) + 100 - ENDOWMENT, 0);
		// 13 is slashed 10% of the task's participant bond (10), not of all it bonded (100).
		assert_eq!(
			<Staking as din_primitives::StakeInfo<_, _>>::bonded(&13, Role::Participant),
			99
		);
		assert_eq!(
			s,
			Settlement {
				pool: 10_000,
				participants: 8_500,
				evaluators: 1_000,
				burned: 500,
				refund: 0,
				slashed: 1,
				scored: true
			}
		);
		// The owner gets nothing back (yet: the refund is 0 anyway).
		assert_eq!(balance(OWNER), owner_before);
		assert_eq!(DinTasks::remaining(task), 0);
	});
}

/// A pool funded in a stablecoin pays the evaluators and participants, and burns the
/// protocol fee, in that stablecoin, with the same exact shares as a native pool; only the
/// slash (a bond) moves native tokens. The stablecoin is not sufficient in this mock, so
/// every payee receives it only because it has an account already (its native balance).
#[test]
fn a_task_funded_in_a_stablecoin_settles_exactly_in_it() {
	use polkadot_sdk::frame_support::traits::fungibles::{Inspect as _, InspectHold as _};
	build_and_execute(|| {
		let stable = |who: AccountId| Assets::balance(STABLE, &who);
		let payees: Vec<AccountId> = participants().into_iter().chain(evaluators()).collect();
		let native_before: Vec<Balance> = payees.iter().map(|a| balance(*a)).collect();
		let issuance = Assets::total_issuance(STABLE);
		let task = create_in(din_primitives::RewardAsset::Asset(STABLE), 10_000, fees());
		assert_eq!(stable(OWNER), ENDOWMENT - 10_000);
		let s = settle(task, exact_shares_outcome());
		assert_eq!(
			s,
			Settlement {
				pool: 10_000,
				participants: 8_500,
				evaluators: 1_000,
				burned: 500,
				refund: 0,
				slashed: 1,
				scored: true
			}
		);
		// What moved, in the stablecoin.
		assert_eq!((stable(30), stable(31)), (750, 250));
		assert_eq!((stable(10), stable(11), stable(12), stable(13)), (6_375, 2_125, 0, 0));
		assert_eq!(issuance - Assets::total_issuance(STABLE), s.burned);
		assert_eq!(stable(OWNER), ENDOWMENT - 10_000);
		let held = AssetsHolder::balance_on_hold(
			STABLE,
			&pallet_din_tasks::HoldReason::RewardPool.into(),
			&OWNER,
		);
		assert_eq!(held, s.refund);
		// Native balances: untouched but for 13's slashed bond.
		let native_after: Vec<Balance> = payees.iter().map(|a| balance(*a)).collect();
		assert_eq!(native_before, native_after);
		assert_eq!(
			<Staking as din_primitives::StakeInfo<_, _>>::bonded(&13, Role::Participant),
			99
		);
	});
}

/// Attack: a participant resubmits the global model its round trained from, or a perturbed
/// copy of it, and is paid as if it had trained it from the genesis model. An update is
/// paid only for what it adds to the model its round trained from; falling below that
/// model earns nothing but is no offence unless it falls below the genesis model too.
#[test]
fn an_update_earns_only_its_improvement_over_the_model_it_trained_from() {
	build_and_execute(|| {
		let task = create(10_000, fees());
		let outcome = TaskOutcome {
			test_key_released: true,
			baseline: Some(pct(10)),
			// Round 0 fixed a global model scored 60%; round 1's was never scored.
			globals: vec![(0, pct(60))],
			scores: vec![
				// 50 points over the genesis model round 0 trained from.
				(10, 0, pct(60)),
				// Round 0's global model resubmitted in round 1: nothing added.
				(10, 1, pct(60)),
				// 10 points over round 0's global model.
				(11, 1, pct(70)),
				// Below the model it trained from, above the genesis model: unpaid, unslashed.
				(12, 1, pct(40)),
				// Round 1's global model is unscored: measured against round 0's, 5 points.
				(13, 2, pct(65)),
			],
			accepted: vec![(10, 2), (11, 1), (12, 1), (13, 1)],
			work: vec![],
			stale: vec![],
		};
		let s = settle(task, outcome);
		// 8_500 split 50:10:0:5.
		assert_eq!(balance(10) + 100 - ENDOWMENT, 8_500 * 50 / 65);
		assert_eq!(balance(11) + 100 - ENDOWMENT, 8_500 * 10 / 65);
		assert_eq!(balance(12) + 100 - ENDOWMENT, 0);
		assert_eq!(balance(13) + 100 - ENDOWMENT, 8_500 * 5 / 65);
		assert_eq!(s.slashed, 0);
	});
}

/// An asynchronous task's slow participant submits in round 3 an update trained from round
/// 0's model: measured against round 3's model it added nothing, but it is paid for what it
/// added to the model it started from, damped as its panel damped its delta (three rounds
/// stale: a quarter).
#[test]
fn a_stale_update_is_paid_over_the_model_it_trained_from_not_its_rounds() {
	build_and_execute(|| {
		let task = create(10_000, fees());
		let outcome = TaskOutcome {
			test_key_released: true,
			baseline: Some(pct(10)),
			globals: vec![(0, pct(60)), (1, pct(70)), (2, pct(80))],
			// 20 points over round 2's model, which round 3 trained from.
			scores: vec![(10, 3, pct(100))],
			// 65%: below round 3's model, 55 points over the genesis model.
			stale: vec![(11, 3, 0, pct(65))],
			accepted: vec![(10, 1), (11, 1)],
			..Default::default()
		};
		settle(task, outcome);
		// 8_500 split 20 : 55 / 4.
		assert_eq!(balance(10) + 100 - ENDOWMENT, 8_500 * 80 / 135);
		assert_eq!(balance(11) + 100 - ENDOWMENT, 8_500 * 55 / 135);
	});
}

/// A settlement paid one payment per block pays exactly what one block paying everything
/// does: every share is fixed by sums complete before the first payment.
#[test]
fn a_payout_spread_over_blocks_pays_what_one_block_pays() {
	let outcome = || TaskOutcome {
		test_key_released: true,
		baseline: Some(pct(40)),
		globals: vec![(0, pct(50))],
		scores: vec![(10, 0, pct(70)), (11, 1, pct(55)), (12, 1, pct(35)), (13, 1, pct(90))],
		accepted: vec![(10, 1), (11, 1), (12, 1), (13, 1)],
		work: vec![(30, 2), (31, 1), (32, 4)],
		stale: vec![],
	};
	let paid = |slice: u32| {
		let mut balances = Vec::new();
		build_and_execute(|| {
			let task = create(9_999, fees());
			let s = settle_in_slices(task, outcome(), slice);
			balances = [10, 11, 12, 13, 30, 31, 32].iter().map(|a| balance(*a)).collect();
			balances.push(s.refund);
		});
		balances
	};
	assert_eq!(paid(1), paid(1_000));
}

#[test]
fn nobody_to_pay_refunds_the_owner() {
	build_and_execute(|| {
		let task = create(10_000, fees());
		let outcome = TaskOutcome {
			test_key_released: true,
			baseline: Some(pct(90)),
			globals: vec![],
			scores: vec![(10, 0, pct(89))],
			accepted: vec![(10, 1)],
			work: vec![],
			stale: vec![],
		};
		let s = settle(task, outcome);
		assert_eq!(s.participants + s.evaluators, 0);
		assert_eq!(s.burned, 500);
		assert_eq!(s.refund, 9_500);
		assert_eq!(s.slashed, 0, "89% plus the 1% margin reaches the baseline");
	});
}

#[test]
fn try_state_catches_a_settlement_that_loses_part_of_its_pool() {
	new_test_ext().execute_with(|| {
		assert!(Rewards::do_try_state().is_ok());
		let lossy = Settlement {
			pool: 100,
			participants: 50,
			evaluators: 10,
			burned: 5,
			refund: 30,
			slashed: 0,
			scored: true,
		};
		crate::Settlements::<Test>::insert(0, lossy);
		assert!(Rewards::do_try_state().is_err(), "5 of the pool are unaccounted for");
	});
}

#[test]
fn without_scores_participants_share_by_accepted_updates() {
	build_and_execute(|| {
		let task =
			create(1_000, FeeParams { evaluator_fee: pct(0), protocol_fee: pct(0), ..fees() });
		let outcome = TaskOutcome {
			test_key_released: false,
			baseline: None,
			globals: vec![],
			scores: vec![],
			accepted: vec![(10, 2), (11, 1)],
			work: vec![],
			stale: vec![],
		};
		let s = settle(task, outcome);
		assert_eq!(balance(10) + 100 - ENDOWMENT, 666);
		assert_eq!(balance(11) + 100 - ENDOWMENT, 333);
		assert_eq!(s.refund, 1, "rounding dust stays with the owner");
		assert!(!s.scored);
	});
}

/// A settlement's inputs: pool, evaluator and protocol fee percentages, baseline, the
/// scored global model of each round, scores, work and whether the key was released.
type ArbOutcome = (u64, u32, u32, Option<u32>, Vec<u32>, Vec<(u64, u32)>, Vec<(u64, u32)>, bool);

fn arb_outcome() -> impl Strategy<Value = ArbOutcome> {
	(
		100u64..900_000,
		0u32..60,
		0u32..40,
		proptest::option::of(0u32..100),
		proptest::collection::vec(0u32..100, 0..12),
		proptest::collection::vec((10u64..=17, 0u32..100), 0..12),
		proptest::collection::vec((30u64..=37, 0u32..20), 0..8),
		any::<bool>(),
	)
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(64))]

	/// `pool = participants + evaluators + burned + refund`, and exactly those amounts
	/// moved: to the payees, out of existence, and back to the owner at the task's end.
	#[test]
	fn accounting_is_exact((pool, ef, pf, baseline, globals, scores, work, released) in arb_outcome(), slice in 1u32..8) {
		build_and_execute(|| {
			let task = create(pool, FeeParams { evaluator_fee: pct(ef), protocol_fee: pct(pf), ..fees() });
			let mut scores: Vec<(AccountId, u32, Perbill)> =
				scores.into_iter().enumerate().map(|(i, (p, a))| (p, i as u32, pct(a))).collect();
			scores.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
			let mut accepted: Vec<(AccountId, u32)> = Vec::new();
			for (p, _, _) in scores.iter() {
				match accepted.last_mut() {
					Some((q, n)) if q == p => *n += 1,
					_ => accepted.push((*p, 1)),
				}
			}
			let mut work: Vec<(AccountId, u32)> = work;
			work.sort();
			work.dedup_by_key(|w| w.0);
			let payees: Vec<AccountId> = participants().into_iter().chain(evaluators()).collect();
			let before: Balance = payees.iter().map(|a| balance(*a)).sum();
			let issuance = Balances::total_issuance();
			let globals = globals.into_iter().enumerate().map(|(round, a)| (round as u32, pct(a))).collect();
			let outcome = TaskOutcome { test_key_released: released, baseline: baseline.map(pct), globals, scores, stale: vec![], accepted, work };
			let s = settle_in_slices(task, outcome, slice);
			assert_eq!(s.pool, pool);
			assert_eq!(s.pool, s.participants + s.evaluators + s.burned + s.refund);
			let after: Balance = payees.iter().map(|a| balance(*a)).sum();
			assert_eq!(after - before, s.participants + s.evaluators);
			assert_eq!(DinTasks::remaining(task), s.refund);
			let slashed: Balance = participants()
				.iter()
				.map(|p| 100 - <Staking as din_primitives::StakeInfo<_, _>>::bonded(p, Role::Participant))
				.sum();
			assert_eq!(issuance - Balances::total_issuance(), s.burned + slashed, "burned fee plus burned slashes");
		});
	}
}
