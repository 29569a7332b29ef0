//! Scenario tests of pallet-din-tasks.

use crate::{mock::*, Error, Event, *};
use din_primitives::{Perbill, Role, TaskEscrow, TaskPhase};
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok, traits::Hooks, weights::Weight},
	sp_core::H256,
	sp_runtime::DispatchError,
};

fn join(who: AccountId, task: TaskId) {
	assert_ok!(DinTasks::join_task(RuntimeOrigin::signed(who), task));
}

fn submit(
	who: AccountId,
	task: TaskId,
	round: RoundIndex,
) -> polkadot_sdk::sp_runtime::DispatchResult {
	DinTasks::submit_update(
		RuntimeOrigin::signed(who),
		task,
		round,
		cid(b"update"),
		H256::repeat_byte(9),
		100,
	)
}

/// Create a task, join `n` participants (10, 11, …) and start round 0.
fn running_task(n: u64) -> TaskId {
	start_with(create(), n)
}

/// Join `n` participants (10, 11, …) to `task` and start round 0.
fn start_with(task: TaskId, n: u64) -> TaskId {
	for who in 10..10 + n {
		join(who, task);
	}
	finish_phase(task);
	assert_eq!(phase(task), TaskPhase::Training);
	task
}

// ----- create_task -----

#[test]
fn create_task_works() {
	ExtBuilder::default().build_and_execute(|| {
		let free = Balances::free_balance(OWNER);
		assert_ok!(DinTasks::create_task(RuntimeOrigin::signed(OWNER), spec()));
		System::assert_has_event(
			Event::TaskCreated {
				task: 0,
				owner: OWNER,
				rounds: 2,
				asset: RewardAsset::Native,
				reward: POOL,
				registration_ends: 4,
			}
			.into(),
		);
		let deposit = DinTasks::task_deposit(&spec());
		System::assert_last_event(Event::TaskDepositHeld { task: 0, owner: OWNER, deposit }.into());
		assert_eq!(pool_held(OWNER), POOL);
		assert_eq!(deposit_held(OWNER), deposit);
		assert_eq!(Balances::free_balance(OWNER), free - POOL - deposit);
		assert_eq!(phase(0), TaskPhase::Registration);
		assert_eq!(phase_ends(0), 4);
		assert_eq!(NextTaskId::<Test>::get(), 1);
		assert_eq!(ActiveTasks::<Test>::get(), 1);
		assert_eq!(<DinTasks as TaskEscrow<AccountId, Balance>>::remaining(0), POOL);
		assert_eq!(<DinTasks as TaskEscrow<AccountId, Balance>>::owner(0), Some(OWNER));
	});
}

fn assert_spec_fails(change: impl FnOnce(&mut TaskSpecOf<Test>), error: Error<Test>) {
	let mut s = spec();
	change(&mut s);
	assert_noop!(DinTasks::create_task(RuntimeOrigin::signed(OWNER), s), error);
}

#[test]
fn create_task_fails_invalid_model() {
	ExtBuilder::default().build_and_execute(|| {
		assert_spec_fails(
			|s| {
				s.model.architecture = Default::default();
				s.model.hash = H256(polkadot_sdk::sp_io::hashing::sha2_256(&[]));
			},
			Error::EmptyArchitecture,
		);
		assert_spec_fails(|s| s.model.hash = H256::repeat_byte(7), Error::ModelHashMismatch);
	});
}

#[test]
fn create_task_fails_invalid_artifacts() {
	ExtBuilder::default().build_and_execute(|| {
		assert_spec_fails(|s| s.genesis.cid = cid(b""), Error::EmptyGenesisCid);
		assert_spec_fails(|s| s.genesis.commitment = H256::zero(), Error::ZeroGenesisCommitment);
		assert_spec_fails(|s| s.test_set.commitment = H256::zero(), Error::ZeroTestSetCommitment);
		assert_spec_fails(|s| s.test_set.key_hash = H256::zero(), Error::ZeroTestKeyHash);
		assert_spec_fails(|s| s.test_set.encrypted_cid = cid(b""), Error::EmptyTestSetCid);
	});
}

#[test]
fn create_task_fails_invalid_pool_and_rounds() {
	ExtBuilder::default().build_and_execute(|| {
		assert_spec_fails(|s| s.reward.amount = 99, Error::RewardPoolTooLow);
		assert_spec_fails(|s| s.rounds = 0, Error::ZeroRounds);
		assert_spec_fails(|s| s.rounds = 4, Error::TooManyRounds);
	});
}

#[test]
fn create_task_fails_invalid_phases() {
	ExtBuilder::default().build_and_execute(|| {
		assert_spec_fails(|s| s.phases.training = 0, Error::PhaseTooShort);
		assert_spec_fails(|s| s.phases.rewarding = 0, Error::PhaseTooShort);
		assert_spec_fails(|s| s.phases.global_reveal = 101, Error::PhaseTooLong);
		assert_spec_fails(|s| s.phases.registration = 101, Error::PhaseTooLong);
	});
}

#[test]
fn create_task_fails_invalid_groups() {
	ExtBuilder::default().build_and_execute(|| {
		assert_spec_fails(|s| s.subgroup_size = 0, Error::ZeroSubgroupSize);
		assert_spec_fails(|s| s.subgroup_size = 5, Error::SubgroupTooLarge);
		assert_spec_fails(|s| s.evaluators_per_subgroup = 0, Error::ZeroEvaluators);
		assert_spec_fails(|s| s.evaluators_per_subgroup = 4, Error::TooManyEvaluators);
		assert_spec_fails(|s| s.min_participants = 0, Error::ZeroMinParticipants);
		assert_spec_fails(|s| s.min_participants = 9, Error::MinParticipantsTooHigh);
	});
}

#[test]
fn create_task_fails_invalid_bonds() {
	ExtBuilder::default().build_and_execute(|| {
		assert_spec_fails(|s| s.min_participant_bond = 9, Error::ParticipantBondBelowMinimum);
		assert_spec_fails(|s| s.min_evaluator_bond = 99, Error::EvaluatorBondBelowMinimum);
	});
}

#[test]
fn create_task_fails_invalid_rules() {
	ExtBuilder::default().build_and_execute(|| {
		assert_spec_fails(
			|s| s.aggregation = AggregationRule::TrimmedMean { beta: Perbill::from_percent(50) },
			Error::InvalidTrimFraction,
		);
		// G = 4: Krum tolerates f = 0 (2 < 4) but not f = 1 (4 < 4 fails).
		assert_spec_fails(
			|s| {
				s.subgroup_size = 4;
				s.aggregation = AggregationRule::Krum { f: 1 };
			},
			Error::InvalidKrumParameter,
		);
		assert_spec_fails(
			|s| {
				s.subgroup_size = 4;
				s.aggregation = AggregationRule::MultiKrum { f: 1, m: 1 };
			},
			Error::InvalidKrumParameter,
		);
		assert_spec_fails(
			|s| {
				s.subgroup_size = 4;
				s.aggregation = AggregationRule::MultiKrum { f: 0, m: 0 };
			},
			Error::InvalidMultiKrumSelection,
		);
		assert_spec_fails(
			|s| {
				s.subgroup_size = 4;
				s.aggregation = AggregationRule::MultiKrum { f: 0, m: 5 };
			},
			Error::InvalidMultiKrumSelection,
		);
		assert_spec_fails(
			|s| s.aggregation = AggregationRule::CenteredClipping { tau: 0, iterations: 1 },
			Error::ZeroClippingRadius,
		);
		for iterations in [0, din_primitives::MAX_CLIPPING_ITERATIONS + 1] {
			assert_spec_fails(
				|s| s.aggregation = AggregationRule::CenteredClipping { tau: 1, iterations },
				Error::InvalidClippingIterations,
			);
		}
		assert_spec_fails(
			|s| s.scoring = ScoringRule::ZkAccuracy { vk: H256::zero() },
			Error::ZeroVerifyingKey,
		);
		// Attack: a `ZkAccuracy` owner keeps the proving key to itself, so that nobody can
		// prove a score. The spec must say where it is.
		assert_spec_fails(
			|s| s.test_set.proving_key_cid = BoundedVec::new(),
			Error::EmptyProvingKeyCid,
		);
		assert_spec_fails(
			|s| s.scoring = ScoringRule::Median { threshold: Perbill::zero() },
			Error::ZeroScoreThreshold,
		);
		assert_spec_fails(
			|s| {
				s.fees.evaluator_fee = Perbill::from_percent(60);
				s.fees.protocol_fee = Perbill::from_percent(41);
			},
			Error::FeesTooHigh,
		);
		assert_spec_fails(|s| s.max_samples = 0, Error::ZeroSampleCap);
		assert_spec_fails(|s| s.max_samples = (1 << 32) + 1, Error::SampleCapTooHigh);
	});
}

/// Attack: an owner sets `fees.slash` to 100%, so that one missed reveal of a drawn
/// evaluator (who cannot decline the draw) costs its whole bond. The fraction is bounded by
/// the runtime's `MaxSlash`.
#[test]
fn an_owner_cannot_set_a_slash_above_the_runtime_maximum() {
	ExtBuilder::default().build_and_execute(|| {
		assert_spec_fails(|s| s.fees.slash = Perbill::one(), Error::SlashTooHigh);
		assert_spec_fails(|s| s.fees.slash = Perbill::from_percent(51), Error::SlashTooHigh);
		let mut at_the_maximum = spec();
		at_the_maximum.fees.slash = <Test as Config>::MaxSlash::get();
		assert_ok!(DinTasks::create_task(RuntimeOrigin::signed(OWNER), at_the_maximum));
	});
}

/// Attack: an owner sets the evaluator fee to zero, so that the drawn evaluators (who
/// cannot decline a seat and are slashed for a skipped duty) aggregate and prove for
/// nothing; or the baseline margin to zero, so that honest updates scoring a hair below
/// the baseline (test-set noise) are slashed and their share withheld. Both are bounded
/// below by the runtime.
#[test]
fn an_owner_cannot_set_the_evaluator_fee_or_baseline_margin_below_the_runtime_minimum() {
	ExtBuilder::default().build_and_execute(|| {
		assert_spec_fails(|s| s.fees.evaluator_fee = Perbill::zero(), Error::EvaluatorFeeTooLow);
		assert_spec_fails(
			|s| s.fees.baseline_margin = Perbill::zero(),
			Error::BaselineMarginTooLow,
		);
		let mut at_the_minimum = spec();
		at_the_minimum.fees.evaluator_fee = <Test as Config>::MinEvaluatorFee::get();
		at_the_minimum.fees.baseline_margin = <Test as Config>::MinBaselineMargin::get();
		assert_ok!(DinTasks::create_task(RuntimeOrigin::signed(OWNER), at_the_minimum));
	});
}

#[test]
fn create_task_accepts_every_valid_rule() {
	let rules = [
		AggregationRule::Median,
		AggregationRule::TrimmedMean { beta: Perbill::from_percent(49) },
		AggregationRule::Krum { f: 0 },
		AggregationRule::MultiKrum { f: 0, m: 4 },
		AggregationRule::CenteredClipping { tau: 1, iterations: 1 },
		AggregationRule::CenteredClipping {
			tau: u32::MAX,
			iterations: din_primitives::MAX_CLIPPING_ITERATIONS,
		},
	];
	// One chain per rule: more rules than `MaxActiveTasks`.
	for rule in rules {
		ExtBuilder::default().build_and_execute(|| {
			let mut s = spec();
			s.subgroup_size = 4;
			s.aggregation = rule;
			s.scoring = ScoringRule::Median { threshold: Perbill::from_percent(5) };
			assert_ok!(DinTasks::create_task(RuntimeOrigin::signed(OWNER), s));
		});
	}
}

#[test]
fn create_task_fails_too_many_active_tasks() {
	ExtBuilder::default().build_and_execute(|| {
		for _ in 0..4 {
			create();
		}
		assert_noop!(
			DinTasks::create_task(RuntimeOrigin::signed(OWNER), spec()),
			Error::<Test>::TooManyActiveTasks
		);
	});
}

#[test]
fn create_task_fails_insufficient_funds() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			DinTasks::create_task(RuntimeOrigin::signed(3), spec()),
			Error::<Test>::InsufficientFunds
		);
	});
}

#[test]
fn create_task_fails_when_the_owner_cannot_also_afford_the_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		use polkadot_sdk::frame_support::traits::fungible::Mutate;
		Balances::set_balance(&OTHER, POOL + 1);
		assert_noop!(
			DinTasks::create_task(RuntimeOrigin::signed(OTHER), spec()),
			Error::<Test>::InsufficientBalanceForDeposit
		);
	});
}

#[test]
fn create_task_fails_unsigned() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			DinTasks::create_task(RuntimeOrigin::none(), spec()),
			DispatchError::BadOrigin
		);
	});
}

// ----- join_task -----

#[test]
fn join_task_works() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		join(10, task);
		System::assert_last_event(Event::ParticipantJoined { task, round: 0, who: 10 }.into());
		assert_eq!(DinTasks::participants_of(task), vec![10]);
		// The task's minimum bond is locked, so it cannot be unbonded.
		assert_eq!(locked(10), 50);
		assert_noop!(
			Staking::unbond(RuntimeOrigin::signed(10), Role::Participant, 51),
			pallet_din_staking::Error::<Test>::BondLocked
		);
		// Joining during a round counts from the next round.
		finish_phase(task);
		join(11, task);
		System::assert_last_event(Event::ParticipantJoined { task, round: 1, who: 11 }.into());
		assert_eq!(subgroup(task, 11), None);
	});
}

#[test]
fn join_task_fails_unknown_task() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(DinTasks::join_task(RuntimeOrigin::signed(10), 7), Error::<Test>::UnknownTask);
	});
}

#[test]
fn join_task_fails_task_not_open() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		assert_ok!(DinTasks::cancel_task(RuntimeOrigin::signed(OWNER), task));
		assert_noop!(
			DinTasks::join_task(RuntimeOrigin::signed(10), task),
			Error::<Test>::TaskNotOpen
		);
	});
}

#[test]
fn join_task_fails_already_joined() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		join(10, task);
		assert_noop!(
			DinTasks::join_task(RuntimeOrigin::signed(10), task),
			Error::<Test>::AlreadyJoined
		);
	});
}

#[test]
fn join_task_fails_too_many_participants() {
	ExtBuilder::default().build_and_execute(|| {
		MaxParticipants::set(2);
		let task = create();
		join(10, task);
		join(11, task);
		assert_noop!(
			DinTasks::join_task(RuntimeOrigin::signed(12), task),
			Error::<Test>::TooManyParticipants
		);
		MaxParticipants::set(8);
	});
}

#[test]
fn a_join_below_a_minimum_bond_raised_after_the_task_was_created_is_refused() {
	ExtBuilder::default().bonded(vec![10, 11]).build_and_execute(|| {
		let task = create();
		join(10, task);
		// 11's bond of 100 covers the task's 50, but not the chain's minimum once raised.
		RAISED_MIN_PARTICIPANT_BOND.with(|raised| *raised.borrow_mut() = Some(101));
		assert_noop!(
			DinTasks::join_task(RuntimeOrigin::signed(11), task),
			Error::<Test>::StakeTooLow
		);
		RAISED_MIN_PARTICIPANT_BOND.with(|raised| *raised.borrow_mut() = Some(100));
		assert_ok!(DinTasks::join_task(RuntimeOrigin::signed(11), task));
	});
}

#[test]
fn join_task_fails_stake_too_low() {
	ExtBuilder::default().bonded(vec![10]).build_and_execute(|| {
		let task = create();
		// 11 has no bond.
		assert_noop!(
			DinTasks::join_task(RuntimeOrigin::signed(11), task),
			Error::<Test>::StakeTooLow
		);
		// 10's bond of 100 covers two tasks of 50, not three.
		let second = create();
		let third = create();
		join(10, task);
		join(10, second);
		assert_noop!(
			DinTasks::join_task(RuntimeOrigin::signed(10), third),
			Error::<Test>::StakeTooLow
		);
	});
}

// ----- leave_task -----

#[test]
fn leave_task_works() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		join(10, task);
		join(11, task);
		assert_ok!(DinTasks::leave_task(RuntimeOrigin::signed(10), task));
		System::assert_last_event(Event::ParticipantLeft { task, round: 0, who: 10 }.into());
		assert_eq!(DinTasks::participants_of(task), vec![11]);
		assert_noop!(
			DinTasks::leave_task(RuntimeOrigin::signed(10), task),
			Error::<Test>::AlreadyLeft
		);
		assert_noop!(
			DinTasks::join_task(RuntimeOrigin::signed(10), task),
			Error::<Test>::AlreadyJoined
		);
		// The leave takes effect when the first round starts: the lock is released then.
		assert_eq!(locked(10), spec().min_participant_bond);
		finish_phase(task);
		assert_eq!(phase(task), TaskPhase::Training);
		assert_eq!(locked(10), 0);
		assert_eq!(DinTasks::assignment_of(task, &10), None);
		assert_eq!(crate::Participants::<Test>::get(task).len(), 1, "the entry is gone");
	});
}

#[test]
fn leave_task_fails_unknown_task() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			DinTasks::leave_task(RuntimeOrigin::signed(10), 3),
			Error::<Test>::UnknownTask
		);
	});
}

#[test]
fn leave_task_fails_task_ended() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		join(10, task);
		assert_ok!(DinTasks::cancel_task(RuntimeOrigin::signed(OWNER), task));
		assert_noop!(
			DinTasks::leave_task(RuntimeOrigin::signed(10), task),
			Error::<Test>::TaskEnded
		);
	});
}

/// Attack: a participant submits a poisoned update, leaves once the round is aggregated,
/// unbonds and withdraws while the task still runs, and is gone when settlement slashes
/// its update `BelowBaseline`. Once the first round started nobody leaves: the lock backs
/// the participant's updates until the task ends, in every later phase and round.
#[test]
fn a_participant_who_took_part_stays_slashable_until_settlement() {
	ExtBuilder::default().build_and_execute(|| {
		let task = running_task(2);
		assert_ok!(submit(10, task, 0));
		let mut seen = Vec::new();
		while !phase(task).is_terminal() {
			seen.push(phase(task));
			if phase(task) != TaskPhase::Registration || round(task) > 0 {
				assert_noop!(
					DinTasks::leave_task(RuntimeOrigin::signed(10), task),
					Error::<Test>::TaskAlreadyStarted
				);
				assert_eq!(locked(10), spec().min_participant_bond, "{:?}", phase(task));
				assert_noop!(
					Staking::unbond(RuntimeOrigin::signed(10), Role::Participant, 100),
					pallet_din_staking::Error::<Test>::BondLocked
				);
			}
			finish_phase(task);
		}
		for p in [TaskPhase::GlobalReveal, TaskPhase::Scoring, TaskPhase::Rewarding] {
			assert!(seen.contains(&p), "{p:?} was checked");
		}
		// The task ended: the lock is released.
		assert_eq!(locked(10), 0);
	});
}

#[test]
fn leave_task_fails_not_participant() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		assert_noop!(
			DinTasks::leave_task(RuntimeOrigin::signed(10), task),
			Error::<Test>::NotParticipant
		);
	});
}

// ----- cancel_task -----

#[test]
fn cancel_task_works() {
	ExtBuilder::default().build_and_execute(|| {
		let free = Balances::free_balance(OWNER);
		let task = create();
		join(10, task);
		join(11, task);
		assert_ok!(DinTasks::cancel_task(RuntimeOrigin::signed(OWNER), task));
		System::assert_last_event(
			Event::TaskCancelled { task, owner: OWNER, round: 0, refund: POOL }.into(),
		);
		assert_eq!(phase(task), TaskPhase::Cancelled);
		// The deposit stays held until the task's records are pruned.
		assert_eq!(Balances::free_balance(OWNER), free - DinTasks::task_deposit(&spec()));
		assert_eq!(pool_held(OWNER), 0);
		assert_eq!((locked(10), locked(11)), (0, 0));
		assert_eq!(ActiveTasks::<Test>::get(), 0);
		assert_eq!(hook_calls(), vec![HookCall::TaskEnd(task, TaskPhase::Cancelled)]);
		// Its deadline is gone: nothing happens when it would have passed.
		run_to(10);
		assert_eq!(phase(task), TaskPhase::Cancelled);
	});
}

#[test]
fn cancel_task_fails_unknown_task() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			DinTasks::cancel_task(RuntimeOrigin::signed(OWNER), 0),
			Error::<Test>::UnknownTask
		);
	});
}

#[test]
fn cancel_task_fails_not_owner() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		assert_noop!(
			DinTasks::cancel_task(RuntimeOrigin::signed(OTHER), task),
			Error::<Test>::NotOwner
		);
	});
}

#[test]
fn cancel_task_fails_task_already_started() {
	ExtBuilder::default().build_and_execute(|| {
		let task = running_task(1);
		assert_noop!(
			DinTasks::cancel_task(RuntimeOrigin::signed(OWNER), task),
			Error::<Test>::TaskAlreadyStarted
		);
	});
}

#[test]
fn cancel_task_fails_task_ended() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		assert_ok!(DinTasks::cancel_task(RuntimeOrigin::signed(OWNER), task));
		assert_noop!(
			DinTasks::cancel_task(RuntimeOrigin::signed(OWNER), task),
			Error::<Test>::TaskEnded
		);
	});
}

// ----- submit_update -----

#[test]
fn submit_update_works() {
	ExtBuilder::default().build_and_execute(|| {
		let task = running_task(3);
		let s = subgroup(task, 10).expect("assigned");
		assert_ok!(submit(10, task, 0));
		System::assert_last_event(
			Event::UpdateSubmitted {
				task,
				round: 0,
				who: 10,
				subgroup: s,
				cid: cid(b"update"),
				commitment: H256::repeat_byte(9),
				num_samples: 100,
				trained_from: 0,
			}
			.into(),
		);
		let update = Updates::<Test>::get((task, 0), 10).expect("stored");
		assert_eq!(update.num_samples, 100);
		assert_eq!(update.subgroup, s);
		assert_eq!(Rounds::<Test>::get(task, 0).expect("started").updates, 1);
	});
}

/// A task with a 10-block Training phase, `n` participants (10, 11, …) in round 0.
fn running_task_with_long_training(n: u64) -> TaskId {
	start_with(create_with(|s| s.phases.training = 10), n)
}

#[test]
fn training_ends_one_block_after_its_last_expected_update() {
	ExtBuilder::default().build_and_execute(|| {
		let task = running_task_with_long_training(3);
		let deadline = phase_ends(task);
		assert_ok!(submit(10, task, 0));
		assert_ok!(submit(11, task, 0));
		assert_eq!(phase_ends(task), deadline, "one update is still expected");
		run_to(System::block_number() + 2);
		assert_ok!(submit(12, task, 0));
		let now = System::block_number();
		assert!(now + 1 < deadline);
		assert_eq!(phase_ends(task), now + 1);
		System::assert_last_event(
			Event::PhaseClosedEarly { task, round: 0, phase: TaskPhase::Training, ends: now + 1 }
				.into(),
		);
		run_to(now + 1);
		assert_eq!(phase(task), TaskPhase::AggregationCommit);
		// The old deadline holds no stale entry that would advance the task again.
		assert!(!Deadlines::<Test>::get(deadline).contains(&task));
		DinTasks::do_try_state().expect("invariants hold");
	});
}

// ----- asynchronous tasks -----

/// An asynchronous task (buffers of `buffer` updates, `max_staleness` rounds back) with
/// 10-block phases and 3 rounds, `n` participants (10, 11, …) in round 0.
fn asynchronous_task(n: u64, buffer: u32, max_staleness: RoundIndex) -> TaskId {
	start_with(
		create_with(|s| {
			s.phases = PhaseLengths::uniform(10);
			s.rounds = 3;
			s.pacing = Pacing::Asynchronous { buffer, max_staleness };
		}),
		n,
	)
}

/// Through the current round's aggregation to the next round's Training, every vote in at
/// once (the evaluation pallet's closing calls).
fn next_round(task: TaskId) {
	use din_primitives::PhaseClosing;
	let round = round(task);
	run_to(phase_ends(task));
	assert_eq!(phase(task), TaskPhase::AggregationCommit);
	DinTasks::all_in(task, round, TaskPhase::AggregationCommit);
	run_to(System::block_number() + 1);
	DinTasks::all_in(task, round, TaskPhase::AggregationReveal);
	run_to(System::block_number() + 1);
	assert_eq!((phase(task), self::round(task)), (TaskPhase::Training, round + 1));
}

fn submit_stale(
	who: AccountId,
	task: TaskId,
	round: RoundIndex,
	trained_from: RoundIndex,
) -> polkadot_sdk::sp_runtime::DispatchResult {
	DinTasks::submit_stale_update(
		RuntimeOrigin::signed(who),
		task,
		round,
		trained_from,
		cid(b"stale"),
		H256::repeat_byte(8),
		100,
	)
}

#[test]
fn an_asynchronous_round_closes_once_its_buffer_is_full_not_when_everyone_is_in() {
	ExtBuilder::default().build_and_execute(|| {
		let task = asynchronous_task(3, 2, 2);
		let deadline = phase_ends(task);
		assert_ok!(submit(10, task, 0));
		assert_eq!(phase_ends(task), deadline, "the buffer holds one of two");
		assert_ok!(submit(11, task, 0));
		let now = System::block_number();
		assert_eq!(phase_ends(task), now + 1, "participant 12 is not waited for");
		run_to(now + 1);
		assert_eq!(phase(task), TaskPhase::AggregationCommit);
		assert_noop!(submit(12, task, 0), Error::<Test>::NotTraining);
		DinTasks::do_try_state().expect("invariants hold");
	});
}

/// The slow participant trains from round 0's model, misses round 0's buffer, and submits
/// in round 2: its update counts in round 2's buffer with the round it trained from on
/// chain, for its panel to weigh and the rewards to measure against.
#[test]
fn a_slow_participant_submits_its_update_rounds_later_with_the_model_it_trained_from() {
	ExtBuilder::default().build_and_execute(|| {
		let task = asynchronous_task(3, 2, 2);
		assert_ok!(submit(10, task, 0));
		assert_ok!(submit(11, task, 0));
		next_round(task);
		assert_ok!(submit(10, task, 1));
		assert_ok!(submit(11, task, 1));
		next_round(task);
		let s = subgroup(task, 12).expect("assigned in round 2");
		assert_ok!(submit_stale(12, task, 2, 0));
		System::assert_last_event(
			Event::UpdateSubmitted {
				task,
				round: 2,
				who: 12,
				subgroup: s,
				cid: cid(b"stale"),
				commitment: H256::repeat_byte(8),
				num_samples: 100,
				trained_from: 0,
			}
			.into(),
		);
		assert_eq!(Updates::<Test>::get((task, 2), 12).expect("stored").trained_from, 0);
		use din_primitives::TaskInspect;
		assert_eq!(DinTasks::update(task, 2, &12).expect("seen").trained_from, 0);
		// It fills the buffer with one fresh update.
		assert_ok!(submit(10, task, 2));
		assert_eq!(phase_ends(task), System::block_number() + 1);
		DinTasks::do_try_state().expect("invariants hold");
	});
}

#[test]
fn stale_updates_are_refused_outside_the_asynchronous_rules() {
	ExtBuilder::default().build_and_execute(|| {
		let synchronous = running_task(2);
		assert_noop!(submit_stale(10, synchronous, 0, 0), Error::<Test>::TaskIsSynchronous);

		let task = asynchronous_task(3, 2, 1);
		assert_noop!(submit_stale(12, task, 0, 0), Error::<Test>::NotStale);
		assert_ok!(submit(10, task, 0));
		assert_ok!(submit(11, task, 0));
		next_round(task);
		assert_noop!(submit_stale(12, task, 1, 1), Error::<Test>::NotStale);
		assert_noop!(submit_stale(12, task, 2, 1), Error::<Test>::WrongRound);
		assert_ok!(submit(10, task, 1));
		assert_ok!(submit(11, task, 1));
		next_round(task);
		// Two rounds back, one more than the task accepts.
		assert_noop!(submit_stale(12, task, 2, 0), Error::<Test>::TooStale);
		// 10 submitted in round 1 with round 1's model: it cannot claim to have trained
		// from an older one since, to be paid over it.
		assert_noop!(submit_stale(10, task, 2, 1), Error::<Test>::TrainedBeforeItsLastUpdate);
		assert_ok!(submit_stale(12, task, 2, 1));
		assert_noop!(submit(12, task, 2), Error::<Test>::AlreadySubmitted);
		assert_noop!(submit_stale(OTHER, task, 2, 1), Error::<Test>::NotAssigned);
	});
}

#[test]
fn an_asynchronous_task_is_refused_at_creation_where_its_buffer_or_staleness_cannot_work() {
	ExtBuilder::default().build_and_execute(|| {
		let pacing = |buffer, max_staleness| {
			move |s: &mut TaskSpecOf<Test>| {
				s.pacing = Pacing::Asynchronous { buffer, max_staleness }
			}
		};
		assert_spec_fails(pacing(0, 2), Error::<Test>::ZeroBuffer);
		assert_spec_fails(pacing(MaxParticipants::get() + 1, 2), Error::<Test>::BufferTooLarge);
		assert_spec_fails(pacing(2, 0), Error::<Test>::ZeroStaleness);
		assert_spec_fails(
			pacing(2, din_primitives::MAX_STALENESS + 1),
			Error::<Test>::StalenessTooHigh,
		);
		assert_spec_fails(
			|s| {
				pacing(2, 2)(s);
				s.aggregation = AggregationRule::SecureFedAvg;
				s.subgroup_size = 4;
				s.phases.training = 3;
			},
			Error::<Test>::SecureAggregationIsSynchronous,
		);
		create_with(pacing(MaxParticipants::get(), din_primitives::MAX_STALENESS));
	});
}

/// #27's steady state: a round whose every submission comes in the first block it can takes
/// three blocks, whatever the configured lengths (here 10 blocks a phase): the updates (in
/// the block that starts the round), the aggregate commits (Training ends at the next block,
/// drawing the commitment sample; the commit phase ends inside its last commit's block),
/// the aggregate reveals (their settlement starts the next round at the next block). No
/// phase of the rounds before the last votes on a global model.
#[test]
fn a_round_of_prompt_submissions_takes_three_blocks() {
	use din_primitives::PhaseClosing;
	ExtBuilder::default().build_and_execute(|| {
		let task = start_with(create_with(|s| s.phases = PhaseLengths::uniform(10)), 2);
		let started = System::block_number();
		assert_ok!(submit(10, task, 0));
		assert_ok!(submit(11, task, 0));
		run_to(started + 1);
		assert_eq!(phase(task), TaskPhase::AggregationCommit);
		DinTasks::all_in(task, 0, TaskPhase::AggregationCommit);
		assert_eq!(phase(task), TaskPhase::AggregationReveal);
		run_to(started + 2);
		DinTasks::all_in(task, 0, TaskPhase::AggregationReveal);
		run_to(started + 3);
		assert_eq!((phase(task), round(task)), (TaskPhase::Training, 1));
		System::assert_has_event(
			Event::RoundStarted {
				task,
				round: 1,
				participants: 2,
				subgroups: 1,
				training_ends: started + 3 + 10,
			}
			.into(),
		);
		DinTasks::do_try_state().expect("invariants hold");
	});
}

#[test]
fn a_phase_whose_end_does_no_work_ends_in_the_block_of_its_last_submission() {
	use din_primitives::PhaseClosing;
	ExtBuilder::default().build_and_execute(|| {
		let task = start_with(
			create_with(|s| {
				s.phases = PhaseLengths::uniform(10);
				s.phases.aggregation_reveal = 5;
			}),
			2,
		);
		run_to_phase(task, TaskPhase::AggregationCommit);
		let deadline = phase_ends(task);
		let now = System::block_number();
		let hooks_before = hook_calls().len();
		// The evaluation pallet's last expected commit of the phase.
		DinTasks::all_in(task, 0, TaskPhase::AggregationCommit);
		// In this block's state already: a daemon reading it reveals in the next block.
		assert_eq!(phase(task), TaskPhase::AggregationReveal);
		assert_eq!(phase_ends(task), now + 5, "the reveal phase has its whole length");
		System::assert_has_event(
			Event::PhaseClosedEarly {
				task,
				round: 0,
				phase: TaskPhase::AggregationCommit,
				ends: now,
			}
			.into(),
		);
		assert_eq!(hook_calls().len(), hooks_before, "no phase-end hook: the end does no work");
		assert!(!Deadlines::<Test>::get(deadline).contains(&task), "no stale deadline");
		assert!(Deadlines::<Test>::get(now + 5).contains(&task));
		// A reveal phase's end settles votes: it waits for the next block.
		DinTasks::all_in(task, 0, TaskPhase::AggregationReveal);
		assert_eq!(phase(task), TaskPhase::AggregationReveal);
		assert_eq!(phase_ends(task), now + 1);
		run_to(now + 1);
		// Not the last round: the next one starts with the settlement.
		assert_eq!((phase(task), round(task)), (TaskPhase::Training, 1));
		DinTasks::do_try_state().expect("invariants hold");
	});
}

#[test]
fn a_silent_participant_keeps_training_open_until_its_deadline() {
	ExtBuilder::default().build_and_execute(|| {
		let task = running_task_with_long_training(3);
		let deadline = phase_ends(task);
		assert_ok!(submit(10, task, 0));
		assert_ok!(submit(11, task, 0));
		run_to(deadline - 1);
		assert_eq!(phase(task), TaskPhase::Training);
		assert!(!task_events().iter().any(|e| matches!(e, Event::PhaseClosedEarly { .. })));
		run_to(deadline);
		assert_eq!(phase(task), TaskPhase::AggregationCommit);
	});
}

fn run_to_phase(task: TaskId, target: TaskPhase) {
	for _ in 0..64 {
		if phase(task) == target {
			return;
		}
		finish_phase(task);
	}
	panic!("task {task} never reached {target:?}");
}

#[test]
fn an_owner_extends_a_running_task_only_with_a_top_up_that_keeps_the_pool_per_round() {
	ExtBuilder::default().build_and_execute(|| {
		let task = running_task(2);
		let held = pool_held(OWNER);
		let extend = |who, rounds, top_up| {
			DinTasks::extend_task(RuntimeOrigin::signed(who), task, rounds, top_up)
		};
		// Two rounds for 1,000: one more round must bring at least 500.
		assert_noop!(extend(OWNER, 1, 499), Error::<Test>::TopUpTooSmall);
		assert_noop!(extend(OTHER, 1, 500), Error::<Test>::NotOwner);
		assert_noop!(extend(OWNER, 0, 0), Error::<Test>::ZeroRounds);
		assert_noop!(extend(OWNER, 2, 1_000), Error::<Test>::TooManyRounds);
		assert_noop!(
			DinTasks::extend_task(RuntimeOrigin::signed(OWNER), 99, 1, 500),
			Error::<Test>::UnknownTask
		);
		assert_ok!(extend(OWNER, 1, 500));
		System::assert_last_event(Event::TaskExtended { task, rounds: 3, top_up: 500 }.into());
		assert_eq!(pool_held(OWNER), held + 500);
		// The added round's storage is paid for too.
		assert_eq!(deposit_held(OWNER), DinTasks::task_deposit(&spec()) + 5);
		let info = Tasks::<Test>::get(task).expect("exists");
		assert_eq!((info.spec.rounds, info.spec.reward.amount, info.remaining), (3, 1_500, 1_500));
		DinTasks::do_try_state().expect("held = remaining");

		run_to_phase(task, TaskPhase::Scoring);
		assert_eq!(round(task), 2, "the task ran the added round");
		assert_noop!(extend(OWNER, 0, 0), Error::<Test>::TrainingOver);
		run_to_phase(task, TaskPhase::Finished);
		assert_noop!(extend(OWNER, 1, 500), Error::<Test>::TaskEnded);
		// No rewards pallet in this mock: the whole extended pool returns.
		assert_eq!(pool_held(OWNER), 0);
	});
}

// ----- reward pools in an asset -----

fn in_stable(s: &mut TaskSpecOf<Test>) {
	s.reward.asset = RewardAsset::Asset(STABLE);
}

/// A pool in an asset is held in that asset on the owner's account (the deposit stays
/// native), topped up in it, and what is left returns in it when the task ends.
#[test]
fn a_pool_in_an_asset_is_held_topped_up_and_returned_in_that_asset() {
	ExtBuilder::default().build_and_execute(|| {
		let native_free = Balances::free_balance(OWNER);
		let task = start_with(create_with(in_stable), 2);
		System::assert_has_event(
			Event::TaskCreated {
				task,
				owner: OWNER,
				rounds: 2,
				asset: RewardAsset::Asset(STABLE),
				reward: POOL,
				registration_ends: 4,
			}
			.into(),
		);
		assert_eq!(stable(OWNER), (STABLE_ENDOWMENT - POOL, POOL));
		assert_eq!(pool_held(OWNER), 0, "no native token is held for the pool");
		assert_eq!(deposit_held(OWNER), DinTasks::task_deposit(&spec()));
		assert_eq!(Balances::free_balance(OWNER), native_free - deposit_held(OWNER));

		assert_ok!(DinTasks::extend_task(RuntimeOrigin::signed(OWNER), task, 1, 500));
		assert_eq!(stable(OWNER), (STABLE_ENDOWMENT - POOL - 500, POOL + 500));
		DinTasks::do_try_state().expect("held = remaining, per owner and asset");

		run_to_phase(task, TaskPhase::Finished);
		// No rewards pallet in this mock: the whole pool returns, in the asset.
		assert_eq!(stable(OWNER), (STABLE_ENDOWMENT, 0));
	});
}

#[test]
fn a_cancelled_task_refunds_its_asset_pool_in_that_asset() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create_with(in_stable);
		assert_ok!(DinTasks::cancel_task(RuntimeOrigin::signed(OWNER), task));
		System::assert_last_event(
			Event::TaskCancelled { task, owner: OWNER, round: 0, refund: POOL }.into(),
		);
		assert_eq!(stable(OWNER), (STABLE_ENDOWMENT, 0));
	});
}

#[test]
fn a_pool_in_an_asset_that_does_not_exist_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		assert_spec_fails(
			|s| s.reward.asset = RewardAsset::Asset(STABLE + 100),
			Error::<Test>::UnknownRewardAsset,
		);
	});
}

/// Attack: an owner funds its pool in an asset it issued, then freezes its payees' accounts
/// so that their payouts fail, stay in the pool and come back to it. Only the assets the
/// runtime trusts (`RewardAssets`) may fund a pool; the owner holds the refused one.
#[test]
fn a_pool_in_an_asset_the_runtime_does_not_trust_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		assert_spec_fails(
			|s| s.reward.asset = RewardAsset::Asset(UNFIT),
			Error::<Test>::RewardAssetNotAllowed,
		);
	});
}

/// The floor of a pool in an asset is `MinAssetRewardPool` (100 in the mock) of the asset's
/// minimum balances, not the native `MinRewardPool`.
#[test]
fn a_pool_in_an_asset_below_its_floor_of_minimum_balances_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		let floor = 100 * STABLE_MIN;
		assert_spec_fails(
			|s| {
				in_stable(s);
				s.reward.amount = floor - 1;
			},
			Error::<Test>::RewardPoolTooLow,
		);
		create_with(|s| {
			in_stable(s);
			s.reward.amount = floor;
		});
		assert_eq!(stable(OWNER), (STABLE_ENDOWMENT - floor, floor));
	});
}

/// Attack: fund a task with an asset one does not hold (or not enough of), hoping the
/// escrow records a pool that nothing backs.
#[test]
fn a_pool_its_owner_does_not_hold_in_that_asset_is_refused_and_nothing_is_held() {
	ExtBuilder::default().build_and_execute(|| {
		let spec = || {
			let mut s = spec();
			in_stable(&mut s);
			s
		};
		// 10 holds native tokens but no stablecoin.
		assert_noop!(
			DinTasks::create_task(RuntimeOrigin::signed(10), spec()),
			Error::<Test>::InsufficientFunds
		);
		let mut too_much = spec();
		too_much.reward.amount = STABLE_ENDOWMENT + 1;
		assert_noop!(
			DinTasks::create_task(RuntimeOrigin::signed(OWNER), too_much),
			Error::<Test>::InsufficientFunds
		);
		let task = create_with(in_stable);
		assert_noop!(
			DinTasks::extend_task(RuntimeOrigin::signed(OWNER), task, 1, STABLE_ENDOWMENT),
			Error::<Test>::InsufficientFunds
		);
		assert_eq!(stable(OWNER), (STABLE_ENDOWMENT - POOL, POOL));
	});
}

/// Clip norm 1, noise multiplier 1, δ = 10⁻⁵: two rounds spend ε ≈ 7.79, three ≈ 9.81.
fn privacy(epsilon_budget_milli: u32) -> din_primitives::PrivacyPolicy {
	din_primitives::PrivacyPolicy {
		clip_norm_milli: 1_000,
		noise_multiplier_milli: 1_000,
		delta_exponent: 5,
		epsilon_budget_milli,
	}
}

#[test]
fn a_private_task_whose_rounds_would_spend_more_than_its_budget_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		let with = |policy| move |s: &mut TaskSpecOf<Test>| s.privacy = Some(policy);
		assert_spec_fails(with(privacy(7_000)), Error::<Test>::PrivacyBudgetExceeded);
		let zero_clip = din_primitives::PrivacyPolicy { clip_norm_milli: 0, ..privacy(8_000) };
		assert_spec_fails(with(zero_clip), Error::<Test>::ZeroClipNorm);
		let no_noise =
			din_primitives::PrivacyPolicy { noise_multiplier_milli: 0, ..privacy(8_000) };
		assert_spec_fails(with(no_noise), Error::<Test>::ZeroNoiseMultiplier);
		let no_delta = din_primitives::PrivacyPolicy { delta_exponent: 0, ..privacy(8_000) };
		assert_spec_fails(with(no_delta), Error::<Test>::InvalidDeltaExponent);
		let task = create_with(with(privacy(8_000)));
		assert_eq!(Tasks::<Test>::get(task).expect("created").spec.privacy, Some(privacy(8_000)));
	});
}

#[test]
fn each_round_of_a_private_task_records_its_epsilon_and_no_extension_spends_past_the_budget() {
	ExtBuilder::default().build_and_execute(|| {
		let policy = privacy(8_000);
		let task = start_with(create_with(|s| s.privacy = Some(policy)), 2);
		System::assert_last_event(
			Event::PrivacySpent { task, round: 0, epsilon: policy.epsilon_after(1) }.into(),
		);
		assert_noop!(
			DinTasks::extend_task(RuntimeOrigin::signed(OWNER), task, 1, 500),
			Error::<Test>::PrivacyBudgetExceeded
		);
		run_to_phase(task, TaskPhase::Training);
		while round(task) == 0 {
			finish_phase(task);
		}
		let spent = policy.epsilon_after(2);
		assert!(spent <= 8_000 && spent > 7_000, "two rounds spend {spent}");
		System::assert_has_event(Event::PrivacySpent { task, round: 1, epsilon: spent }.into());
		// A task without a policy spends nothing to record.
		let plain = running_task(2);
		assert!(!System::events().iter().any(|r| matches!(
			r.event,
			RuntimeEvent::DinTasks(Event::PrivacySpent { task, .. }) if task == plain
		)));
	});
}

#[test]
fn an_owner_ends_training_after_the_current_round_and_the_pool_stays_whole() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		join(10, task);
		join(11, task);
		let end = |who| DinTasks::end_training(RuntimeOrigin::signed(who), task);
		assert_noop!(end(OWNER), Error::<Test>::NotInRound);
		finish_phase(task);
		assert_eq!(phase(task), TaskPhase::Training);
		assert_noop!(end(OTHER), Error::<Test>::NotOwner);
		let remaining = Tasks::<Test>::get(task).expect("exists").remaining;
		assert_ok!(end(OWNER));
		System::assert_last_event(Event::TrainingEndsAfterRound { task, round: 0 }.into());
		assert_noop!(end(OWNER), Error::<Test>::AlreadyLastRound);
		let info = Tasks::<Test>::get(task).expect("exists");
		assert_eq!((info.spec.rounds, info.remaining), (1, remaining), "the pool is not touched");

		run_to_phase(task, TaskPhase::Scoring);
		assert_eq!(round(task), 0, "Scoring follows the round training was ended in");
		assert_noop!(end(OWNER), Error::<Test>::TrainingOver);
		run_to_phase(task, TaskPhase::Finished);
		assert_noop!(end(OWNER), Error::<Test>::TaskEnded);
	});
}

#[test]
fn submit_update_fails_unknown_task() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(submit(10, 5, 0), Error::<Test>::UnknownTask);
	});
}

#[test]
fn submit_update_fails_not_training() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		join(10, task);
		assert_noop!(submit(10, task, 0), Error::<Test>::NotTraining);
		finish_phase(task);
		finish_phase(task);
		assert_eq!(phase(task), TaskPhase::AggregationCommit);
		assert_noop!(submit(10, task, 0), Error::<Test>::NotTraining);
	});
}

#[test]
fn submit_update_fails_wrong_round() {
	ExtBuilder::default().build_and_execute(|| {
		let task = running_task(1);
		assert_noop!(submit(10, task, 1), Error::<Test>::WrongRound);
	});
}

#[test]
fn submit_update_fails_not_assigned() {
	ExtBuilder::default().build_and_execute(|| {
		let task = running_task(1);
		join(11, task);
		assert_noop!(submit(11, task, 0), Error::<Test>::NotAssigned);
		assert_noop!(submit(OTHER, task, 0), Error::<Test>::NotAssigned);
	});
}

#[test]
fn submit_update_fails_already_submitted() {
	ExtBuilder::default().build_and_execute(|| {
		let task = running_task(1);
		assert_ok!(submit(10, task, 0));
		assert_noop!(submit(10, task, 0), Error::<Test>::AlreadySubmitted);
	});
}

#[test]
fn submit_update_fails_invalid_fields() {
	ExtBuilder::default().build_and_execute(|| {
		let task = running_task(1);
		let o = || RuntimeOrigin::signed(10);
		assert_noop!(
			DinTasks::submit_update(o(), task, 0, cid(b"u"), H256::repeat_byte(9), 0),
			Error::<Test>::ZeroSamples
		);
		assert_noop!(
			DinTasks::submit_update(o(), task, 0, cid(b""), H256::repeat_byte(9), 1),
			Error::<Test>::EmptyCid
		);
		assert_noop!(
			DinTasks::submit_update(o(), task, 0, cid(b"u"), H256::zero(), 1),
			Error::<Test>::ZeroCommitment
		);
	});
}

/// Attack: a participant claims `u64::MAX` training samples, so that every sum of its
/// subgroup's counts overflows (no evaluator could aggregate, the whole panel would be
/// slashed), or 2^60, so that its update alone sets the global model. The claim is over the
/// task's cap and refused; at the cap the update weighs at most `max_samples`.
#[test]
fn u64_max_samples_is_refused_at_submission() {
	ExtBuilder::default().build_and_execute(|| {
		let task = running_task(1);
		let cap = spec().max_samples;
		for claim in [u64::MAX, 1 << 60, cap + 1] {
			assert_noop!(
				DinTasks::submit_update(
					RuntimeOrigin::signed(10),
					task,
					0,
					cid(b"u"),
					H256::repeat_byte(9),
					claim
				),
				Error::<Test>::TooManySamples
			);
		}
		assert_ok!(DinTasks::submit_update(
			RuntimeOrigin::signed(10),
			task,
			0,
			cid(b"u"),
			H256::repeat_byte(9),
			cap
		));
		assert_eq!(Updates::<Test>::get((task, 0), 10).map(|u| u.num_samples), Some(cap));
	});
}

// ----- the round state machine -----

#[test]
fn lifecycle_runs_every_phase_and_finishes() {
	ExtBuilder::default().build_and_execute(|| {
		let free = Balances::free_balance(OWNER);
		let task = create();
		join(10, task);
		join(11, task);
		join(12, task);
		let mut seen = vec![phase(task)];
		while !phase(task).is_terminal() {
			finish_phase(task);
			seen.push(phase(task));
		}
		use TaskPhase::*;
		assert_eq!(
			seen,
			vec![
				Registration,
				Training,
				AggregationCommit,
				AggregationReveal,
				// Round 0's global model is voted on with round 1's aggregates.
				Training,
				AggregationCommit,
				AggregationReveal,
				GlobalCommit,
				GlobalReveal,
				Scoring,
				Rewarding,
				Finished,
			]
		);
		assert_eq!(round(task), 1);
		// Whole pool refunded (no rewards pallet), locks released, assignments cleared; the
		// deposit stays held until the records are pruned.
		assert_eq!(Balances::free_balance(OWNER), free - DinTasks::task_deposit(&spec()));
		assert_eq!(pool_held(OWNER), 0);
		assert_eq!((locked(10), locked(11), locked(12)), (0, 0, 0));
		assert_eq!(Assignments::<Test>::iter_prefix(task).count(), 0);
		assert!(task_events().contains(&Event::TaskFinished {
			task,
			owner: OWNER,
			round: 1,
			refund: POOL
		}));
		let calls = hook_calls();
		assert_eq!(calls[0], HookCall::RoundStart(task, 0, 2));
		assert!(calls.contains(&HookCall::PhaseEnd(task, 0, AggregationReveal)));
		assert!(!calls.contains(&HookCall::PhaseEnd(task, 0, GlobalReveal)));
		assert!(calls.contains(&HookCall::RoundStart(task, 1, 2)));
		assert!(calls.contains(&HookCall::PhaseEnd(task, 1, GlobalReveal)));
		assert!(calls.contains(&HookCall::PhaseEnd(task, 1, Rewarding)));
		assert_eq!(calls.last(), Some(&HookCall::TaskEnd(task, Finished)));
		// Bonds are free again.
		assert_ok!(Staking::unbond(RuntimeOrigin::signed(10), Role::Participant, 100));
	});
}

#[test]
fn a_task_end_over_more_participants_than_a_block_releases_goes_on_in_the_next_blocks() {
	ExtBuilder::default().build_and_execute(|| {
		MaxReleasesPerBlock::set(2);
		let task = create();
		for who in 10..15 {
			join(who, task);
		}
		while phase(task) != TaskPhase::Finished {
			finish_phase(task);
		}
		let still_locked = || (10..15).filter(|who| locked(*who) > 0).count();
		// The block that finished the task released two bonds; three wait, and the task
		// keeps its active slot and a deadline in the next block meanwhile.
		assert_eq!(still_locked(), 3);
		assert_eq!(ActiveTasks::<Test>::get(), 1);
		assert_eq!(phase_ends(task), System::block_number() + 1);
		assert!(task_events().contains(&Event::ParticipantsReleased {
			task,
			released: 2,
			remaining: 3
		}));
		DinTasks::do_try_state().expect("a releasing task keeps the invariants");
		run_to(System::block_number() + 1);
		assert_eq!(still_locked(), 1);
		run_to(System::block_number() + 1);
		assert_eq!(still_locked(), 0);
		assert!(task_events().contains(&Event::ParticipantsReleased {
			task,
			released: 1,
			remaining: 0
		}));
		assert_eq!(ActiveTasks::<Test>::get(), 0);
		assert!(Participants::<Test>::get(task).is_empty());
		assert_eq!(Assignments::<Test>::iter_prefix(task).count(), 0);
		DinTasks::do_try_state().expect("invariants hold once every bond is out");
		// Nothing more is scheduled for it.
		let calls = hook_calls().len();
		run_to(System::block_number() + 3);
		assert_eq!(hook_calls().len(), calls);
	});
}

#[test]
fn a_round_start_that_would_overload_the_settlement_block_waits_one_block() {
	ExtBuilder::default().build_and_execute(|| {
		let task = running_task(3);
		run_to_phase(task, TaskPhase::AggregationReveal);
		// The round's settlement reports the whole of a deadline's share.
		let budget =
			<<Test as Config>::TransitionWeight as polkadot_sdk::frame_support::traits::Get<
				Weight,
			>>::get();
		PHASE_END_WEIGHT.with(|w| *w.borrow_mut() = budget);
		let settled_at = phase_ends(task);
		finish_phase(task);
		assert_eq!((phase(task), round(task)), (TaskPhase::Registration, 1));
		assert_eq!(phase_ends(task), settled_at + 1);
		assert!(!hook_calls().contains(&HookCall::RoundStart(task, 1, 2)));
		DinTasks::do_try_state().expect("invariants hold between the two blocks");
		PHASE_END_WEIGHT.with(|w| *w.borrow_mut() = HOOK_WEIGHT);
		finish_phase(task);
		assert_eq!((phase(task), round(task)), (TaskPhase::Training, 1));
		assert!(hook_calls().contains(&HookCall::RoundStart(task, 1, 2)));
	});
}

/// A task in Registration (8 blocks) that 10..=13 joined at its creation, whose shuffle
/// takes only participants that joined (or left) 3 blocks before its randomness is known.
fn four_joined_with_a_frozen_shuffle() -> TaskId {
	ShuffleLookback::set(3);
	let task = create_with(|s| s.phases.registration = 8);
	for who in 10..=13 {
		join(who, task);
	}
	task
}

/// The subgroups of round 0 of a task that 10..=13 joined at its creation, after 14 joined
/// `before_start` blocks before the round starts, with the shuffle's participants frozen
/// 3 blocks before it. A late joiner is what a participant who can already compute the
/// shuffle would be, choosing whether and when to join to land next to an accomplice.
fn subgroups_of_round_0(before_start: Option<u64>) -> Vec<Vec<AccountId>> {
	subgroups_of_round_0_after(|task| {
		if let Some(before) = before_start {
			run_to(phase_ends(task) - before);
			join(14, task);
		}
	})
}

/// The subgroups of round 0 of a task that 10..=13 joined at its creation, after `late`
/// ran in its Registration phase, with the shuffle's participants frozen 3 blocks before
/// the round starts.
fn subgroups_of_round_0_after(late: impl FnOnce(TaskId)) -> Vec<Vec<AccountId>> {
	let mut groups = Vec::new();
	ExtBuilder::default().build_and_execute(|| {
		let task = four_joined_with_a_frozen_shuffle();
		let start = phase_ends(task);
		late(task);
		finish_phase(task);
		assert_eq!(round(task), 0);
		assert_eq!(phase(task), TaskPhase::Training, "started at {start}");
		groups = DinTasks::subgroups_of(task);
	});
	groups
}

/// Attack: a participant that can compute the shuffle once its randomness is known leaves
/// (or stays) to move its accomplices into the subgroup it wants. A leave after the inputs
/// froze keeps its place in the shuffle: its seat is empty, nobody else moves.
#[test]
fn a_late_leave_cannot_reshape_the_subgroups() {
	const LEAVER: AccountId = 10;
	let leave = |before: u64| {
		move |task| {
			run_to(phase_ends(task) - before);
			assert_ok!(DinTasks::leave_task(RuntimeOrigin::signed(LEAVER), task));
		}
	};
	let without = subgroups_of_round_0(None);
	let emptied: Vec<Vec<AccountId>> = without
		.iter()
		.map(|g| g.iter().copied().filter(|w| *w != LEAVER).collect())
		.collect();
	assert_eq!(subgroups_of_round_0_after(leave(2)), emptied);
	// A leave before the inputs froze takes the participant out of the shuffle (the
	// comparison above can fail).
	let in_time = subgroups_of_round_0_after(leave(5));
	assert!(in_time.iter().flatten().all(|who| *who != LEAVER));
	assert_ne!(in_time, emptied);
}

#[test]
fn a_leave_takes_effect_when_the_first_round_starts() {
	ExtBuilder::default().build_and_execute(|| {
		let task = four_joined_with_a_frozen_shuffle();
		run_to(phase_ends(task) - 1);
		assert_ok!(DinTasks::leave_task(RuntimeOrigin::signed(12), task));
		assert_eq!(locked(12), spec().min_participant_bond, "locked until the round starts");
		finish_phase(task);
		assert_eq!(locked(12), 0);
		assert_eq!(subgroup(task, 12), None);
		assert_eq!(DinTasks::participants_of(task), vec![10, 11, 13]);
		assert!(task_events().iter().any(|e| matches!(
			e,
			Event::RoundStarted { round: 0, participants: 3, subgroups: 2, .. }
		)));
	});
}

#[test]
fn a_late_joiner_cannot_choose_its_subgroup() {
	// Joined once the shuffle's participants were frozen: not shuffled, no change to anyone's
	// subgroup; it is in the next round.
	let without = subgroups_of_round_0(None);
	assert_eq!(subgroups_of_round_0(Some(3)), without);
	// Joined in time, it is shuffled in (the comparison above can fail).
	let in_time = subgroups_of_round_0(Some(4));
	assert!(in_time.iter().flatten().any(|who| *who == 14));
	assert_ne!(in_time, without);
}

#[test]
fn a_late_joiner_is_in_the_next_round() {
	ExtBuilder::default().build_and_execute(|| {
		let task = four_joined_with_a_frozen_shuffle();
		run_to(phase_ends(task) - 1);
		join(14, task);
		finish_phase(task);
		assert_eq!(subgroup(task, 14), None, "frozen out of round 0");
		while round(task) == 0 {
			finish_phase(task);
		}
		assert!(subgroup(task, 14).is_some(), "shuffled into round 1");
	});
}

#[test]
fn round_start_shuffles_into_subgroups() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		for who in 10..=14 {
			join(who, task);
		}
		finish_phase(task);
		System::assert_last_event(
			Event::RoundStarted { task, round: 0, participants: 5, subgroups: 3, training_ends: 6 }
				.into(),
		);
		// ceil(5 / 2) = 3 subgroups of at most G = 2; everyone exactly once.
		let groups = DinTasks::subgroups_of(task);
		assert_eq!(groups.len(), 3);
		assert!(groups.iter().all(|g| !g.is_empty() && g.len() <= 2));
		let mut all: Vec<_> = groups.iter().flatten().copied().collect();
		all.sort();
		assert_eq!(all, vec![10, 11, 12, 13, 14]);
		for (s, g) in groups.iter().enumerate() {
			for who in g {
				assert_eq!(subgroup(task, *who), Some(s as u32));
			}
		}
		// A different round draws a different permutation (with this seed).
		let first: Vec<_> = groups.into_iter().flatten().collect();
		for _ in 0..5 {
			finish_phase(task);
		}
		assert_eq!(round(task), 1);
		let second: Vec<_> = DinTasks::subgroups_of(task).into_iter().flatten().collect();
		assert_ne!(first, second);
	});
}

#[test]
fn round_start_is_deferred_without_enough_participants() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		finish_phase(task);
		System::assert_last_event(
			Event::RoundDeferred { task, round: 0, participants: 0, required: 1, retry_at: 7 }
				.into(),
		);
		assert_eq!(phase(task), TaskPhase::Registration);
		// Still cancellable: no round started.
		join(10, task);
		finish_phase(task);
		assert_eq!(phase(task), TaskPhase::Training);
	});
}

#[test]
fn round_start_waits_when_the_lifecycle_refuses() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		join(10, task);
		refuse_round_start(true);
		finish_phase(task);
		// (`DispatchError::Other` messages are not kept in events.)
		assert!(matches!(
			task_events().last(),
			Some(Event::RoundStartRefused {
				task: 0,
				round: 0,
				error: DispatchError::Other(_),
				retry_at: 7
			})
		));
		assert_eq!(phase(task), TaskPhase::Registration);
		refuse_round_start(false);
		finish_phase(task);
		assert_eq!(phase(task), TaskPhase::Training);
	});
}

#[test]
fn a_refused_later_round_waits_in_registration_and_takes_new_participants() {
	ExtBuilder::default().build_and_execute(|| {
		let task = running_task(1);
		for _ in 0..2 {
			finish_phase(task);
		}
		assert_eq!(phase(task), TaskPhase::AggregationReveal);
		refuse_round_start(true);
		finish_phase(task);
		assert_eq!((phase(task), round(task)), (TaskPhase::Registration, 1));
		// After round 0, neither cancelling nor leaving.
		assert_noop!(
			DinTasks::cancel_task(RuntimeOrigin::signed(OWNER), task),
			Error::<Test>::TaskAlreadyStarted
		);
		assert_noop!(
			DinTasks::leave_task(RuntimeOrigin::signed(10), task),
			Error::<Test>::TaskAlreadyStarted
		);
		join(11, task);
		refuse_round_start(false);
		finish_phase(task);
		assert_eq!((phase(task), round(task)), (TaskPhase::Training, 1));
		assert!(subgroup(task, 11).is_some());
	});
}

#[test]
fn full_deadline_blocks_spill_into_the_next_block() {
	ExtBuilder::default().build_and_execute(|| {
		// Two deadlines fit in a block; the third task's registration ends one block later.
		let a = create();
		let b = create();
		let c = create();
		assert_eq!((phase_ends(a), phase_ends(b), phase_ends(c)), (4, 4, 5));
		run_to(5);
		// All deferred (no participants), each rescheduled.
		assert!(
			task_events()
				.iter()
				.filter(|e| matches!(e, Event::RoundDeferred { .. }))
				.count() == 3
		);
	});
}

/// Run `on_initialize` at the task's deadline (and every block before it) and return the
/// deadline block's weight.
fn deadline_weight(task: TaskId) -> Weight {
	let at = phase_ends(task);
	run_to(at - 1);
	System::set_block_number(at);
	Staking::on_initialize(at);
	DinTasks::on_initialize(at)
}

#[test]
fn deadline_block_is_charged_what_ran_not_the_worst_hook() {
	use crate::weights::WeightInfo;
	ExtBuilder::default().build_and_execute(|| {
		let idle = <() as WeightInfo>::on_initialize_idle();
		let task = create();
		join(10, task);
		join(11, task);
		// Registration ends: a round start over 2 participants and one hook call.
		assert_eq!(
			deadline_weight(task),
			idle + <() as WeightInfo>::on_initialize_round_start(2, 0) + HOOK_WEIGHT
		);
		// Training ends: a phase change and one hook call.
		assert_eq!(
			deadline_weight(task),
			idle + <() as WeightInfo>::on_initialize_phase() + HOOK_WEIGHT
		);
		// A block without deadlines costs the lookup only.
		let next = System::block_number() + 1;
		System::set_block_number(next);
		assert_eq!(DinTasks::on_initialize(next), idle);
	});
}

#[test]
fn phase_with_unfinished_settlement_is_held_until_the_hook_is_done() {
	ExtBuilder::default().build_and_execute(|| {
		let task = running_task(1);
		let ends = phase_ends(task);
		hold_phase_ends(2);
		finish_phase(task);
		// Still Training, continued in the next block, twice; then the phase moves on.
		assert_eq!(phase(task), TaskPhase::Training);
		System::assert_last_event(
			Event::PhaseHeld { task, round: 0, phase: TaskPhase::Training, until: ends + 1 }.into(),
		);
		finish_phase(task);
		assert_eq!((phase(task), phase_ends(task)), (TaskPhase::Training, ends + 2));
		finish_phase(task);
		assert_eq!(phase(task), TaskPhase::AggregationCommit);
		// The next phase's length counts from the block the hook was done.
		assert_eq!(phase_ends(task), ends + 2 + spec().phases.aggregation_commit);
		let ended = hook_calls()
			.iter()
			.filter(|c| **c == HookCall::PhaseEnd(task, 0, TaskPhase::Training))
			.count();
		assert_eq!(ended, 3);
	});
}

#[test]
fn task_that_never_starts_expires_and_is_refunded() {
	ExtBuilder::default().build_and_execute(|| {
		let free = Balances::free_balance(OWNER);
		let task = create();
		for deferral in 1..=MaxRoundDeferrals::get() {
			finish_phase(task);
			assert_eq!(phase(task), TaskPhase::Registration);
			assert_eq!(RoundDeferrals::<Test>::get(task), deferral);
		}
		finish_phase(task);
		assert_eq!(phase(task), TaskPhase::Cancelled);
		System::assert_last_event(
			Event::TaskExpired {
				task,
				owner: OWNER,
				deferrals: MaxRoundDeferrals::get(),
				refund: POOL,
			}
			.into(),
		);
		assert_eq!(Balances::free_balance(OWNER), free - DinTasks::task_deposit(&spec()));
		assert_eq!(ActiveTasks::<Test>::get(), 0);
		assert!(!RoundDeferrals::<Test>::contains_key(task));
		assert_eq!(hook_calls().last(), Some(&HookCall::TaskEnd(task, TaskPhase::Cancelled)));
	});
}

#[test]
fn task_whose_first_round_is_always_refused_expires() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		join(10, task);
		refuse_round_start(true);
		for _ in 0..=MaxRoundDeferrals::get() {
			finish_phase(task);
		}
		assert_eq!(phase(task), TaskPhase::Cancelled);
		// The participant's bond is free again.
		assert_eq!(locked(10), 0);
	});
}

#[test]
fn a_late_first_round_resets_the_deferral_count() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		for _ in 0..MaxRoundDeferrals::get() {
			finish_phase(task);
		}
		// Joined just before the last retry: the round starts, the count is gone.
		join(10, task);
		finish_phase(task);
		assert_eq!(phase(task), TaskPhase::Training);
		assert!(!RoundDeferrals::<Test>::contains_key(task));
		// Later rounds never expire: they hold participants' accepted work.
		for _ in 0..2 {
			finish_phase(task);
		}
		refuse_round_start(true);
		for _ in 0..=2 * MaxRoundDeferrals::get() {
			finish_phase(task);
		}
		assert_eq!((phase(task), round(task)), (TaskPhase::Registration, 1));
	});
}

#[test]
fn three_hundred_stalled_tasks_cannot_stop_a_live_one() {
	const GRIEFER: AccountId = 99;
	const STALLED: u32 = 300;
	MaxActiveTasks::set(STALLED + 1);
	ExtBuilder::default().build_and_execute(|| {
		use polkadot_sdk::frame_support::traits::fungible::Mutate;
		let mut cheap = spec();
		cheap.reward.amount = 100;
		cheap.min_participants = MaxParticipants::get();
		cheap.phases.registration = 1;
		let each = 100 + DinTasks::task_deposit(&cheap);
		Balances::set_balance(&GRIEFER, each * STALLED as Balance + 1_000);
		for _ in 0..STALLED {
			assert_ok!(DinTasks::create_task(RuntimeOrigin::signed(GRIEFER), cheap.clone()));
		}
		let honest = create();
		join(10, honest);
		join(11, honest);
		// Two deadlines per block: the stalled tasks fill 150 blocks of deadline slots on
		// each retry, so every deadline of the honest task may wait that long.
		let nominal = 3 + 2 * 5 + 2 + 2;
		let limit = System::block_number() + nominal + 150 * 16;
		while !phase(honest).is_terminal() && System::block_number() < limit {
			run_to(System::block_number() + 1);
		}
		assert_eq!(phase(honest), TaskPhase::Finished);
		let expired =
			task_events().iter().filter(|e| matches!(e, Event::TaskExpired { .. })).count();
		assert_eq!(expired, STALLED as usize);
		assert_eq!(ActiveTasks::<Test>::get(), 0);
		// Every pool is back; the deposits are, once the expired tasks are pruned.
		assert_eq!(pool_held(GRIEFER), 0);
		run_to(System::block_number() + retention());
		assert_eq!(Balances::free_balance(GRIEFER), each * STALLED as Balance + 1_000);
	});
}

#[test]
fn escrow_pays_and_burns_from_the_pool() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create();
		let issuance = Balances::total_issuance();
		assert_ok!(<DinTasks as TaskEscrow<_, _>>::pay(task, &OTHER, 300));
		System::assert_last_event(
			Event::PoolPaid { task, round: 0, who: OTHER, amount: 300 }.into(),
		);
		assert_eq!(Balances::free_balance(OTHER), 10_300);
		assert_ok!(<DinTasks as TaskEscrow<_, _>>::burn(task, 200));
		System::assert_last_event(
			Event::PoolBurned { task, round: 0, owner: OWNER, amount: 200 }.into(),
		);
		assert_eq!(Balances::total_issuance(), issuance - 200);
		assert_eq!(<DinTasks as TaskEscrow<_, _>>::remaining(task), 500);
		assert_eq!(pool_held(OWNER), 500);
		assert_noop!(
			<DinTasks as TaskEscrow<_, _>>::pay(task, &OTHER, 501),
			Error::<Test>::PoolExhausted
		);
		assert_noop!(<DinTasks as TaskEscrow<_, _>>::burn(task, 501), Error::<Test>::PoolExhausted);
		assert_noop!(<DinTasks as TaskEscrow<_, _>>::pay(9, &OTHER, 1), Error::<Test>::UnknownTask);
		// The rest is refunded on cancel.
		assert_ok!(DinTasks::cancel_task(RuntimeOrigin::signed(OWNER), task));
		System::assert_last_event(
			Event::TaskCancelled { task, owner: OWNER, round: 0, refund: 500 }.into(),
		);
	});
}

#[test]
fn runtime_api_helpers_work() {
	ExtBuilder::default().build_and_execute(|| {
		assert!(DinTasks::task_view(0).is_none());
		let task = running_task(2);
		let view = DinTasks::task_view(task).expect("exists");
		assert_eq!(
			(view.owner, view.phase, view.round, view.participants),
			(OWNER, TaskPhase::Training, 0, 2)
		);
		assert_eq!(view.remaining, POOL);
		assert_eq!(DinTasks::participants_of(task), vec![10, 11]);
		assert_eq!(DinTasks::assignment_of(task, &10).map(|a| a.0), Some(0));
		assert_eq!(DinTasks::subgroups_of(task).len(), 1);
	});
}

#[test]
fn pure_helpers_work() {
	assert_eq!(subgroup_count(0, 3), 0);
	assert_eq!(subgroup_count(7, 3), 3);
	assert_eq!(subgroup_count(6, 3), 2);
	assert_eq!(subgroup_of(5, 3), 2);
	let mut v: Vec<u32> = (0..10).collect();
	shuffle(&mut v, b"seed");
	let mut w: Vec<u32> = (0..10).collect();
	shuffle(&mut w, b"seed");
	assert_eq!(v, w);
	let mut sorted = v.clone();
	sorted.sort();
	assert_eq!(sorted, (0..10).collect::<Vec<_>>());
	use TaskPhase::*;
	assert_eq!(GlobalReveal.next(false), Ok(Training));
	assert_eq!(GlobalReveal.next(true), Ok(Scoring));
	assert_eq!(Finished.next(true), Err(TransitionError::Terminal));
	assert_eq!(Training.cancel(), Err(TransitionError::NotCancellable));
	assert_eq!(Cancelled.cancel(), Err(TransitionError::Terminal));
	assert_eq!(pool_share(1_000u128, 1, 2), 500);
	assert_eq!(pool_share(1_000u128, 1, 3), 334, "rounded up");
	assert_eq!(pool_share(u128::MAX, 3, 1), u128::MAX, "saturates");
}

// ----- property test -----

mod prop {
	use super::*;
	use codec::DecodeAll;
	use proptest::prelude::*;

	#[derive(Debug, Clone)]
	enum Op {
		Create { rounds: u32, g: u32, min: u32, pool: u64 },
		Join(AccountId, TaskId),
		Leave(AccountId, TaskId),
		Cancel(AccountId, TaskId),
		Submit(AccountId, TaskId, RoundIndex, u64),
		Pay(TaskId, u64),
		Burn(TaskId, u64),
		Advance(u64),
	}

	fn op() -> impl Strategy<Value = Op> {
		let who = 9u64..=19;
		let task = 0u32..6;
		prop_oneof![
			(1u32..=3, 1u32..=4, 1u32..=3, 50u64..2_000)
				.prop_map(|(rounds, g, min, pool)| Op::Create { rounds, g, min, pool }),
			(who.clone(), task.clone()).prop_map(|(w, t)| Op::Join(w, t)),
			(who.clone(), task.clone()).prop_map(|(w, t)| Op::Leave(w, t)),
			(prop_oneof![Just(OWNER), Just(OTHER)], task.clone())
				.prop_map(|(w, t)| Op::Cancel(w, t)),
			(who, task.clone(), 0u32..3, 0u64..3).prop_map(|(w, t, r, n)| Op::Submit(w, t, r, n)),
			(task.clone(), 0u64..600).prop_map(|(t, a)| Op::Pay(t, a)),
			(task, 0u64..600).prop_map(|(t, a)| Op::Burn(t, a)),
			(1u64..6).prop_map(Op::Advance),
		]
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(48))]
		#[test]
		fn random_calls_keep_invariants(ops in proptest::collection::vec(op(), 1..80)) {
			ExtBuilder::default().build_and_execute(|| {
				let issuance = Balances::total_issuance();
				let mut burned = 0u64;
				let accounts: Vec<AccountId> = [OWNER, OTHER, 3].into_iter().chain(PARTICIPANTS).collect();
				for op in ops {
					match op {
						Op::Create { rounds, g, min, pool } => {
							let mut s = spec();
							s.rounds = rounds;
							s.subgroup_size = g;
							s.min_participants = min;
							s.reward.amount = pool;
							let _ = DinTasks::create_task(RuntimeOrigin::signed(OWNER), s);
						},
						Op::Join(w, t) => { let _ = DinTasks::join_task(RuntimeOrigin::signed(w), t); },
						Op::Leave(w, t) => { let _ = DinTasks::leave_task(RuntimeOrigin::signed(w), t); },
						Op::Cancel(w, t) => { let _ = DinTasks::cancel_task(RuntimeOrigin::signed(w), t); },
						Op::Submit(w, t, r, n) => {
							let _ = DinTasks::submit_update(RuntimeOrigin::signed(w), t, r, cid(b"u"), H256::repeat_byte(4), n);
						},
						Op::Pay(t, a) => { let _ = <DinTasks as TaskEscrow<_, _>>::pay(t, &OTHER, a); },
						Op::Burn(t, a) => {
							if <DinTasks as TaskEscrow<_, _>>::burn(t, a).is_ok() {
								burned += a;
							}
						},
						Op::Advance(n) => run_to(System::block_number() + n),
					}
					DinTasks::do_try_state().expect("task invariants hold after every step");
					Staking::do_try_state().expect("staking invariants hold after every step");
					// Free + held balances are conserved, up to what was burned.
					use polkadot_sdk::frame_support::traits::fungible::Inspect;
					let total: u64 = accounts.iter().map(Balances::total_balance).sum();
					assert_eq!(total + burned, issuance);
					// A participant's lock is the task bond times the tasks it has an entry in
					// (one it left keeps its entry, and its lock, until the first round; an
					// ended task drops each entry as it releases the lock).
					for who in PARTICIPANTS {
						let in_tasks = crate::Tasks::<Test>::iter()
							.filter(|(id, _)| {
								crate::Participants::<Test>::get(id).iter().any(|p| p.who == who)
							})
							.count() as u64;
						assert_eq!(locked(who), 50 * in_tasks);
					}
				}
			});
		}
	}
	/// One byte of a task spec's SCALE encoding overwritten, counted from its start or its
	/// end (the fields after the model's architecture bytes sit near the end).
	fn mutation() -> impl Strategy<Value = (bool, usize, u8)> {
		(any::<bool>(), 0usize..4_096, any::<u8>())
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(256))]
		/// A `create_task` argument is SCALE from a signed transaction: an owner can send any
		/// bytes. Whatever decodes is either refused with the pallet's named error, holding and
		/// writing nothing, or creates a task that runs to its end with every invariant intact.
		#[test]
		fn a_mutated_task_spec_is_refused_by_name_or_runs_with_invariants_intact(
			mutations in proptest::collection::vec(mutation(), 1..6),
			cut in proptest::option::of(0usize..64),
		) {
			let mut bytes = spec().encode();
			for (from_end, offset, byte) in mutations {
				let offset = offset % bytes.len();
				let index = if from_end { bytes.len() - 1 - offset } else { offset };
				bytes[index] = byte;
			}
			if let Some(cut) = cut {
				bytes.truncate(bytes.len().saturating_sub(cut));
			}
			let Ok(mutated) = TaskSpecOf::<Test>::decode_all(&mut &bytes[..]) else {
				return Ok(());
			};
			ExtBuilder::default().build_and_execute(|| {
				let issuance = Balances::total_issuance();
				let owner_before = Balances::free_balance(OWNER);
				let next = NextTaskId::<Test>::get();
				match DinTasks::create_task(RuntimeOrigin::signed(OWNER), mutated) {
					Err(refused) => {
						assert!(
							matches!(
								refused,
								DispatchError::Module(_) | DispatchError::Token(_) | DispatchError::Arithmetic(_)
							),
							"refused without a named error: {refused:?}"
						);
						assert_eq!(Balances::free_balance(OWNER), owner_before, "a refused spec holds nothing");
						assert_eq!(NextTaskId::<Test>::get(), next, "a refused spec creates nothing");
					},
					Ok(_) => {
						for _ in 0..40 {
							run_to(System::block_number() + 1);
							DinTasks::do_try_state().expect("task invariants hold every block");
						}
					},
				}
				DinTasks::do_try_state().expect("task invariants hold");
				assert_eq!(Balances::total_issuance(), issuance, "no balance appears or vanishes");
			});
		}
	}
}

// ----- the task deposit and the pruning of ended tasks -----

/// Run a task of three participants through both rounds, each submitting every round, to
/// its end; returns it with the block it ended in.
fn finished_task() -> (TaskId, u64) {
	let task = running_task(3);
	for round in 0..2 {
		for who in 10..13 {
			assert_ok!(submit(who, task, round));
		}
		finish_phase(task);
		while !(phase(task).is_terminal() || phase(task) == TaskPhase::Training) {
			finish_phase(task);
		}
	}
	assert_eq!(phase(task), TaskPhase::Finished);
	(task, System::block_number())
}

fn retention() -> u64 {
	<<Test as Config>::RecordRetention as polkadot_sdk::frame_support::traits::Get<u64>>::get()
}

/// Spare weight for a look at the prune queue and one step at most.
fn one_step_of_spare_weight() -> Weight {
	use crate::WeightInfo;
	<() as WeightInfo>::on_idle_nothing_due().saturating_add(
		<() as WeightInfo>::on_idle_prune_round(1).max(<() as WeightInfo>::on_idle_task_pruned()),
	)
}

fn records_of(task: TaskId) -> (bool, usize, usize) {
	(
		Tasks::<Test>::contains_key(task),
		Rounds::<Test>::iter_prefix(task).count(),
		(0..2).map(|round| Updates::<Test>::iter_prefix((task, round)).count()).sum(),
	)
}

#[test]
fn a_finished_task_keeps_its_records_for_the_retention_then_they_are_pruned_and_the_deposit_released(
) {
	ExtBuilder::default().build_and_execute(|| {
		let free = Balances::free_balance(OWNER);
		let (task, ended) = finished_task();
		let deposit = DinTasks::task_deposit(&spec());
		assert_eq!(records_of(task), (true, 2, 6));
		assert_eq!(deposit_held(OWNER), deposit);

		let retention = self::retention();
		run_to(ended + retention - 1);
		assert_eq!(records_of(task), (true, 2, 6), "kept for the whole retention");
		run_to(ended + retention);
		assert_eq!(records_of(task), (false, 0, 0));
		assert!(!TaskDeposits::<Test>::contains_key(task));
		assert_eq!(deposit_held(OWNER), 0);
		assert_eq!(Balances::free_balance(OWNER), free, "pool and deposit are both back");
		System::assert_has_event(Event::TaskPruned { task, owner: OWNER, deposit }.into());
		assert!(hook_calls().contains(&HookCall::PruneRecords(task)));
		assert_eq!(PruneQueue::<Test>::iter().count(), 0);
	});
}

#[test]
fn cancelled_and_expired_tasks_are_pruned_after_the_retention_too() {
	ExtBuilder::default().build_and_execute(|| {
		let cancelled = create();
		assert_ok!(DinTasks::cancel_task(RuntimeOrigin::signed(OWNER), cancelled));
		let expired = create();
		while !phase(expired).is_terminal() {
			finish_phase(expired);
		}
		assert_eq!(phase(expired), TaskPhase::Cancelled);
		run_to(System::block_number() + retention());
		for task in [cancelled, expired] {
			assert!(!Tasks::<Test>::contains_key(task), "task {task} pruned");
		}
		assert_eq!(deposit_held(OWNER), 0);
	});
}

#[test]
fn a_block_with_no_spare_weight_prunes_nothing_and_a_later_one_catches_up() {
	ExtBuilder::default().build_and_execute(|| {
		let (task, ended) = finished_task();
		IDLE_WEIGHT.with(|w| *w.borrow_mut() = Weight::zero());
		run_to(ended + 3 * retention());
		assert_eq!(records_of(task), (true, 2, 6), "full blocks leave the records be");
		IDLE_WEIGHT.with(|w| *w.borrow_mut() = Weight::MAX);
		run_to(System::block_number() + 1);
		assert_eq!(records_of(task), (false, 0, 0));
	});
}

#[test]
fn pruning_spans_blocks_and_never_uses_more_than_the_spare_weight() {
	ExtBuilder::default().build_and_execute(|| {
		let (task, ended) = finished_task();
		run_to(ended + retention() - 1);
		let spare = one_step_of_spare_weight();
		let mut blocks = 0;
		while Tasks::<Test>::contains_key(task) {
			let now = System::block_number() + 1;
			System::set_block_number(now);
			let used = DinTasks::on_idle(now, spare);
			assert!(used.all_lte(spare), "used {used:?} of {spare:?}");
			blocks += 1;
			assert!(blocks < 20, "pruning never ends");
		}
		// One step a block: each round's updates (with its record), then the lifecycle side
		// with the task.
		assert!(blocks >= 3, "pruned in {blocks} blocks");
		assert_eq!(records_of(task), (false, 0, 0));
	});
}

#[test]
fn the_lifecycle_side_is_pruned_before_the_task_record_goes() {
	ExtBuilder::default().build_and_execute(|| {
		let (task, ended) = finished_task();
		// The mock's hook answers "not done" twice; one step a block.
		HELD_RECORD_PRUNES.with(|h| *h.borrow_mut() = 2);
		IDLE_WEIGHT.with(|w| *w.borrow_mut() = one_step_of_spare_weight());
		run_to(ended + retention() - 1);
		let prunes = || hook_calls().iter().filter(|c| **c == HookCall::PruneRecords(task)).count();
		while prunes() < 3 {
			if prunes() > 0 {
				assert!(Tasks::<Test>::contains_key(task), "the task waits for the lifecycle side");
				assert_eq!(records_of(task).1, 0, "after its rounds");
			}
			run_to(System::block_number() + 1);
			assert!(System::block_number() < ended + retention() + 20, "pruning never ends");
		}
		// The task's own record goes in a step of its own after the lifecycle's last.
		run_to(System::block_number() + 1);
		assert!(!Tasks::<Test>::contains_key(task));
		assert_eq!(deposit_held(OWNER), 0);
	});
}

#[test]
fn tasks_are_pruned_in_the_order_they_ended() {
	ExtBuilder::default().build_and_execute(|| {
		let first = create();
		let second = create();
		assert_ok!(DinTasks::cancel_task(RuntimeOrigin::signed(OWNER), second));
		run_to(System::block_number() + 2);
		assert_ok!(DinTasks::cancel_task(RuntimeOrigin::signed(OWNER), first));
		let retention = self::retention();
		run_to(System::block_number() + retention - 2);
		assert!(!Tasks::<Test>::contains_key(second), "ended first, pruned first");
		assert!(Tasks::<Test>::contains_key(first), "still within its retention");
		run_to(System::block_number() + 2);
		assert!(!Tasks::<Test>::contains_key(first));
	});
}

#[test]
fn a_lifecycle_that_reports_no_weight_does_not_stall_the_pruning() {
	ExtBuilder::default().build_and_execute(|| {
		WEIGHTLESS_RECORD_PRUNES.with(|w| *w.borrow_mut() = true);
		let (task, ended) = finished_task();
		run_to(ended + retention() + 1);
		assert!(!Tasks::<Test>::contains_key(task), "pruned although the hook reported nothing");
		let prunes = hook_calls().iter().filter(|c| **c == HookCall::PruneRecords(task)).count();
		assert_eq!(prunes, 1, "the hook's answer was kept, not asked again");
	});
}

// ----- secure aggregation -----

mod secure {
	use super::*;
	use din_secagg::{
		keys::KeyPair,
		mask,
		member::{threshold, Member},
		shamir::Share,
		unmask::{self, Advertised, Handed, Handover as Part},
		Context,
	};
	use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};

	/// A participant of a secure task, as its daemon runs it.
	struct Party {
		who: AccountId,
		share_secret: [u8; 32],
		member: Option<Member>,
		masked: Option<Vec<u64>>,
		values: Vec<i32>,
		samples: u64,
	}

	/// A secure task with `n` participants in one subgroup (10, 11, …), share keys
	/// registered, Training of round 0 (9 blocks) open.
	fn secure_task(n: u64, rng: &mut ChaCha20Rng) -> (TaskId, Vec<Party>) {
		let task = create_with(|s| {
			s.aggregation = AggregationRule::SecureFedAvg;
			s.subgroup_size = n as u32;
			s.phases.training = 9;
		});
		let mut parties = Vec::new();
		for who in 10..10 + n {
			join(who, task);
			let share_secret = KeyPair::generate(rng).secret();
			let public = KeyPair::from_secret(share_secret).public();
			assert_ok!(DinTasks::register_share_key(RuntimeOrigin::signed(who), task, public));
			let values = (0..6).map(|k| (who as i32 - 12) * 1000 + k).collect();
			let samples = 10 + who;
			parties.push(Party { who, share_secret, member: None, masked: None, values, samples });
		}
		finish_phase(task);
		assert_eq!(phase(task), TaskPhase::Training);
		(task, parties)
	}

	fn started_at(task: TaskId) -> u64 {
		Rounds::<Test>::get(task, 0).expect("started").started_at
	}

	fn context(task: TaskId) -> Context {
		Context { task, round: 0, subgroup: 0 }
	}

	/// Every party in `who` advertises, sealing shares to the eligible members.
	fn advertise(task: TaskId, parties: &mut [Party], who: &[AccountId], rng: &mut ChaCha20Rng) {
		let eligible = DinTasks::eligible_members(task, 0, started_at(task));
		let share_publics: Vec<[u8; 32]> = eligible.iter().map(|(_, key)| *key).collect();
		for party in parties.iter_mut().filter(|p| who.contains(&p.who)) {
			let me = eligible.iter().position(|(m, _)| *m == party.who).unwrap() as u32;
			let keys = KeyPair::from_secret(party.share_secret);
			let mut member = Member::new(context(task), me, keys, rng);
			let sealed = member
				.seal_shares(&share_publics, threshold(eligible.len() as u32), rng)
				.unwrap()
				.into_iter()
				.map(|(_, bytes)| SealedShares::try_from(bytes).unwrap())
				.collect::<Vec<_>>();
			assert_ok!(DinTasks::advertise_round_key(
				RuntimeOrigin::signed(party.who),
				task,
				0,
				member.public(),
				member.self_seed_commitment(),
				BoundedVec::truncate_from(sealed),
			));
			party.member = Some(member);
		}
	}

	/// The round keys on chain, as `(member, key)`.
	fn advertised(task: TaskId) -> Vec<Advertised> {
		let mut keys: Vec<Advertised> = RoundKeys::<Test>::iter_prefix_values((task, 0))
			.map(|k| Advertised {
				member: k.member,
				public: k.public,
				self_seed_commitment: k.self_seed_commitment,
			})
			.collect();
		keys.sort_by_key(|a| a.member);
		keys
	}

	fn upload(task: TaskId, party: &mut Party) -> DispatchResult {
		let publics: Vec<(u32, [u8; 32])> =
			advertised(task).iter().map(|a| (a.member, a.public)).collect();
		let member = party.member.as_ref().expect("advertised");
		let masked = member.mask(&party.values, party.samples, &publics).unwrap();
		DinTasks::submit_update(
			RuntimeOrigin::signed(party.who),
			task,
			0,
			cid(b"masked"),
			H256::repeat_byte(9),
			party.samples,
		)?;
		party.masked = Some(masked);
		Ok(())
	}

	fn member_of(task: TaskId, who: AccountId) -> u32 {
		RoundKeys::<Test>::get((task, 0), who).expect("advertised").member
	}

	fn uploaded(task: TaskId) -> Vec<u32> {
		let mut members: Vec<u32> = Updates::<Test>::iter_key_prefix((task, 0))
			.map(|who| member_of(task, who))
			.collect();
		members.sort();
		members
	}

	/// The party's hand-over, from the sealed shares on chain.
	fn hand_over_of(task: TaskId, party: &Party) -> Handover {
		let eligible = DinTasks::eligible_members(task, 0, started_at(task));
		let share_publics: Vec<[u8; 32]> = eligible.iter().map(|(_, key)| *key).collect();
		let member = party.member.as_ref().expect("advertised");
		let received: Vec<(u32, Vec<u8>)> = RoundKeys::<Test>::iter_prefix_values((task, 0))
			.filter_map(|k| Some((k.member, k.sealed_for(member.me())?.to_vec())))
			.collect();
		let advertised: Vec<u32> = advertised(task).iter().map(|a| a.member).collect();
		let (handed, unopened) = member
			.hand_over(&share_publics, &received, &advertised, &uploaded(task))
			.unwrap();
		assert!(unopened.is_empty());
		let shares = handed
			.into_iter()
			.map(|h| HandedShare {
				owner: h.owner,
				share: match h.share {
					Part::SelfSeed(s) | Part::KeySecret(s) => s.y,
				},
			})
			.collect::<Vec<_>>();
		BoundedVec::truncate_from(shares)
	}

	fn hand_over(task: TaskId, party: &Party) -> DispatchResult {
		DinTasks::hand_over_shares(
			RuntimeOrigin::signed(party.who),
			task,
			0,
			hand_over_of(task, party),
		)
	}

	/// What an evaluator unmasks from the chain's record and the uploaded artifacts.
	fn unmask_from_chain(task: TaskId, parties: &[Party]) -> Vec<i64> {
		let uploaded = uploaded(task);
		let handed: Vec<Handed> = Handovers::<Test>::iter_prefix((task, 0))
			.flat_map(|(holder, shares)| {
				let holder = member_of(task, holder);
				let uploaded = &uploaded;
				shares.into_iter().map(move |h| {
					let share = Share { x: holder as u8 + 1, y: h.share };
					let share = if uploaded.contains(&h.owner) {
						Part::SelfSeed(share)
					} else {
						Part::KeySecret(share)
					};
					Handed { holder, owner: h.owner, share }
				})
			})
			.collect();
		let masked: Vec<&[u64]> = parties.iter().filter_map(|p| p.masked.as_deref()).collect();
		let total = mask::sum(masked, 6);
		let eligible = SecureRounds::<Test>::get((task, 0), 0).eligible;
		unmask::recover(
			total,
			&advertised(task),
			&uploaded,
			&handed,
			threshold(eligible),
			&context(task),
		)
		.expect("the chain's record unmasks")
		.weighted_sum
	}

	fn numerator(parties: &[Party]) -> Vec<i64> {
		(0..6)
			.map(|k| {
				parties
					.iter()
					.filter(|p| p.masked.is_some())
					.map(|p| i64::from(p.values[k]) * p.samples as i64)
					.sum()
			})
			.collect()
	}

	fn everyone(parties: &[Party]) -> Vec<AccountId> {
		parties.iter().map(|p| p.who).collect()
	}

	#[test]
	fn a_secure_round_on_chain_unmasks_to_the_survivors_fedavg_sum_when_one_drops_after_uploading()
	{
		ExtBuilder::default().build_and_execute(|| {
			let rng = &mut ChaCha20Rng::seed_from_u64(1);
			let (task, mut parties) = secure_task(4, rng);
			let all = everyone(&parties);
			advertise(task, &mut parties, &all, rng);
			assert_eq!(SecureRounds::<Test>::get((task, 0), 0).advertised.count_ones(), 4);
			for party in parties.iter_mut() {
				assert_ok!(upload(task, party));
			}
			// The last member is killed after uploading: the other three hand over.
			for party in &parties[..3] {
				assert_ok!(hand_over(task, party));
			}
			let deadline = phase_ends(task);
			assert_eq!(unmask_from_chain(task, &parties), numerator(&parties));
			// Training waits for the silent member's hand-over until its deadline.
			run_to(deadline);
			assert_eq!(phase(task), TaskPhase::AggregationCommit);
			DinTasks::do_try_state().expect("invariants hold");
		});
	}

	#[test]
	fn a_member_that_advertised_but_never_uploaded_has_its_pairwise_masks_removed_from_the_sum() {
		ExtBuilder::default().build_and_execute(|| {
			let rng = &mut ChaCha20Rng::seed_from_u64(2);
			let (task, mut parties) = secure_task(4, rng);
			let all = everyone(&parties);
			advertise(task, &mut parties, &all, rng);
			for party in parties.iter_mut().take(3) {
				assert_ok!(upload(task, party));
			}
			assert_noop!(hand_over(task, &parties[0]), Error::<Test>::UploadStepOpen);
			// The upload step closes at its cutoff without the fourth member.
			let (_, upload_cutoff) = din_primitives::secure_step_cutoffs(started_at(task), 9);
			run_to(upload_cutoff);
			assert_noop!(upload(task, &mut parties[3]), Error::<Test>::UploadStepClosed);
			let deadline = phase_ends(task);
			for party in &parties[..3] {
				assert_ok!(hand_over(task, party));
			}
			assert_eq!(unmask_from_chain(task, &parties), numerator(&parties));
			// Every uploader handed over: Training ends at the next block.
			let now = System::block_number();
			assert!(now + 1 < deadline);
			assert_eq!(phase_ends(task), now + 1);
			run_to(now + 1);
			assert_eq!(phase(task), TaskPhase::AggregationCommit);
		});
	}

	#[test]
	fn an_upload_masked_before_the_key_set_is_final_is_refused() {
		ExtBuilder::default().build_and_execute(|| {
			let rng = &mut ChaCha20Rng::seed_from_u64(3);
			let (task, mut parties) = secure_task(4, rng);
			advertise(task, &mut parties, &[10, 11, 12], rng);
			// The fourth member may still advertise: a mask made now would miss its key.
			assert_noop!(upload(task, &mut parties[0]), Error::<Test>::KeyStepOpen);
			let (key_cutoff, _) = din_primitives::secure_step_cutoffs(started_at(task), 9);
			run_to(key_cutoff);
			assert_ok!(upload(task, &mut parties[0]));
			// Too late to advertise: the others masked without it.
			let late = &mut parties[3..];
			let rng2 = &mut ChaCha20Rng::seed_from_u64(4);
			let eligible = DinTasks::eligible_members(task, 0, started_at(task));
			let keys = KeyPair::from_secret(late[0].share_secret);
			let mut member = Member::new(context(task), 3, keys, rng2);
			let publics: Vec<[u8; 32]> = eligible.iter().map(|(_, k)| *k).collect();
			let sealed: Vec<SealedShares> = member
				.seal_shares(&publics, 3, rng2)
				.unwrap()
				.into_iter()
				.map(|(_, b)| SealedShares::try_from(b).unwrap())
				.collect();
			assert_noop!(
				DinTasks::advertise_round_key(
					RuntimeOrigin::signed(late[0].who),
					task,
					0,
					member.public(),
					member.self_seed_commitment(),
					BoundedVec::truncate_from(sealed),
				),
				Error::<Test>::KeyStepClosed
			);
		});
	}

	#[test]
	fn uploads_are_refused_when_too_few_members_advertised_to_hide_one_update() {
		ExtBuilder::default().build_and_execute(|| {
			let rng = &mut ChaCha20Rng::seed_from_u64(5);
			let (task, mut parties) = secure_task(4, rng);
			advertise(task, &mut parties, &[10, 11], rng);
			let (key_cutoff, _) = din_primitives::secure_step_cutoffs(started_at(task), 9);
			run_to(key_cutoff);
			// Two members' sum would tell each the other's update.
			assert_noop!(upload(task, &mut parties[0]), Error::<Test>::TooFewToMask);
		});
	}

	#[test]
	fn a_share_key_registered_after_the_round_started_does_not_make_its_holder_a_member() {
		ExtBuilder::default().build_and_execute(|| {
			let rng = &mut ChaCha20Rng::seed_from_u64(6);
			let task = create_with(|s| {
				s.aggregation = AggregationRule::SecureFedAvg;
				s.subgroup_size = 4;
				s.phases.training = 9;
			});
			for who in 10..14 {
				join(who, task);
			}
			finish_phase(task);
			let key = KeyPair::generate(rng).public();
			assert_ok!(DinTasks::register_share_key(RuntimeOrigin::signed(10), task, key));
			assert_noop!(
				DinTasks::register_share_key(RuntimeOrigin::signed(10), task, key),
				Error::<Test>::ShareKeyAlreadyRegistered
			);
			assert_noop!(
				DinTasks::advertise_round_key(
					RuntimeOrigin::signed(10),
					task,
					0,
					[7; 32],
					[8; 32],
					BoundedVec::new(),
				),
				Error::<Test>::NoShareKey
			);
			assert!(DinTasks::eligible_members(task, 0, started_at(task)).is_empty());
		});
	}

	/// Attack: a member registers or advertises an X25519 key of small order (not only the
	/// all-zero one), so that every honest member's agreement with it fails: nobody can seal
	/// shares to it or mask against it, and its subgroup uploads nothing, at no cost to it.
	#[test]
	fn a_share_key_or_round_key_of_small_order_is_refused() {
		// The all-zero key (order 4) and a point of order 8 (RFC 7748's blocklist), the
		// latter also with bit 255 set, which X25519 ignores.
		let mut order_eight = [
			0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f,
			0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16,
			0x5f, 0x49, 0xb8, 0x00,
		];
		let mut keys = vec![[0u8; 32], order_eight];
		order_eight[31] |= 0x80;
		keys.push(order_eight);
		ExtBuilder::default().build_and_execute(|| {
			let task = create_with(|s| {
				s.aggregation = AggregationRule::SecureFedAvg;
				s.subgroup_size = 4;
				s.phases.training = 9;
			});
			join(10, task);
			for key in &keys {
				assert_noop!(
					DinTasks::register_share_key(RuntimeOrigin::signed(10), task, *key),
					Error::<Test>::SmallOrderKey
				);
			}
		});
		ExtBuilder::default().build_and_execute(|| {
			let rng = &mut ChaCha20Rng::seed_from_u64(7);
			let (task, _parties) = secure_task(4, rng);
			for key in &keys {
				assert_noop!(
					DinTasks::advertise_round_key(
						RuntimeOrigin::signed(10),
						task,
						0,
						*key,
						[8; 32],
						BoundedVec::truncate_from(vec![[0u8; 81]; 3]),
					),
					Error::<Test>::SmallOrderKey
				);
			}
		});
	}

	#[test]
	fn advertisements_and_hand_overs_that_break_the_protocols_rules_are_refused() {
		ExtBuilder::default().build_and_execute(|| {
			let rng = &mut ChaCha20Rng::seed_from_u64(7);
			let (task, mut parties) = secure_task(4, rng);
			// Sealed shares for fewer than every other eligible member.
			assert_noop!(
				DinTasks::advertise_round_key(
					RuntimeOrigin::signed(10),
					task,
					0,
					[7; 32],
					[8; 32],
					BoundedVec::truncate_from(vec![[0u8; 81]; 2]),
				),
				Error::<Test>::WrongShareCount
			);
			advertise(task, &mut parties, &[10, 11, 12], rng);
			assert_noop!(
				DinTasks::advertise_round_key(
					RuntimeOrigin::signed(10),
					task,
					0,
					[7; 32],
					[8; 32],
					BoundedVec::truncate_from(vec![[0u8; 81]; 3]),
				),
				Error::<Test>::AlreadyAdvertised
			);
			let (key_cutoff, upload_cutoff) =
				din_primitives::secure_step_cutoffs(started_at(task), 9);
			run_to(key_cutoff);
			// The fourth never advertised: it cannot upload.
			assert_noop!(
				DinTasks::submit_update(
					RuntimeOrigin::signed(13),
					task,
					0,
					cid(b"masked"),
					H256::repeat_byte(9),
					5
				),
				Error::<Test>::NotAdvertised
			);
			for party in parties.iter_mut().take(2) {
				assert_ok!(upload(task, party));
			}
			run_to(upload_cutoff);
			// Member 12 advertised but did not upload: it has nothing to hand over.
			assert_noop!(hand_over(task, &parties[2]), Error::<Test>::NotUploaded);
			let honest = hand_over_of(task, &parties[0]);
			let mut unsorted = honest.clone().into_inner();
			unsorted.reverse();
			let unknown =
				(0..4).find(|m| !advertised(task).iter().any(|a| a.member == *m)).unwrap();
			let mut stranger = honest.clone().into_inner();
			stranger[0].owner = unknown;
			stranger.sort_by_key(|h| h.owner);
			for (shares, error) in [
				(unsorted, Error::<Test>::SharesNotSorted),
				(stranger, Error::<Test>::UnknownShareOwner),
			] {
				let shares = BoundedVec::truncate_from(shares);
				assert_noop!(
					DinTasks::hand_over_shares(RuntimeOrigin::signed(10), task, 0, shares),
					error
				);
			}
			assert_ok!(DinTasks::hand_over_shares(RuntimeOrigin::signed(10), task, 0, honest));
			assert_noop!(hand_over(task, &parties[0]), Error::<Test>::AlreadyHandedOver);
		});
	}

	#[test]
	fn a_task_that_cannot_aggregate_securely_is_refused_at_creation() {
		ExtBuilder::default().build_and_execute(|| {
			let secure = |g: u32| {
				move |s: &mut TaskSpecOf<Test>| {
					s.aggregation = AggregationRule::SecureFedAvg;
					s.subgroup_size = g;
				}
			};
			assert_spec_fails(secure(2), Error::<Test>::SecureSubgroupTooSmall);
			assert_spec_fails(
				|s| {
					secure(4)(s);
					s.max_samples = 1 << 30;
				},
				Error::<Test>::SecureSampleCapTooHigh,
			);
			assert_spec_fails(
				|s| {
					secure(4)(s);
					s.privacy = Some(privacy(u32::MAX));
				},
				Error::<Test>::PrivacyNeedsPlainUpdates,
			);
			// Three steps of at least `MinPhaseLength` (1 in the mock) each.
			assert_spec_fails(
				|s| {
					secure(4)(s);
					s.phases.training = 2;
				},
				Error::<Test>::SecureTrainingTooShort,
			);
			create_with(|s| {
				secure(4)(s);
				s.phases.training = 3;
			});
			// A plain task takes no keys.
			let task = create();
			join(10, task);
			assert_noop!(
				DinTasks::register_share_key(RuntimeOrigin::signed(10), task, [7; 32]),
				Error::<Test>::NotSecureAggregation
			);
		});
	}
}
