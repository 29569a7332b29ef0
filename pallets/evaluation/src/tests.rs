//! Tests of pallet-din-evaluation, driven through the real tasks, staking and rewards
//! pallets: every round runs the task's state machine block by block.

use crate::{fixtures, mock::*, *};
use din_primitives::{Role, ScoringRule};
use polkadot_sdk::{
	frame_support::{
		assert_noop, assert_ok,
		traits::fungible::{Inspect, InspectHold},
	},
	sp_core::H256,
	sp_runtime::{BoundedVec, Perbill},
};

/// The aggregate every honest evaluator of subgroup `s` reveals.
fn honest_aggregate(s: SubgroupIndex) -> H256 {
	H256::repeat_byte(0x40 + s as u8)
}

/// Run Training (each participant submits `commitment_of(p)`) and move to
/// AggregationCommit.
fn train(task: TaskId, commitment_of: impl Fn(AccountId) -> [u8; 32]) {
	run_until(task, TaskPhase::Training);
	for p in PARTICIPANTS {
		submit(task, p, commitment_of(p));
	}
	finish_phase(task);
	assert_eq!(phase(task).0, TaskPhase::AggregationCommit);
}

/// Every panel member of every subgroup commits and reveals the honest aggregate with an
/// empty invalid set, except where `deviate(who, subgroup)` says otherwise (`None`: stays
/// silent after committing).
fn aggregate(
	task: TaskId,
	deviate: impl Fn(AccountId, SubgroupIndex) -> Option<Option<(H256, Vec<AccountId>)>>,
) {
	let round = phase(task).1;
	let subgroups = DinTasks::subgroups_of(task).len() as u32;
	let choice = |who, s| match deviate(who, s) {
		Some(c) => c,
		None => Some((honest_aggregate(s), vec![])),
	};
	for s in 0..subgroups {
		for who in panel(task, round, s) {
			let (c, inv) = choice(who, s).unwrap_or((honest_aggregate(s), vec![]));
			commit_aggregate(task, who, s, c, &inv);
		}
	}
	finish_phase(task);
	for s in 0..subgroups {
		for who in panel(task, round, s) {
			if let Some((c, inv)) = choice(who, s) {
				reveal_aggregate(task, who, s, c, &inv);
			}
		}
	}
	finish_phase(task);
	let last = round + 1 >= pallet_din_tasks::Tasks::<Test>::get(task).expect("exists").spec.rounds;
	if last {
		assert_eq!(phase(task).0, TaskPhase::GlobalCommit);
	} else {
		// The next round starts with the settlement, or a block later where the two would
		// outweigh `TransitionWeight` (the mock's worst-case weights do).
		run_until(task, TaskPhase::Training);
		assert_eq!(phase(task).1, round + 1, "the next round follows the settlement");
	}
}

/// Every evaluator of the last round commits and reveals [`GLOBAL`]; moves past
/// GlobalReveal. (Earlier rounds' global models are voted on by the next round's
/// evaluators with their aggregates: `mock::pipelined_vote`.)
fn global(task: TaskId) {
	vote_global(task, |_| Some(GLOBAL));
}

/// The `i`-th round evaluator commits and reveals `vote(i)`, or stays silent on `None`;
/// moves past GlobalReveal.
fn vote_global(task: TaskId, vote: impl Fn(usize) -> Option<H256>) {
	let round = phase(task).1;
	let voters = round_evaluators(task, round);
	for (i, who) in voters.iter().enumerate() {
		if let Some(commitment) = vote(i) {
			commit_global(task, *who, commitment);
		}
	}
	finish_phase(task);
	for (i, who) in voters.iter().enumerate() {
		if let Some(commitment) = vote(i) {
			reveal_global(task, *who, commitment);
		}
	}
	finish_phase(task);
}

/// One honest round: everyone submits `commitment_of(p)`, every vote is unanimous.
fn honest_round(task: TaskId, commitment_of: impl Fn(AccountId) -> [u8; 32]) {
	train(task, commitment_of);
	aggregate(task, |_, _| None);
	if phase(task).0 == TaskPhase::GlobalCommit {
		global(task);
	}
}

/// Model A for participants 10 and 11, model B for 12 and 13.
fn models(p: AccountId) -> [u8; 32] {
	if p < 12 {
		fixtures::MODEL_A_COMMITMENT
	} else {
		fixtures::MODEL_B_COMMITMENT
	}
}

fn slashes() -> Vec<(AccountId, Role, din_primitives::Offence)> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Staking(pallet_din_staking::Event::Slashed {
				who, role, reason, ..
			}) => Some((who, role, reason.offence)),
			_ => None,
		})
		.collect()
}

// ----- pool -----

#[test]
fn register_needs_an_evaluator_bond_and_is_unique() {
	ExtBuilder::default().evaluators(vec![]).build_and_execute(|| {
		assert_noop!(
			Evaluation::register_evaluator(RuntimeOrigin::signed(OWNER)),
			Error::<Test>::InsufficientEvaluatorBond
		);
		assert_ok!(Evaluation::register_evaluator(RuntimeOrigin::signed(30)));
		assert_noop!(
			Evaluation::register_evaluator(RuntimeOrigin::signed(30)),
			Error::<Test>::AlreadyRegistered
		);
		let pool = Pool::<Test>::get().into_inner();
		assert_eq!(
			pool.iter().map(|m| (m.who, m.bond, m.joined_at)).collect::<Vec<_>>(),
			vec![(30, EVALUATOR_BOND, 1)]
		);
		assert_ok!(Evaluation::deregister_evaluator(RuntimeOrigin::signed(30)));
		assert_noop!(
			Evaluation::deregister_evaluator(RuntimeOrigin::signed(30)),
			Error::<Test>::AlreadyLeaving
		);
		assert_noop!(
			Evaluation::register_evaluator(RuntimeOrigin::signed(30)),
			Error::<Test>::StillLeaving
		);
		assert_noop!(
			Evaluation::deregister_evaluator(RuntimeOrigin::signed(31)),
			Error::<Test>::NotRegistered
		);
		// The leave holds for draws with randomness known from the next block on (the mock
		// has no lookback): registering again first removes the old member.
		run_to(2);
		assert_ok!(Evaluation::register_evaluator(RuntimeOrigin::signed(30)));
		assert!(evaluation_events()
			.iter()
			.any(|e| matches!(e, Event::EvaluatorLeft { who: 30 })));
		let pool = Pool::<Test>::get().into_inner();
		assert_eq!(pool.iter().map(|m| (m.who, m.joined_at)).collect::<Vec<_>>(), vec![(30, 2)]);
		assert!(Leaving::<Test>::get().is_empty());
		// A full pool refuses the next member, bonded or not.
		let members: Vec<_> = (100..116).map(|who| Evaluation::pool_member(who, 0)).collect();
		Pool::<Test>::put(BoundedVec::truncate_from(members));
		assert_noop!(
			Evaluation::register_evaluator(RuntimeOrigin::signed(30)),
			Error::<Test>::PoolFull
		);
	});
}

// ----- sortition -----

#[test]
fn panels_hold_q_distinct_evaluators_and_lock_a_bond_per_seat() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create(spec(1, zk()), &PARTICIPANTS);
		run_until(task, TaskPhase::Training);
		let mut seats = std::collections::BTreeMap::<AccountId, u64>::new();
		for s in 0..2 {
			let p = panel(task, 0, s);
			assert_eq!(p.len(), 3);
			let mut d = p.clone();
			d.sort();
			d.dedup();
			assert_eq!(d.len(), 3, "an evaluator sits twice on panel {s}: {p:?}");
			for e in p {
				*seats.entry(e).or_default() += 1;
			}
		}
		for e in EVALUATORS {
			let expected = seats.get(&e).copied().unwrap_or(0) * (EVALUATOR_BOND / 4);
			assert_eq!(locked(e, Role::Evaluator), expected, "locks of {e}");
		}
	});
}

/// The panels of round 0 of a task whose registration runs from block 10 to 18, with the
/// draw's inputs frozen 3 blocks before it, after `change` (if any) ran `before_draw`
/// blocks before the draw.
fn panels_of_round_0(before_draw: u64, change: impl FnOnce(TaskId)) -> Vec<Vec<AccountId>> {
	let mut panels = Vec::new();
	ExtBuilder::default()
		.evaluators(vec![30, 31, 32, 33, 34])
		.build_and_execute(|| {
			SortitionLookback::set(3);
			run_to(10);
			let mut s = spec(1, zk());
			s.phases.registration = 8;
			let task = create(s, &PARTICIPANTS);
			run_to(18 - before_draw);
			change(task);
			run_until(task, TaskPhase::Training);
			assert_eq!(System::block_number(), 18, "drawn at the end of registration");
			panels = (0..2).map(|s| panel(task, 0, s)).collect();
		});
	panels
}

/// Evaluator 35 joins the pool, 30 bonds forty times more and 31 gains a large evaluator
/// reputation: each raises that evaluator's chance, if the draw reads it.
fn raise_chances(task: TaskId) {
	assert_ok!(Evaluation::register_evaluator(RuntimeOrigin::signed(35)));
	assert_ok!(Staking::bond(RuntimeOrigin::signed(30), Role::Evaluator, 40 * EVALUATOR_BOND));
	<Staking as din_primitives::Reputation<AccountId>>::reward(
		&31,
		Role::Evaluator,
		1_000,
		task,
		0,
	);
}

#[test]
fn late_pool_changes_do_not_alter_panels() {
	let unchanged = panels_of_round_0(3, |_| {});
	// Made once the draw's inputs are frozen (within the lookback), the changes do nothing.
	let late = panels_of_round_0(3, raise_chances);
	assert_eq!(late, unchanged);
	assert!(!late.concat().contains(&35), "a late joiner is never drawn");
	// Made in time, the same changes do move the draw: the test above can fail.
	assert_ne!(panels_of_round_0(4, raise_chances), unchanged);
}

/// Evaluators 30 and 31 ask to leave the pool, and 32 tries to unbond what it committed,
/// each to reshape the draw, if the draw lets them.
fn drop_out(_task: TaskId) {
	assert_ok!(Evaluation::deregister_evaluator(RuntimeOrigin::signed(30)));
	assert_ok!(Evaluation::deregister_evaluator(RuntimeOrigin::signed(31)));
	assert_noop!(
		Staking::unbond(RuntimeOrigin::signed(32), Role::Evaluator, EVALUATOR_BOND / 2),
		pallet_din_staking::Error::<Test>::BelowCommittedBond
	);
}

#[test]
fn dropping_out_once_the_seed_is_known_does_not_alter_panels() {
	let unchanged = panels_of_round_0(3, |_| {});
	assert!(unchanged.concat().iter().any(|e| [30, 31].contains(e)), "a leaver is drawn");
	// Asked for once the draw's inputs are frozen (within the lookback), the leaves do
	// nothing: the leavers are drawn as before.
	assert_eq!(panels_of_round_0(3, drop_out), unchanged);
	// Asked for in time, they take effect: the test above can fail.
	let early = panels_of_round_0(4, drop_out).concat();
	assert!(!early.contains(&30) && !early.contains(&31), "{early:?}");
}

#[test]
fn unbonding_cannot_touch_the_bond_committed_to_the_pool() {
	ExtBuilder::default().build_and_execute(|| {
		SortitionLookback::set(3);
		let unbond = |amount| Staking::unbond(RuntimeOrigin::signed(30), Role::Evaluator, amount);
		assert_noop!(unbond(1), pallet_din_staking::Error::<Test>::BelowCommittedBond);
		// What was bonded after joining the pool is not committed: it can go.
		assert_ok!(Staking::bond(RuntimeOrigin::signed(30), Role::Evaluator, 500));
		assert_noop!(unbond(501), pallet_din_staking::Error::<Test>::BelowCommittedBond);
		assert_ok!(unbond(500));
		// Asking to leave commits the bond until the leave holds for every draw to come.
		assert_ok!(Evaluation::deregister_evaluator(RuntimeOrigin::signed(30)));
		let asked = System::block_number();
		run_to(asked + 3);
		assert_noop!(unbond(1), pallet_din_staking::Error::<Test>::BelowCommittedBond);
		run_to(asked + 4);
		assert_ok!(unbond(EVALUATOR_BOND));
		// A participant bond is committed to no draw.
		assert_eq!(
			<Evaluation as din_primitives::BondCommitment<_, _>>::committed(&30, Role::Participant),
			0
		);
	});
}

#[test]
fn too_small_a_pool_defers_the_round_and_locks_nothing() {
	ExtBuilder::default().evaluators(vec![30, 31]).build_and_execute(|| {
		let task = create(spec(1, zk()), &PARTICIPANTS);
		finish_phase(task);
		assert_eq!(phase(task).0, TaskPhase::Registration, "the round waits");
		assert!(evaluation_events().iter().any(|e| matches!(
			e,
			Event::SortitionDeferred { task: 0, round: 0, eligible: 2, required: 3, .. }
		)));
		assert!(System::events().iter().any(|r| matches!(
			r.event,
			RuntimeEvent::DinTasks(pallet_din_tasks::Event::RoundStartRefused { .. })
		)));
		assert_eq!(locked(30, Role::Evaluator), 0);
		assert!(panel(task, 0, 0).is_empty());
		// A third evaluator joins: the retry succeeds.
		assert_ok!(Evaluation::register_evaluator(RuntimeOrigin::signed(32)));
		finish_phase(task);
		assert_eq!(phase(task).0, TaskPhase::Training);
	});
}

#[test]
fn an_evaluator_below_a_raised_minimum_bond_is_not_drawn() {
	ExtBuilder::default().evaluators(vec![30, 31, 32]).build_and_execute(|| {
		// 33 and 34 commit twice the bond of 30, 31 and 32 to the pool.
		for who in [33, 34] {
			assert_ok!(Staking::bond(RuntimeOrigin::signed(who), Role::Evaluator, EVALUATOR_BOND));
			assert_ok!(Evaluation::register_evaluator(RuntimeOrigin::signed(who)));
		}
		let task = create(spec(1, zk()), &PARTICIPANTS);
		// Governance raises the minimum between the two bonds: only 33 and 34 are drawable,
		// two of the three seats a panel needs.
		MinEvaluatorBond::set(EVALUATOR_BOND + EVALUATOR_BOND / 2);
		finish_phase(task);
		assert_eq!(phase(task).0, TaskPhase::Registration, "the round waits");
		assert!(evaluation_events().iter().any(|e| matches!(
			e,
			Event::SortitionDeferred { task: 0, round: 0, eligible: 2, required: 3, .. }
		)));
		assert!(panel(task, 0, 0).is_empty());
		// Lowered again, every member is drawable and the retry draws the panels.
		MinEvaluatorBond::set(100);
		finish_phase(task);
		assert_eq!(phase(task).0, TaskPhase::Training);
	});
}

#[test]
fn leaving_the_pool_keeps_seats_already_drawn() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create(spec(1, zk()), &PARTICIPANTS);
		run_until(task, TaskPhase::Training);
		let seated = panel(task, 0, 0)[0];
		let lock = locked(seated, Role::Evaluator);
		assert!(lock > 0);
		assert_ok!(Evaluation::deregister_evaluator(RuntimeOrigin::signed(seated)));
		run_to(System::block_number() + 1);
		Evaluation::remove_left(Evaluation::randomness_known_since());
		assert!(!Pool::<Test>::get().iter().any(|m| m.who == seated), "the leave took effect");
		// The seat, its duty and the bond behind it stay until the round ends.
		assert!(panel(task, 0, 0).contains(&seated));
		assert!(Evaluation::is_round_evaluator(task, 0, &seated));
		assert_eq!(locked(seated, Role::Evaluator), lock);
	});
}

#[test]
fn round_starts_beyond_the_panel_bounds_are_refused_and_lock_nothing() {
	use din_primitives::RoundLifecycle;
	ExtBuilder::default().build_and_execute(|| {
		let task = create(spec(1, zk()), &PARTICIPANTS);
		run_to(2);
		// More subgroups than `MaxSubgroups` (4 here): the panels would not fit their bound.
		let (_, refused) = <Evaluation as RoundLifecycle>::on_round_start(task, 0, 5);
		assert_eq!(refused, Err(Error::<Test>::TooManySubgroups.into()));
		// A task whose Q exceeds `MaxPanelSize` (5 here), which only a runtime whose tasks
		// pallet allows larger panels than this one can hold could create.
		pallet_din_tasks::Tasks::<Test>::mutate(task, |info| {
			info.as_mut().expect("created").spec.evaluators_per_subgroup = 6;
		});
		let (_, refused) = <Evaluation as RoundLifecycle>::on_round_start(task, 0, 1);
		assert_eq!(refused, Err(Error::<Test>::PanelTooLarge.into()));
		for e in EVALUATORS {
			assert_eq!(locked(e, Role::Evaluator), 0, "{e} locked nothing");
		}
		assert!(panel(task, 0, 0).is_empty());
		assert!(RoundEvaluators::<Test>::get(task, 0).is_empty());
	});
}

#[test]
fn the_weighted_draw_never_repeats_and_prefers_weight() {
	let mut wins = [0u32; 3];
	for seed in 0u32..300 {
		let mut c = vec![
			Candidate { who: 0u8, weight: 1, seats_left: 10 },
			Candidate { who: 1u8, weight: 1, seats_left: 10 },
			Candidate { who: 2u8, weight: 8, seats_left: 10 },
		];
		let panels = draw_panels(&mut c, 1, 1, &seed.to_le_bytes()).unwrap();
		wins[panels[0][0] as usize] += 1;
		let mut c2 = c.clone();
		let full = draw_panels(&mut c2, 2, 3, &seed.to_le_bytes()).unwrap();
		for p in full {
			let mut d = p.clone();
			d.sort();
			d.dedup();
			assert_eq!(d.len(), 3);
		}
	}
	assert!(
		wins[2] > wins[0] * 3 && wins[2] > wins[1] * 3,
		"weight 8 of 10 should win most draws: {wins:?}"
	);
	let mut c = vec![
		Candidate { who: 0u8, weight: 5, seats_left: 1 },
		Candidate { who: 1u8, weight: 5, seats_left: 1 },
	];
	assert_eq!(
		draw_panels(&mut c, 3, 1, b"x").unwrap_err(),
		PoolTooSmall { subgroup: 2, eligible: 0 }
	);
}

// ----- aggregation -----

#[test]
fn honest_majority_accepts_every_update_and_credits_the_panel() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create(spec(1, zk()), &PARTICIPANTS);
		let reputation_before: Vec<u32> = EVALUATORS
			.iter()
			.map(|e| pallet_din_staking::ReputationOf::<Test>::get(e, Role::Evaluator))
			.collect();
		honest_round(task, models);
		for s in 0..2 {
			match SubgroupResults::<Test>::get(task, (0, s)) {
				Some(SubgroupResult::Accepted(r)) => {
					assert_eq!(r.commitment, honest_aggregate(s));
					assert!(r.invalid.is_empty());
				},
				other => panic!("subgroup {s}: {other:?}"),
			}
		}
		for p in PARTICIPANTS {
			assert_eq!(AcceptedUpdates::<Test>::get(task, p), 1);
		}
		assert_eq!(GlobalModels::<Test>::get(task, 0).map(|m| m.commitment), Some(GLOBAL));
		assert!(slashes().is_empty());
		// Seats are free again, work and reputation credited.
		for e in EVALUATORS {
			assert_eq!(locked(e, Role::Evaluator), 0);
		}
		let e = panel(task, 0, 0)[0];
		assert!(Work::<Test>::get(task, e) >= 2, "aggregate + global reveal");
		let i = EVALUATORS.iter().position(|a| *a == e).expect("panels come from the pool");
		assert!(
			pallet_din_staking::ReputationOf::<Test>::get(e, Role::Evaluator)
				> reputation_before[i],
			"accepted work raises reputation"
		);
		assert!(AggregateVotes::<Test>::iter().next().is_none(), "votes are cleared");
	});
}

/// Submit every `(who, vote)` of one phase in one block: the phase keeps its deadline until
/// the last, which ends it in that same block if it is a commit phase (whose end does no
/// work), else at the next block; the task is then in `next`.
fn last_vote_closes_the_phase(task: TaskId, votes: Vec<Box<dyn Fn()>>, next: TaskPhase) {
	let (current, round) = phase(task);
	let deadline = pallet_din_tasks::Tasks::<Test>::get(task).expect("exists").phase_ends;
	let now = System::block_number();
	assert!(deadline > now + 1, "{current:?} has room to end early");
	let (last, rest) = votes.split_last().expect("a phase expects votes");
	for vote in rest {
		vote();
		let ends = pallet_din_tasks::Tasks::<Test>::get(task).expect("exists").phase_ends;
		assert_eq!(ends, deadline, "{current:?} waits while a vote is missing");
	}
	last();
	let in_its_block = matches!(current, TaskPhase::AggregationCommit | TaskPhase::GlobalCommit);
	let ends = if in_its_block { now } else { now + 1 };
	System::assert_has_event(
		pallet_din_tasks::Event::PhaseClosedEarly { task, round, phase: current, ends }.into(),
	);
	if in_its_block {
		assert_eq!(phase(task).0, next, "{current:?} ended in the block of its last vote");
	}
	run_to(now + 1);
	assert_eq!(phase(task).0, next);
}

#[test]
fn a_commit_phase_ends_in_the_block_of_its_last_commit_and_every_other_one_block_later() {
	ExtBuilder::default().build_and_execute(|| {
		let mut long = spec(1, zk());
		long.phases.training = 10;
		long.phases.aggregation_commit = 10;
		long.phases.aggregation_reveal = 10;
		long.phases.global_commit = 10;
		long.phases.global_reveal = 10;
		let task = create(long, &PARTICIPANTS);
		run_until(task, TaskPhase::Training);
		let started = System::block_number();
		let submits: Vec<Box<dyn Fn()>> = PARTICIPANTS
			.iter()
			.map(|p| Box::new(move || submit(task, *p, models(*p))) as Box<dyn Fn()>)
			.collect();
		last_vote_closes_the_phase(task, submits, TaskPhase::AggregationCommit);

		let seats: Vec<(AccountId, SubgroupIndex)> = (0..2)
			.flat_map(|s| panel(task, 0, s).into_iter().map(move |who| (who, s)))
			.collect();
		let commits = seats
			.iter()
			.map(|&(who, s)| {
				Box::new(move || commit_aggregate(task, who, s, honest_aggregate(s), &[]))
					as Box<dyn Fn()>
			})
			.collect();
		last_vote_closes_the_phase(task, commits, TaskPhase::AggregationReveal);
		let reveals = seats
			.iter()
			.map(|&(who, s)| {
				Box::new(move || reveal_aggregate(task, who, s, honest_aggregate(s), &[]))
					as Box<dyn Fn()>
			})
			.collect();
		last_vote_closes_the_phase(task, reveals, TaskPhase::GlobalCommit);

		let voters = round_evaluators(task, 0);
		let commits = voters
			.iter()
			.map(|&who| Box::new(move || commit_global(task, who, GLOBAL)) as Box<dyn Fn()>)
			.collect();
		last_vote_closes_the_phase(task, commits, TaskPhase::GlobalReveal);
		let reveals = voters
			.iter()
			.map(|&who| Box::new(move || reveal_global(task, who, GLOBAL)) as Box<dyn Fn()>)
			.collect();
		last_vote_closes_the_phase(task, reveals, TaskPhase::Scoring);

		// Five phases of a block each instead of 50 blocks, and a commit phase's end is in
		// the state of its last commit's block (what a daemon reads), so its reveals land in
		// the next block rather than one later; the result is the honest one.
		assert_eq!(System::block_number() - started, 5);
		assert_eq!(GlobalModels::<Test>::get(task, 0).map(|m| m.commitment), Some(GLOBAL));
		assert!(slashes().is_empty());
		assert!(RoundVotes::<Test>::get(task).is_none(), "the tally ends with its round");
		Evaluation::do_try_state().expect("invariants hold");
	});
}

#[test]
fn a_silent_panel_member_keeps_the_commit_phase_open_and_is_slashed() {
	ExtBuilder::default().build_and_execute(|| {
		let mut long = spec(1, zk());
		long.phases.aggregation_commit = 10;
		let task = create(long, &PARTICIPANTS);
		train(task, models);
		let deadline = pallet_din_tasks::Tasks::<Test>::get(task).expect("exists").phase_ends;
		let silent = panel(task, 0, 1)[0];
		for s in 0..2 {
			for who in panel(task, 0, s).into_iter().filter(|w| *w != silent) {
				commit_aggregate(task, who, s, honest_aggregate(s), &[]);
			}
		}
		run_to(deadline - 1);
		assert_eq!(phase(task).0, TaskPhase::AggregationCommit, "the deadline is the timeout");
		run_to(deadline);
		assert_eq!(phase(task).0, TaskPhase::AggregationReveal);
		for s in 0..2 {
			for who in panel(task, 0, s).into_iter().filter(|w| *w != silent) {
				reveal_aggregate(task, who, s, honest_aggregate(s), &[]);
			}
		}
		// Every commit is revealed: the reveal phase need not wait for the silent member.
		assert_eq!(
			pallet_din_tasks::Tasks::<Test>::get(task).expect("exists").phase_ends,
			System::block_number() + 1
		);
		finish_phase(task);
		assert!(slashes().contains(&(
			silent,
			Role::Evaluator,
			din_primitives::Offence::MissedReveal
		)));
	});
}

#[test]
fn settlement_of_many_subgroups_spans_blocks_and_a_late_reveal_is_refused() {
	// One subgroup per slice: the two subgroups take two blocks.
	SettlementSliceWeight::set(<() as crate::weights::WeightInfo>::on_aggregation_end(1));
	ExtBuilder::default().build_and_execute(|| {
		let task = create(spec(1, zk()), &PARTICIPANTS);
		train(task, models);
		let late = panel(task, 0, 1)[0];
		for s in 0..2 {
			for who in panel(task, 0, s) {
				commit_aggregate(task, who, s, honest_aggregate(s), &[]);
			}
		}
		finish_phase(task);
		for s in 0..2 {
			for who in panel(task, 0, s).into_iter().filter(|w| *w != late) {
				reveal_aggregate(task, who, s, honest_aggregate(s), &[]);
			}
		}
		finish_phase(task);
		// The first slice settled subgroup 0; the phase is held for subgroup 1.
		assert_eq!(phase(task), (TaskPhase::AggregationReveal, 0));
		assert!(SubgroupResults::<Test>::contains_key(task, (0, 0)));
		assert!(!SubgroupResults::<Test>::contains_key(task, (0, 1)));
		assert_eq!(SettlementCursor::<Test>::get(task), Some((0, 1)));
		// Past the deadline no reveal counts, even for a subgroup not settled yet.
		assert_noop!(
			Evaluation::reveal_aggregate(
				RuntimeOrigin::signed(late),
				task,
				0,
				1,
				cid(b"agg"),
				honest_aggregate(1),
				BoundedVec::new(),
				SALT,
				None,
			),
			Error::<Test>::RevealWindowClosed
		);
		finish_phase(task);
		assert_eq!(phase(task), (TaskPhase::GlobalCommit, 0));
		assert!(matches!(
			SubgroupResults::<Test>::get(task, (0, 1)),
			Some(SubgroupResult::Accepted(_))
		));
		assert_eq!(SettlementCursor::<Test>::get(task), None);
		assert_eq!(slashes(), vec![(late, Role::Evaluator, din_primitives::Offence::MissedReveal)]);
	});
}

#[test]
fn a_lying_evaluator_is_slashed_and_the_result_holds() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create(spec(1, zk()), &PARTICIPANTS);
		train(task, models);
		let liar = panel(task, 0, 0)[1];
		let bond = bonded(liar, Role::Evaluator);
		aggregate(task, |who, s| {
			(who == liar && s == 0).then_some(Some((H256::repeat_byte(0xee), vec![])))
		});
		match SubgroupResults::<Test>::get(task, (0, 0)) {
			Some(SubgroupResult::Accepted(r)) => assert_eq!(r.commitment, honest_aggregate(0)),
			other => panic!("{other:?}"),
		}
		assert!(slashes().contains(&(
			liar,
			Role::Evaluator,
			din_primitives::Offence::MinorityAggregate
		)));
		// A seat locks a quarter of the bond (`min_evaluator_bond`); the slash takes 10% of
		// that seat, not of everything the evaluator bonded.
		let seat = EVALUATOR_BOND / 4;
		assert_eq!(bonded(liar, Role::Evaluator), bond - seat / 10, "10% of the seat");
	});
}

#[test]
fn a_majority_aggregate_revealed_under_an_unfetchable_cid_is_a_minority() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create(spec(1, zk()), &PARTICIPANTS);
		train(task, models);
		let subgroups = DinTasks::subgroups_of(task).len() as u32;
		// The liar reveals first, with the honest content under a CID nobody serves: were
		// the CID not part of the vote, it would become the aggregate every round evaluator
		// has to fetch, and all of them would miss the global vote.
		let liar = panel(task, 0, 0)[0];
		let location = |who, s| if (who, s) == (liar, 0) { &b"nowhere"[..] } else { &b"agg"[..] };
		for s in 0..subgroups {
			for who in panel(task, 0, s) {
				commit_aggregate_at(task, who, s, location(who, s), honest_aggregate(s), &[]);
			}
		}
		finish_phase(task);
		for s in 0..subgroups {
			for who in panel(task, 0, s) {
				reveal_aggregate_at(task, who, s, location(who, s), honest_aggregate(s), &[]);
			}
		}
		finish_phase(task);
		match SubgroupResults::<Test>::get(task, (0, 0)) {
			Some(SubgroupResult::Accepted(r)) => {
				assert_eq!((r.cid, r.commitment), (cid(b"agg"), honest_aggregate(0)))
			},
			other => panic!("{other:?}"),
		}
		assert_eq!(
			slashes(),
			vec![(liar, Role::Evaluator, din_primitives::Offence::MinorityAggregate)],
			"only the liar"
		);
		for member in DinTasks::subgroups_of(task)[0].iter() {
			assert_eq!(AcceptedUpdates::<Test>::get(task, member), 1, "updates still accepted");
		}
	});
}

#[test]
fn no_majority_drops_the_subgroup_with_a_dispute() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create(spec(1, zk()), &PARTICIPANTS);
		train(task, models);
		let p = panel(task, 0, 0);
		aggregate(task, |who, s| {
			(s == 0).then(|| {
				Some((
					H256::repeat_byte(0x10 + p.iter().position(|a| *a == who).unwrap() as u8),
					vec![],
				))
			})
		});
		assert_eq!(SubgroupResults::<Test>::get(task, (0, 0)), Some(SubgroupResult::Disputed));
		assert!(evaluation_events().iter().any(|e| matches!(
			e,
			Event::SubgroupDisputed { subgroup: 0, revealed: 3, panel: 3, .. }
		)));
		assert!(slashes().is_empty(), "no majority, nobody revealed a minority");
		let members = DinTasks::subgroups_of(task)[0].clone();
		for m in members {
			assert_eq!(AcceptedUpdates::<Test>::get(task, m), 0);
		}
	});
}

#[test]
fn a_non_revealer_is_slashed() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create(spec(1, zk()), &PARTICIPANTS);
		train(task, models);
		let silent = panel(task, 0, 1)[2];
		aggregate(task, |who, s| (who == silent && s == 1).then_some(None));
		assert!(slashes().contains(&(
			silent,
			Role::Evaluator,
			din_primitives::Offence::MissedReveal
		)));
		assert!(matches!(
			SubgroupResults::<Test>::get(task, (0, 1)),
			Some(SubgroupResult::Accepted(_))
		));
	});
}

#[test]
fn participants_the_majority_marks_invalid_are_slashed() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create(spec(1, zk()), &PARTICIPANTS);
		train(task, models);
		let mut members = DinTasks::subgroups_of(task)[0].clone();
		members.sort();
		let poisoner = members[0];
		aggregate(task, |_, s| (s == 0).then(|| Some((honest_aggregate(0), vec![poisoner]))));
		assert!(slashes().contains(&(
			poisoner,
			Role::Participant,
			din_primitives::Offence::InvalidUpdate
		)));
		assert_eq!(bonded(poisoner, Role::Participant), PARTICIPANT_BOND - PARTICIPANT_BOND / 10);
		assert_eq!(AcceptedUpdates::<Test>::get(task, poisoner), 0);
		assert_eq!(AcceptedUpdates::<Test>::get(task, members[1]), 1);
	});
}

#[test]
fn votes_are_checked() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create(spec(1, zk()), &PARTICIPANTS);
		train(task, models);
		let p = panel(task, 0, 0);
		let outsider = EVALUATORS.into_iter().find(|e| !p.contains(e)).unwrap();
		let h = H256::repeat_byte(1);
		assert_noop!(
			Evaluation::commit_aggregate(RuntimeOrigin::signed(outsider), task, 0, 0, h),
			Error::<Test>::NotOnPanel
		);
		assert_noop!(
			Evaluation::commit_aggregate(RuntimeOrigin::signed(p[0]), task, 1, 0, h),
			Error::<Test>::WrongRound
		);
		assert_noop!(
			Evaluation::commit_aggregate(RuntimeOrigin::signed(p[0]), task, 0, 0, H256::zero()),
			Error::<Test>::ZeroHash
		);
		commit_aggregate(task, p[0], 0, honest_aggregate(0), &[]);
		assert_noop!(
			Evaluation::commit_aggregate(RuntimeOrigin::signed(p[0]), task, 0, 0, h),
			Error::<Test>::AlreadyCommitted
		);
		let reveal = |who: AccountId, c: H256, inv: Vec<AccountId>| {
			Evaluation::reveal_aggregate(
				RuntimeOrigin::signed(who),
				task,
				0,
				0,
				cid(b"agg"),
				c,
				BoundedVec::truncate_from(inv),
				SALT,
				None,
			)
		};
		assert_noop!(
			reveal(p[0], honest_aggregate(0), vec![]),
			Error::<Test>::NotAggregationReveal
		);
		finish_phase(task);
		assert_noop!(reveal(p[1], honest_aggregate(0), vec![]), Error::<Test>::NotCommitted);
		assert_noop!(reveal(p[0], H256::repeat_byte(5), vec![]), Error::<Test>::RevealMismatch);
		let mut members = DinTasks::subgroups_of(task)[0].clone();
		members.sort();
		assert_noop!(
			reveal(p[0], honest_aggregate(0), vec![members[1], members[0]]),
			Error::<Test>::InvalidSetNotSorted
		);
		assert_noop!(reveal(p[0], honest_aggregate(0), vec![OWNER]), Error::<Test>::NotInSubgroup);
		assert_noop!(reveal(p[0], H256::zero(), vec![]), Error::<Test>::ZeroCommitment);
		assert_ok!(reveal(p[0], honest_aggregate(0), vec![]));
		assert_noop!(reveal(p[0], honest_aggregate(0), vec![]), Error::<Test>::AlreadyRevealed);
	});
}

/// Attack: a panel member names a subgroup member that submitted nothing as invalid (to
/// have it slashed `InvalidUpdate`), or reveals the aggregate under an empty CID. Both
/// reveals are refused and change nothing.
#[test]
fn a_reveal_judging_a_member_without_an_update_or_naming_no_cid_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create(spec(1, zk()), &PARTICIPANTS);
		run_until(task, TaskPhase::Training);
		let silent = DinTasks::subgroups_of(task)[0][0];
		for p in PARTICIPANTS.into_iter().filter(|p| *p != silent) {
			submit(task, p, models(p));
		}
		finish_phase(task);
		let judge = panel(task, 0, 0)[0];
		commit_aggregate(task, judge, 0, honest_aggregate(0), &[silent]);
		finish_phase(task);
		let reveal = |location: &[u8], invalid: Vec<AccountId>| {
			Evaluation::reveal_aggregate(
				RuntimeOrigin::signed(judge),
				task,
				0,
				0,
				cid(location),
				honest_aggregate(0),
				BoundedVec::truncate_from(invalid),
				SALT,
				None,
			)
		};
		assert_noop!(reveal(b"agg", vec![silent]), Error::<Test>::NoUpdateToJudge);
		assert_noop!(reveal(b"", vec![]), Error::<Test>::EmptyCid);
	});
}

/// Stalling and splitting the last round's global vote: an evaluator of the round that never
/// commits is slashed `MissedReveal`; without a strict majority nothing is fixed
/// (`GlobalDisputed`), and nobody who revealed is slashed.
#[test]
fn a_split_global_vote_fixes_nothing_and_slashes_only_the_silent() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create(spec(1, zk()), &PARTICIPANTS);
		train(task, models);
		aggregate(task, |_, _| None);
		let voters = round_evaluators(task, 0);
		let silent = voters[0];
		vote_global(task, |i| match i {
			0 => None,
			i if i % 2 == 0 => Some(GLOBAL),
			_ => Some(H256::repeat_byte(0x66)),
		});
		assert_eq!(GlobalModels::<Test>::get(task, 0), None, "no model fixed");
		let (revealed, all) = (voters.len() as u32 - 1, voters.len() as u32);
		assert!(evaluation_events().iter().any(|e| matches!(
			e,
			Event::GlobalDisputed { round: 0, revealed: r, voters: v, .. } if (*r, *v) == (revealed, all)
		)));
		assert_eq!(
			slashes(),
			vec![(silent, Role::Evaluator, din_primitives::Offence::MissedReveal)],
			"only the silent"
		);
		assert_eq!(phase(task).0, TaskPhase::Scoring);
	});
}

#[test]
fn a_minority_global_model_is_slashed_and_the_majority_fixed() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create(spec(1, zk()), &PARTICIPANTS);
		train(task, models);
		aggregate(task, |_, _| None);
		let voters = round_evaluators(task, 0);
		let odd = voters[0];
		assert_noop!(
			Evaluation::commit_global(RuntimeOrigin::signed(OWNER), task, 0, H256::repeat_byte(1)),
			Error::<Test>::NotRoundEvaluator
		);
		vote_global(task, |i| Some(if i == 0 { H256::repeat_byte(0x66) } else { GLOBAL }));
		assert_eq!(GlobalModels::<Test>::get(task, 0).map(|m| m.commitment), Some(GLOBAL));
		assert!(slashes().contains(&(
			odd,
			Role::Evaluator,
			din_primitives::Offence::MinorityGlobal
		)));
		assert_eq!(phase(task).0, TaskPhase::Scoring);
	});
}

/// A round's global model needs no phases of its own: the next round starts as soon as the
/// subgroups are settled, and its evaluators vote on the model with their aggregates. The
/// majority fixes it when that round settles (the global model every next round is scored
/// against), a minority voter is slashed `MinorityGlobal`, and only the last round votes in
/// GlobalCommit and GlobalReveal.
#[test]
fn the_next_rounds_evaluators_fix_a_rounds_global_model_with_their_aggregates() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create(spec(3, zk()), &PARTICIPANTS);
		train(task, models);
		aggregate(task, |_, _| None);
		assert_eq!(PipelinedGlobal::<Test>::get(task), Some(0), "round 0's vote is open");
		assert_eq!(GlobalModels::<Test>::get(task, 0), None, "nothing fixed before the vote");
		for e in EVALUATORS {
			assert_eq!(locked(e, Role::Evaluator) % (EVALUATOR_BOND / 4), 0);
		}
		let odd = round_evaluators(task, 1)[0];
		let other = ModelRef { cid: cid(b"other"), commitment: H256::repeat_byte(0x66) };
		vote_pipelined_global(odd, Some(other));
		train(task, models);
		aggregate(task, |_, _| None);
		assert_eq!(GlobalModels::<Test>::get(task, 0).map(|m| m.commitment), Some(GLOBAL));
		let voters = round_evaluators(task, 1).len() as u32;
		assert!(evaluation_events().iter().any(|e| matches!(
			e,
			Event::GlobalModelFixed { round: 0, votes, voters: v, .. }
				if *votes == voters - 1 && *v == voters
		)));
		assert_eq!(
			slashes(),
			vec![(odd, Role::Evaluator, din_primitives::Offence::MinorityGlobal)],
			"only the minority voter"
		);
		assert_eq!(PipelinedGlobal::<Test>::get(task), Some(1));
		assert!(PipelinedGlobalVotes::<Test>::iter().next().is_none(), "votes are cleared");
		Evaluation::do_try_state().expect("invariants hold");

		// The last round: its own aggregates carry round 1's vote, its own model is voted on
		// in GlobalCommit and GlobalReveal.
		train(task, models);
		aggregate(task, |_, _| None);
		assert_eq!(GlobalModels::<Test>::get(task, 1).map(|m| m.commitment), Some(GLOBAL));
		assert_eq!(PipelinedGlobal::<Test>::get(task), None, "the last round opens no vote");
		assert_eq!(phase(task), (TaskPhase::GlobalCommit, 2));
		global(task);
		assert_eq!(GlobalModels::<Test>::get(task, 2).map(|m| m.commitment), Some(GLOBAL));
		assert_eq!(phase(task).0, TaskPhase::Scoring);
		for e in EVALUATORS {
			assert_eq!(locked(e, Role::Evaluator), 0, "every seat is free");
		}
		Evaluation::do_try_state().expect("invariants hold");
	});
}

/// When the next round's evaluators find that no accepted aggregate carries weight (they
/// vote `None`), the majority keeps the model that round trained from
/// (`GlobalModelKept`); nothing is fixed for it and nobody is slashed.
#[test]
fn a_majority_finding_no_weight_keeps_the_previous_model() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create(spec(2, zk()), &PARTICIPANTS);
		train(task, models);
		aggregate(task, |_, _| None);
		for who in round_evaluators(task, 1) {
			vote_pipelined_global(who, None);
		}
		train(task, models);
		aggregate(task, |_, _| None);
		assert_eq!(GlobalModels::<Test>::get(task, 0), None);
		assert!(evaluation_events()
			.iter()
			.any(|e| matches!(e, Event::GlobalModelKept { round: 0, .. })));
		assert!(slashes().is_empty());
	});
}

/// Attack: an evaluator with several seats votes one global model with one aggregate and
/// another with the next (to be in the majority whichever wins), or slips a global vote
/// into a round that has none open (the first). Both reveals are refused and change
/// nothing; so is a vote naming no CID.
#[test]
fn a_global_vote_must_be_open_and_the_same_on_every_seat() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create(spec(2, zk()), &PARTICIPANTS);
		train(task, models);
		let judge = panel(task, 0, 0)[0];
		let global = ModelRef { cid: cid(b"global"), commitment: GLOBAL };
		let aggregate_hash = din_primitives::aggregate_commit_hash(
			task,
			0,
			0,
			&judge,
			b"agg",
			&honest_aggregate(0),
			&[],
			&SALT,
		);
		let hash = din_primitives::pipelined_commit_hash(
			&aggregate_hash,
			Some((&global.cid[..], &global.commitment)),
		);
		assert_ok!(Evaluation::commit_aggregate(RuntimeOrigin::signed(judge), task, 0, 0, hash));
		finish_phase(task);
		let reveal = |who: AccountId, s: SubgroupIndex, vote: Option<ModelRef>| {
			Evaluation::reveal_aggregate(
				RuntimeOrigin::signed(who),
				task,
				phase(task).1,
				s,
				cid(b"agg"),
				honest_aggregate(s),
				BoundedVec::new(),
				SALT,
				vote,
			)
		};
		assert_noop!(reveal(judge, 0, Some(global.clone())), Error::<Test>::NoGlobalVoteOpen);
		run_until(task, TaskPhase::Training);
		assert_eq!(phase(task).1, 1);
		for p in PARTICIPANTS {
			submit(task, p, models(p));
		}
		finish_phase(task);
		// An evaluator on two panels of round 1.
		let seats: Vec<(AccountId, SubgroupIndex)> = (0..2)
			.flat_map(|s| panel(task, 1, s).into_iter().map(move |who| (who, s)))
			.collect();
		let twice = *EVALUATORS
			.iter()
			.find(|e| seats.iter().filter(|(w, _)| w == *e).count() == 2)
			.expect("3 evaluators over two panels of 3");
		let other = ModelRef { cid: cid(b"other"), commitment: H256::repeat_byte(0x66) };
		for s in 0..2 {
			let vote = if s == 0 { global.clone() } else { other.clone() };
			let aggregate_hash = din_primitives::aggregate_commit_hash(
				task,
				1,
				s,
				&twice,
				b"agg",
				&honest_aggregate(s),
				&[],
				&SALT,
			);
			let hash = din_primitives::pipelined_commit_hash(
				&aggregate_hash,
				Some((&vote.cid[..], &vote.commitment)),
			);
			assert_ok!(Evaluation::commit_aggregate(
				RuntimeOrigin::signed(twice),
				task,
				1,
				s,
				hash
			));
		}
		finish_phase(task);
		assert_eq!(phase(task).0, TaskPhase::AggregationReveal);
		assert_noop!(
			reveal(twice, 0, Some(ModelRef { cid: cid(b""), commitment: GLOBAL })),
			Error::<Test>::EmptyCid
		);
		assert_ok!(reveal(twice, 0, Some(global.clone())));
		assert_eq!(PipelinedGlobalVotes::<Test>::get((task, 0), twice), Some(Some(global)));
		assert_noop!(reveal(twice, 1, Some(other)), Error::<Test>::GlobalVoteDiffers);
	});
}

// ----- scoring: Groth16 -----

/// One honest round, then Scoring with the key released.
fn scored_task(scoring: ScoringRule) -> TaskId {
	scored_task_of(1, scoring)
}

/// `rounds` honest rounds, then Scoring with the key released.
fn scored_task_of(rounds: RoundIndex, scoring: ScoringRule) -> TaskId {
	let task = create(spec(rounds, scoring), &PARTICIPANTS);
	for _ in 0..rounds {
		honest_round(task, models);
	}
	assert_eq!(phase(task).0, TaskPhase::Scoring);
	assert_ok!(Evaluation::release_test_key(
		RuntimeOrigin::signed(OWNER),
		task,
		BoundedVec::truncate_from(TEST_KEY.to_vec())
	));
	task
}

/// A panel member for `participant`'s update in round 0.
fn scorer(task: TaskId, participant: AccountId) -> AccountId {
	let s = DinTasks::update(task, 0, &participant).unwrap().subgroup;
	panel(task, 0, s)[0]
}

fn update(participant: AccountId) -> ScoreTargetOf<Test> {
	ScoreTarget::Update { round: 0, participant }
}

/// The fixtures' proof of `target` of `task` made for `prover` (its binding, the fifth
/// public input, is `score_binding(task, target, prover)`).
fn bound(task: TaskId, target: &ScoreTargetOf<Test>, prover: AccountId) -> Vec<u8> {
	let binding = din_primitives::score_binding(task, target, &prover);
	fixtures::bound_proof(&binding)
		.unwrap_or_else(|| {
			panic!(
				"no fixture proof of {target:?} in task {task} by {prover}: add the statement \
				 to `bound_statements` in client/zk/examples/pallet_fixtures.rs and run \
				 scripts/gen-zk-fixtures.sh"
			)
		})
		.to_vec()
}

#[test]
fn a_valid_proof_settles_the_score_and_replays_are_rejected() {
	ExtBuilder::default().build_and_execute(|| {
		register_vk();
		let task = scored_task(zk());
		let who = scorer(task, 10);
		let work = Work::<Test>::get(task, who);
		assert_ok!(Evaluation::submit_score(
			RuntimeOrigin::signed(who),
			task,
			update(10),
			fixtures::MODEL_A_CORRECT,
			fixtures::TOTAL,
			proof(&bound(task, &update(10), who))
		));
		assert_eq!(
			ProvenScores::<Test>::get(task, update(10)),
			Some(ProvenScore {
				correct: fixtures::MODEL_A_CORRECT,
				total: fixtures::TOTAL,
				prover: who
			})
		);
		assert_eq!(Work::<Test>::get(task, who), work + 1);
		assert_noop!(
			Evaluation::submit_score(
				RuntimeOrigin::signed(who),
				task,
				update(10),
				fixtures::MODEL_A_CORRECT,
				fixtures::TOTAL,
				proof(&bound(task, &update(10), who))
			),
			Error::<Test>::ScoreAlreadySettled
		);
	});
}

/// Attack: a member of a secure-aggregation subgroup uploads a masked update that means
/// nothing alone; its score must not come from it (nor could any evaluator read it), but
/// from the subgroup's aggregate that the panel's majority unmasked.
#[test]
fn in_a_secure_task_a_member_is_scored_by_its_subgroups_aggregate_not_its_masked_upload() {
	ExtBuilder::default().build_and_execute(|| {
		register_vk();
		let mut spec = spec(1, zk());
		spec.aggregation = din_primitives::AggregationRule::SecureFedAvg;
		spec.subgroup_size = 4;
		// Three steps of at least `MinPhaseLength` (1 in the mock).
		spec.phases.training = 3;
		let task = create(spec, &PARTICIPANTS);
		run_until(task, TaskPhase::Training);
		// The masked uploads as the tasks pallet records them after its key and upload steps
		// (pallet-din-tasks' secure-aggregation tests run those).
		for p in PARTICIPANTS {
			let subgroup = pallet_din_tasks::Assignments::<Test>::get(task, p).unwrap().subgroup;
			pallet_din_tasks::Updates::<Test>::insert(
				(task, 0),
				p,
				pallet_din_tasks::UpdateInfo {
					subgroup,
					cid: cid(b"masked"),
					commitment: H256(fixtures::MODEL_B_COMMITMENT),
					num_samples: 100,
					submitted_at: 1,
					trained_from: 0,
				},
			);
		}
		finish_phase(task);
		let aggregate_commitment = H256(fixtures::MODEL_A_COMMITMENT);
		aggregate(task, |_, _| Some(Some((aggregate_commitment, vec![]))));
		global(task);
		assert_eq!(phase(task).0, TaskPhase::Scoring);
		assert_ok!(Evaluation::release_test_key(
			RuntimeOrigin::signed(OWNER),
			task,
			BoundedVec::truncate_from(TEST_KEY.to_vec())
		));
		let terms = Evaluation::scoring_terms(task).unwrap();
		assert!(terms.secure_aggregation);
		for p in PARTICIPANTS {
			let who = scorer(task, p);
			assert_eq!(
				Evaluation::authorize_scorer(task, &terms, &update(p), &who),
				Ok(aggregate_commitment),
				"{p} is scored by its subgroup's aggregate"
			);
		}
	});
}

#[test]
fn forged_and_mismatched_proofs_are_rejected_and_store_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		register_vk();
		let task = scored_task(zk());
		let who = scorer(task, 10);
		let valid = bound(task, &update(10), who);
		let submit = |target, correct, bytes: &[u8]| {
			Evaluation::submit_score(
				RuntimeOrigin::signed(who),
				task,
				target,
				correct,
				fixtures::TOTAL,
				proof(bytes),
			)
		};
		// Wrong count.
		assert_noop!(
			submit(update(10), fixtures::MODEL_A_CORRECT - 1, &valid),
			Error::<Test>::InvalidProof
		);
		// Tampered bytes.
		let mut forged = valid.clone();
		forged[5] ^= 1;
		assert_noop!(
			submit(update(10), fixtures::MODEL_A_CORRECT, &forged),
			Error::<Test>::InvalidProof
		);
		// The right model, count and key, made for no statement of the chain.
		assert_noop!(
			submit(update(10), fixtures::MODEL_A_CORRECT, fixtures::MODEL_A_PROOF),
			Error::<Test>::InvalidProof
		);
		// A valid proof of another model (participant 10 submitted model A, this is B's,
		// made for participant 12's update).
		assert_noop!(
			submit(update(10), fixtures::MODEL_B_CORRECT, &bound(task, &update(12), who)),
			Error::<Test>::InvalidProof
		);
		// A proof under another task's key.
		assert_noop!(
			submit(update(10), fixtures::MODEL_A_CORRECT, fixtures::MODEL_A_OTHER_KEY_PROOF),
			Error::<Test>::InvalidProof
		);
		// Bad counts never reach the verifier.
		assert_noop!(
			Evaluation::submit_score(
				RuntimeOrigin::signed(who),
				task,
				update(10),
				5,
				0,
				proof(&valid)
			),
			Error::<Test>::InvalidCount
		);
		assert!(ProvenScores::<Test>::iter_prefix(task).next().is_none());
		assert_eq!(ScoredTargets::<Test>::get(task), 0);
	});
}

/// Attack: another panel member sees a valid proof in the transaction pool and submits it
/// first, to take the prover's work credit. The proof is bound to its prover (the fifth
/// public input is `score_binding(task, target, prover)`): the copy does not verify,
/// nothing is stored, and the prover's own submission still settles the score.
#[test]
fn a_proof_copied_from_the_pool_earns_the_copier_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		register_vk();
		let task = scored_task(zk());
		let s = DinTasks::update(task, 0, &10).unwrap().subgroup;
		let (prover, copier) = (panel(task, 0, s)[0], panel(task, 0, s)[1]);
		let seen_in_the_pool = bound(task, &update(10), prover);
		let copier_work = Work::<Test>::get(task, copier);
		assert_noop!(
			Evaluation::submit_score(
				RuntimeOrigin::signed(copier),
				task,
				update(10),
				fixtures::MODEL_A_CORRECT,
				fixtures::TOTAL,
				proof(&seen_in_the_pool)
			),
			Error::<Test>::InvalidProof
		);
		assert_eq!(Work::<Test>::get(task, copier), copier_work);
		let prover_work = Work::<Test>::get(task, prover);
		assert_ok!(Evaluation::submit_score(
			RuntimeOrigin::signed(prover),
			task,
			update(10),
			fixtures::MODEL_A_CORRECT,
			fixtures::TOTAL,
			proof(&seen_in_the_pool)
		));
		assert_eq!(ProvenScores::<Test>::get(task, update(10)).unwrap().prover, prover);
		assert_eq!(Work::<Test>::get(task, prover), prover_work + 1);
		assert_eq!(Work::<Test>::get(task, copier), copier_work);
	});
}

#[test]
fn scores_need_the_key_the_panel_and_an_accepted_update() {
	ExtBuilder::default().build_and_execute(|| {
		register_vk();
		let task = create(spec(1, zk()), &PARTICIPANTS);
		train(task, models);
		assert_noop!(
			Evaluation::release_test_key(
				RuntimeOrigin::signed(OWNER),
				task,
				BoundedVec::truncate_from(TEST_KEY.to_vec())
			),
			Error::<Test>::NotScoring
		);
		let mut members = DinTasks::subgroups_of(task)[0].clone();
		members.sort();
		aggregate(task, |_, s| (s == 0).then(|| Some((honest_aggregate(0), vec![members[0]]))));
		global(task);
		let who = panel(task, 0, 0)[0];
		let submit = |p: AccountId| {
			Evaluation::submit_score(
				RuntimeOrigin::signed(who),
				task,
				update(p),
				fixtures::MODEL_A_CORRECT,
				fixtures::TOTAL,
				proof(fixtures::MODEL_A_PROOF),
			)
		};
		assert_noop!(submit(members[1]), Error::<Test>::TestKeyNotReleased);
		assert_noop!(
			Evaluation::release_test_key(
				RuntimeOrigin::signed(10),
				task,
				BoundedVec::truncate_from(vec![1])
			),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Evaluation::release_test_key(RuntimeOrigin::signed(OWNER), task, BoundedVec::new()),
			Error::<Test>::EmptyTestKey
		);
		assert_ok!(Evaluation::release_test_key(
			RuntimeOrigin::signed(OWNER),
			task,
			BoundedVec::truncate_from(TEST_KEY.to_vec())
		));
		assert_noop!(
			Evaluation::release_test_key(
				RuntimeOrigin::signed(OWNER),
				task,
				BoundedVec::truncate_from(TEST_KEY.to_vec())
			),
			Error::<Test>::TestKeyAlreadyReleased
		);
		assert_noop!(submit(members[0]), Error::<Test>::UpdateNotAccepted);
		let other_subgroup = DinTasks::subgroups_of(task)[1][0];
		let outsider = EVALUATORS
			.into_iter()
			.find(|e| !panel(task, 0, 1).contains(e))
			.expect("6 evaluators, 3 seats");
		assert_noop!(
			Evaluation::submit_score(
				RuntimeOrigin::signed(outsider),
				task,
				update(other_subgroup),
				fixtures::MODEL_A_CORRECT,
				fixtures::TOTAL,
				proof(fixtures::MODEL_A_PROOF),
			),
			Error::<Test>::NotOnPanel
		);
		assert_noop!(submit(OWNER), Error::<Test>::UnknownUpdate);
		assert_noop!(
			commit_report(task, &update(members[1]), who, 1),
			Error::<Test>::NotMedianScoring
		);
	});
}

#[test]
fn verifying_keys_are_checked_and_stored_by_hash() {
	ExtBuilder::default().build_and_execute(|| {
		let mut bad = fixtures::VK.to_vec();
		bad[3] ^= 0xff;
		assert_noop!(
			Evaluation::register_verifying_key(
				RuntimeOrigin::signed(OWNER),
				BoundedVec::truncate_from(bad)
			),
			Error::<Test>::MalformedVerifyingKey
		);
		register_vk();
		let hash = H256(fixtures::VK_BLAKE2_256);
		assert!(VerifyingKeys::<Test>::contains_key(hash));
		let prepared = PreparedVerifyingKeys::<Test>::get(hash).expect("prepared at registration");
		assert_eq!(
			prepared.to_vec(),
			din_zk_verifier::prepare_checked(fixtures::VK, 5).unwrap(),
			"the stored form is the verifier's"
		);
		assert_noop!(
			Evaluation::register_verifying_key(
				RuntimeOrigin::signed(OWNER),
				BoundedVec::truncate_from(fixtures::VK.to_vec())
			),
			Error::<Test>::VerifyingKeyExists
		);
	});
}

/// The state a key takes is paid for: its deposit is held from the registrant until it
/// unregisters the key, and nobody else can unregister it.
#[test]
fn a_verifying_key_deposit_is_held_until_its_registrant_unregisters_it() {
	ExtBuilder::default().build_and_execute(|| {
		let hash = H256(fixtures::VK_BLAKE2_256);
		let reason = RuntimeHoldReason::Evaluation(HoldReason::VerifyingKeyDeposit);
		register_vk();
		let stored = fixtures::VK.len() + PreparedVerifyingKeys::<Test>::get(hash).unwrap().len();
		let deposit = 10 + stored as Balance;
		assert_eq!(Balances::balance_on_hold(&reason, &OWNER), deposit);
		System::assert_has_event(
			Event::VerifyingKeyRegistered {
				hash,
				len: fixtures::VK.len() as u32,
				who: OWNER,
				deposit,
			}
			.into(),
		);

		let stranger = PARTICIPANTS[0];
		assert_noop!(
			Evaluation::unregister_verifying_key(RuntimeOrigin::signed(stranger), hash),
			Error::<Test>::NotKeyRegistrant
		);
		let free = Balances::free_balance(OWNER);
		assert_ok!(Evaluation::unregister_verifying_key(RuntimeOrigin::signed(OWNER), hash));
		assert_eq!(Balances::balance_on_hold(&reason, &OWNER), 0);
		assert_eq!(Balances::free_balance(OWNER), free + deposit);
		assert!(!VerifyingKeys::<Test>::contains_key(hash));
		assert!(!PreparedVerifyingKeys::<Test>::contains_key(hash));
		assert!(!VerifyingKeyRegistrations::<Test>::contains_key(hash));
		assert_noop!(
			Evaluation::unregister_verifying_key(RuntimeOrigin::signed(OWNER), hash),
			Error::<Test>::UnknownVerifyingKey
		);
	});
}

/// Attack: register many keys at the price of a transaction to fill the state. Each key's
/// deposit must be affordable, or nothing is stored.
#[test]
fn a_key_whose_deposit_its_registrant_cannot_afford_stores_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		let poor = 99;
		<Balances as polkadot_sdk::frame_support::traits::fungible::Mutate<_>>::set_balance(
			&poor, 100,
		);
		assert_noop!(
			Evaluation::register_verifying_key(
				RuntimeOrigin::signed(poor),
				BoundedVec::truncate_from(fixtures::VK.to_vec())
			),
			Error::<Test>::InsufficientBalanceForDeposit
		);
	});
}

/// Attack: register the key another owner's task uses (or register it first, so that the
/// owner's client finds it registered), then unregister it to leave that task unprovable.
/// A task binds its key when it is created, until it ends; a task naming no registered key
/// is refused.
#[test]
fn a_key_named_by_a_live_task_cannot_be_unregistered_from_under_it() {
	ExtBuilder::default().build_and_execute(|| {
		let hash = H256(fixtures::VK_BLAKE2_256);
		assert_noop!(
			DinTasks::create_task(RuntimeOrigin::signed(OWNER), spec(1, zk())),
			Error::<Test>::UnknownVerifyingKey
		);
		register_vk();
		let first = create(spec(1, zk()), &[]);
		let second = create(spec(1, zk()), &[]);
		assert_eq!(VerifyingKeyRegistrations::<Test>::get(hash).unwrap().live_tasks, 2);
		assert_ok!(DinTasks::cancel_task(RuntimeOrigin::signed(OWNER), first));
		assert_noop!(
			Evaluation::unregister_verifying_key(RuntimeOrigin::signed(OWNER), hash),
			Error::<Test>::VerifyingKeyInUse
		);
		assert_ok!(DinTasks::cancel_task(RuntimeOrigin::signed(OWNER), second));
		assert_eq!(VerifyingKeyRegistrations::<Test>::get(hash).unwrap().live_tasks, 0);
		assert_ok!(Evaluation::unregister_verifying_key(RuntimeOrigin::signed(OWNER), hash));
	});
}

/// A key registered before storage version 3 had no prepared form; the upgrade prepares it,
/// and proofs under it verify as before.
#[test]
fn a_key_registered_before_the_upgrade_is_prepared_by_it() {
	use polkadot_sdk::frame_support::traits::{
		GetStorageVersion, OnRuntimeUpgrade, StorageVersion,
	};
	ExtBuilder::default().build_and_execute(|| {
		register_vk();
		let task = scored_task(zk());
		let hash = H256(fixtures::VK_BLAKE2_256);
		PreparedVerifyingKeys::<Test>::remove(hash);
		StorageVersion::new(2).put::<Evaluation>();
		let base_scorer = Evaluation::baseline_panel(task, 0)[0];
		let submit = || {
			Evaluation::submit_score(
				RuntimeOrigin::signed(base_scorer),
				task,
				ScoreTarget::Baseline,
				fixtures::GENESIS_CORRECT,
				fixtures::TOTAL,
				proof(&bound(task, &ScoreTarget::Baseline, base_scorer)),
			)
		};
		assert_noop!(submit(), Error::<Test>::UnknownVerifyingKey);

		crate::migrations::v3::MigrateToV3::<Test>::on_runtime_upgrade();
		assert_eq!(Evaluation::on_chain_storage_version(), StorageVersion::new(3));
		assert!(PreparedVerifyingKeys::<Test>::contains_key(hash));
		assert_ok!(submit());
	});
}

/// The prepared form of the evaluation circuit's key is as long as the runtime's bound
/// documents (a longer one would make every registration fail `PreparedKeyTooLong`).
#[test]
fn the_evaluation_circuits_prepared_key_fits_its_bound() {
	let prepared = din_zk_verifier::prepare_checked(fixtures::VK, 5).unwrap();
	assert_eq!(prepared.len(), 1_224);
	let bound: u32 = <<Test as Config>::MaxPreparedVerifyingKeyLen as Get<u32>>::get();
	assert!(prepared.len() as u32 <= bound);
}

/// The full flow under `ZkAccuracy`: baseline and model-A/B scores proven, then the
/// rewards pallet pays. Exact amounts: pool 10_000, 10% evaluator fees, 5% burned.
#[test]
fn proven_scores_pay_participants_by_contribution() {
	ExtBuilder::default().build_and_execute(|| {
		register_vk();
		let task = scored_task(zk());
		let base_scorer = Evaluation::baseline_panel(task, 0)[0];
		assert_ok!(Evaluation::submit_score(
			RuntimeOrigin::signed(base_scorer),
			task,
			ScoreTarget::Baseline,
			fixtures::GENESIS_CORRECT,
			fixtures::TOTAL,
			proof(&bound(task, &ScoreTarget::Baseline, base_scorer))
		));
		for p in PARTICIPANTS {
			let correct =
				if p < 12 { fixtures::MODEL_A_CORRECT } else { fixtures::MODEL_B_CORRECT };
			let who = scorer(task, p);
			assert_ok!(Evaluation::submit_score(
				RuntimeOrigin::signed(who),
				task,
				update(p),
				correct,
				fixtures::TOTAL,
				proof(&bound(task, &update(p), who))
			));
		}
		let free_before: Vec<Balance> = PARTICIPANTS.iter().map(|p| Balances::balance(p)).collect();
		let owner_before = Balances::balance(&OWNER);
		run_until(task, TaskPhase::Finished);

		let s = pallet_din_rewards::Settlements::<Test>::get(task).expect("settled");
		assert_eq!(s.pool, POOL);
		assert_eq!(s.burned, 500);
		assert_eq!(s.pool, s.participants + s.evaluators + s.burned + s.refund);
		let acc = |c: u32| Perbill::from_rational(c, fixtures::TOTAL).deconstruct() as u128;
		let base = acc(fixtures::GENESIS_CORRECT);
		let contribution = |c: u32| acc(c).saturating_sub(base);
		let (ca, cb) =
			(contribution(fixtures::MODEL_A_CORRECT), contribution(fixtures::MODEL_B_CORRECT));
		let total = 2 * ca + 2 * cb;
		let budget = (POOL - 1_000 - 500) as u128;
		for (i, p) in PARTICIPANTS.iter().enumerate() {
			let c = if *p < 12 { ca } else { cb };
			let expected = (budget * c / total) as Balance;
			assert_eq!(Balances::balance(p) - free_before[i], expected, "payout of {p}");
		}
		assert_eq!(
			Balances::balance(&OWNER) - owner_before,
			s.refund,
			"the refund goes back to the owner"
		);
		assert!(ProvenScores::<Test>::iter_prefix(task).next().is_none(), "pruned");
		assert!(Panels::<Test>::iter_prefix(task).next().is_none(), "pruned");
	});
}

// ----- scoring: median -----

/// The salt test evaluators commit their scores with.
const SCORE_SALT: [u8; 32] = [5; 32];

/// `who` commits to `correct / 100` for `target` (in Scoring).
fn commit_report(
	task: TaskId,
	target: &ScoreTargetOf<Test>,
	who: AccountId,
	correct: u32,
) -> DispatchResult {
	let hash = din_primitives::score_commit_hash(task, target, &who, correct, 100, &SCORE_SALT);
	Evaluation::commit_score(RuntimeOrigin::signed(who), task, target.clone(), hash)
}

/// `who` reveals `correct / 100` for `target` (in Rewarding).
fn reveal_report(
	task: TaskId,
	target: &ScoreTargetOf<Test>,
	who: AccountId,
	correct: u32,
) -> DispatchResult {
	Evaluation::reveal_score(
		RuntimeOrigin::signed(who),
		task,
		target.clone(),
		correct,
		100,
		SCORE_SALT,
	)
}

/// Each `(target, who, correct)` commits in Scoring, then reveals in Rewarding.
fn report(task: TaskId, reports: &[(ScoreTargetOf<Test>, AccountId, u32)]) {
	for (target, who, correct) in reports {
		assert_ok!(commit_report(task, target, *who, *correct));
	}
	run_until(task, TaskPhase::Rewarding);
	for (target, who, correct) in reports {
		assert_ok!(reveal_report(task, target, *who, *correct));
	}
}

/// The work `who` was paid for at the task's settlement (0 if none).
fn rewarded_work(who: AccountId) -> u32 {
	System::events()
		.into_iter()
		.find_map(|r| match r.event {
			RuntimeEvent::Rewards(pallet_din_rewards::Event::EvaluatorRewarded {
				who: w,
				work,
				..
			}) if w == who => Some(work),
			_ => None,
		})
		.unwrap_or(0)
}

#[test]
fn the_median_settles_and_outliers_earn_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		let rule = ScoringRule::Median { threshold: Perbill::from_percent(5) };
		let task = scored_task(rule);
		let target = update(10);
		let s = DinTasks::update(task, 0, &10).unwrap().subgroup;
		let p = panel(task, 0, s);
		let work_before: Vec<u32> = p.iter().map(|e| Work::<Test>::get(task, e)).collect();
		for (who, correct) in p.iter().zip([90u32, 92, 40]) {
			assert_ok!(commit_report(task, &target, *who, correct));
		}
		assert_noop!(commit_report(task, &target, p[0], 90), Error::<Test>::AlreadyCommitted);
		assert_noop!(
			Evaluation::commit_score(RuntimeOrigin::signed(p[0]), task, update(11), H256::zero()),
			Error::<Test>::ZeroHash
		);
		run_until(task, TaskPhase::Rewarding);
		for (who, correct) in p.iter().zip([90u32, 92, 40]) {
			assert_ok!(reveal_report(task, &target, *who, correct));
		}
		assert_noop!(reveal_report(task, &target, p[0], 90), Error::<Test>::AlreadyRevealed);
		let free_before = Balances::balance(&10);
		let work_snapshot: Vec<u32> = p.iter().map(|e| Work::<Test>::get(task, e)).collect();
		assert_eq!(work_snapshot, work_before, "reports earn only at settlement");
		run_until(task, TaskPhase::Finished);
		assert!(evaluation_events().iter().any(|e| matches!(
			e,
			Event::MedianSettled { accuracy, reports: 3, .. } if *accuracy == Perbill::from_percent(90)
		)));
		// Participant 10 was the only scored update, baseline 0: it gets the whole budget.
		assert_eq!(Balances::balance(&10) - free_before, 10_000 - 1_000 - 500);
		assert!(rewarded_work(p[0]) > 0 && rewarded_work(p[1]) > 0);
		let s = pallet_din_rewards::Settlements::<Test>::get(task).unwrap();
		assert_eq!(s.pool, s.participants + s.evaluators + s.burned + s.refund);
	});
}

/// An asynchronous task's slow participant (13) misses round 0's buffer and submits in
/// round 1 the update it trained from round 0's model (the genesis model). Measured
/// against round 1's model it would earn nothing; it is paid for what it added to the
/// model it trained from, while a fresh round-1 update below round 1's model earns nothing.
#[test]
fn a_stale_update_is_paid_for_its_gain_over_the_model_it_trained_from() {
	ExtBuilder::default().build_and_execute(|| {
		let mut spec = spec(2, ScoringRule::Median { threshold: Perbill::from_percent(5) });
		spec.pacing = pallet_din_tasks::Pacing::Asynchronous { buffer: 3, max_staleness: 1 };
		let task = create(spec, &PARTICIPANTS);
		run_until(task, TaskPhase::Training);
		for p in [10, 11, 12] {
			submit(task, p, models(p));
		}
		finish_phase(task);
		assert_eq!(phase(task), (TaskPhase::AggregationCommit, 0), "the buffer of 3 is full");
		aggregate(task, |_, _| None);
		submit(task, 10, fixtures::MODEL_A_COMMITMENT);
		submit(task, 11, fixtures::MODEL_A_COMMITMENT);
		assert_ok!(DinTasks::submit_stale_update(
			RuntimeOrigin::signed(13),
			task,
			1,
			0,
			cid(b"stale"),
			H256(fixtures::MODEL_B_COMMITMENT),
			100,
		));
		finish_phase(task);
		aggregate(task, |_, _| None);
		global(task);
		assert_eq!(phase(task).0, TaskPhase::Scoring);
		assert_ok!(Evaluation::release_test_key(
			RuntimeOrigin::signed(OWNER),
			task,
			BoundedVec::truncate_from(TEST_KEY.to_vec())
		));
		let fresh = ScoreTarget::Update { round: 1, participant: 10 };
		let stale = ScoreTarget::Update { round: 1, participant: 13 };
		let round_0_global = ScoreTarget::Global { round: 0 };
		let mut reports = Vec::new();
		for (target, correct) in [(&fresh, 70), (&stale, 60), (&round_0_global, 80)] {
			let scorers = match target {
				ScoreTarget::Update { participant, .. } => {
					panel(task, 1, DinTasks::update(task, 1, participant).unwrap().subgroup)
				},
				_ => Evaluation::baseline_panel(task, 0).into_inner(),
			};
			for who in scorers {
				reports.push((target.clone(), who, correct));
			}
		}
		let before = Balances::balance(&13);
		let fresh_before = Balances::balance(&10);
		report(task, &reports);
		run_until(task, TaskPhase::Finished);
		// 70% is below round 0's model (80%), which round 1 trained from: nothing. 60% is
		// 60 points over the unscored genesis model the stale update trained from.
		assert_eq!(Balances::balance(&10), fresh_before);
		assert_eq!(Balances::balance(&13) - before, 10_000 - 1_000 - 500);
	});
}

/// The end of a task spans blocks: one record per slice here, so every score, accepted
/// update and work record, every payment and every pruned panel takes a block of its own
/// while Rewarding is held; and once the first slice is taken nothing more counts. Attack: a
/// panel member holds its reveal back to see which scores settle first, then reveals.
#[test]
fn score_settlement_spans_blocks_and_a_reveal_after_its_start_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		let rule = ScoringRule::Median { threshold: Perbill::from_percent(5) };
		let task = scored_task(rule);
		// One record per slice from here (the rounds settled their subgroups in one).
		SettlementSliceWeight::set(
			<() as crate::weights::WeightInfo>::on_scores_opened()
				.saturating_add(<() as crate::weights::WeightInfo>::on_score_slice(1)),
		);
		let targets = [update(10), update(11)];
		let mut held_back = None;
		for target in targets.iter() {
			let ScoreTarget::Update { participant, .. } = target else { unreachable!() };
			let p = panel(task, 0, DinTasks::update(task, 0, participant).unwrap().subgroup);
			for who in p.iter() {
				assert_ok!(commit_report(task, target, *who, 90));
			}
			held_back = Some((target.clone(), p[2]));
		}
		run_until(task, TaskPhase::Rewarding);
		let (late_target, late) = held_back.unwrap();
		for target in targets.iter() {
			let ScoreTarget::Update { participant, .. } = target else { unreachable!() };
			let p = panel(task, 0, DinTasks::update(task, 0, participant).unwrap().subgroup);
			for who in p.iter().filter(|w| !(**w == late && target == &late_target)) {
				assert_ok!(reveal_report(task, target, *who, 90));
			}
		}
		finish_phase(task);
		assert_eq!(phase(task).0, TaskPhase::Rewarding, "held for the next slice");
		assert!(ScoreSettlements::<Test>::contains_key(task));
		assert_noop!(reveal_report(task, &late_target, late, 90), Error::<Test>::ScoringClosed);
		let mut held = 1;
		while phase(task).0 == TaskPhase::Rewarding {
			run_to(System::block_number() + 1);
			held += 1;
			assert!(held < 200, "the settlement ends");
		}
		assert_eq!(phase(task).0, TaskPhase::Finished);
		// Two scored updates (a baseline was not scored), four accepted updates, their
		// evaluators' work, as many payments, and the panels: one a block.
		assert!(held > 2 + 4 + 4, "one record per block: {held} blocks");
		let scored = evaluation_events().into_iter().find_map(|e| match e {
			Event::TaskScored { scores, accepted, .. } => Some((scores, accepted)),
			_ => None,
		});
		assert_eq!(scored, Some((2, 4)));
		let s = pallet_din_rewards::Settlements::<Test>::get(task).expect("settled");
		assert!(s.scored && s.participants > 0 && s.evaluators > 0);
		assert_eq!(s.pool, s.participants + s.evaluators + s.burned + s.refund);
		assert!(!ScoreSettlements::<Test>::contains_key(task));
		assert_eq!(Panels::<Test>::iter_prefix(task).count(), 0);
		assert_eq!(Work::<Test>::iter_prefix(task).count(), 0);
		assert_eq!(Reports::<Test>::iter_prefix(task).count(), 0);
	});
}

/// Attack: an owner runs a second task beside the first. When the first ended, the tasks
/// pallet released the pool amount it had read before the settlement paid out, from the
/// owner's reward-pool hold, which also escrows the second task's pool: the owner got part
/// of the second pool back and that task's participants would go unpaid. A task releases
/// only what it has left, and the other pool stays in escrow.
#[test]
fn finishing_one_task_leaves_the_owners_other_pool_in_escrow() {
	ExtBuilder::default().build_and_execute(|| {
		let rule = ScoringRule::Median { threshold: Perbill::from_percent(5) };
		let task = scored_task(rule);
		let other = create(spec(1, rule), &[]);
		let target = update(10);
		let p = panel(task, 0, DinTasks::update(task, 0, &10).unwrap().subgroup);
		for who in p.iter() {
			assert_ok!(commit_report(task, &target, *who, 90));
		}
		run_until(task, TaskPhase::Rewarding);
		for who in p.iter() {
			assert_ok!(reveal_report(task, &target, *who, 90));
		}
		run_until(task, TaskPhase::Finished);
		let s = pallet_din_rewards::Settlements::<Test>::get(task).expect("settled");
		assert!(s.participants > 0 && s.refund < POOL);
		let reason: RuntimeHoldReason = pallet_din_tasks::HoldReason::RewardPool.into();
		let held = Balances::balance_on_hold(&reason, &OWNER);
		let remaining = pallet_din_tasks::Tasks::<Test>::get(other).unwrap().remaining;
		assert_eq!((held, remaining), (POOL, POOL), "the other task's escrow is whole");
	});
}

/// Attack: a lazy panel member waits for the others' reports and copies them, earning the
/// work without evaluating anything; or copies a diligent member's commit and its reveal.
/// Reports are commit-reveal: nothing is revealed while commits are open (Scoring), no commit
/// is taken once reveals are (Rewarding), and a commit names its evaluator, so a copied one
/// opens for nobody else. The copier earns nothing and counts for nothing; the median is
/// the honest members'.
#[test]
fn a_late_reporter_cannot_copy_a_revealed_score() {
	ExtBuilder::default().build_and_execute(|| {
		let rule = ScoringRule::Median { threshold: Perbill::from_percent(5) };
		let task = scored_task(rule);
		let target = update(10);
		let p = panel(task, 0, DinTasks::update(task, 0, &10).unwrap().subgroup);
		let (diligent, copier, late) = (p[0], p[1], p[2]);
		let work_before = |who| Work::<Test>::get(task, who);
		let (copier_work, late_work) = (work_before(copier), work_before(late));
		assert_ok!(commit_report(task, &target, diligent, 90));
		assert_noop!(reveal_report(task, &target, diligent, 90), Error::<Test>::NotRewarding);
		let seen_on_chain =
			din_primitives::score_commit_hash(task, &target, &diligent, 90, 100, &SCORE_SALT);
		assert_ok!(Evaluation::commit_score(
			RuntimeOrigin::signed(copier),
			task,
			target.clone(),
			seen_on_chain
		));
		run_until(task, TaskPhase::Rewarding);
		assert_ok!(reveal_report(task, &target, diligent, 90));
		assert_noop!(commit_report(task, &target, late, 90), Error::<Test>::NotScoring);
		assert_noop!(reveal_report(task, &target, copier, 90), Error::<Test>::RevealMismatch);
		assert_noop!(reveal_report(task, &target, late, 90), Error::<Test>::NotCommitted);
		run_until(task, TaskPhase::Finished);
		assert!(evaluation_events()
			.iter()
			.any(|e| matches!(e, Event::MedianWithoutQuorum { reports: 1, quorum: 2, .. })));
		assert_eq!(rewarded_work(copier), copier_work, "the copied commit earns nothing");
		assert_eq!(rewarded_work(late), late_work, "the late report earns nothing");
	});
}

/// Attack: last-round evaluators race to report the baseline (a high baseline slashes every
/// participant `BelowBaseline`, a low one inflates every contribution); with any evaluator of
/// the round allowed, the first `MaxPanelSize` reports would fix it. The baseline has one
/// panel, like every update: anyone else is refused, and its median needs a majority of it.
#[test]
fn the_baseline_is_scored_by_one_panel_not_the_first_reporters() {
	ExtBuilder::default().build_and_execute(|| {
		let rule = ScoringRule::Median { threshold: Perbill::from_percent(5) };
		let task = scored_task(rule);
		let baseline_panel = Evaluation::baseline_panel(task, 0);
		assert_eq!(baseline_panel, panel(task, 0, 0));
		let racers: Vec<AccountId> = round_evaluators(task, 0)
			.into_iter()
			.filter(|e| !baseline_panel.contains(e))
			.collect();
		assert!(!racers.is_empty(), "the round seats more evaluators than one panel");
		for who in &racers {
			assert_noop!(
				commit_report(task, &ScoreTarget::Baseline, *who, 99),
				Error::<Test>::NotOnPanel
			);
		}
		let reports: Vec<_> = baseline_panel
			.iter()
			.zip([10u32, 11, 12])
			.map(|(who, correct)| (ScoreTarget::Baseline, *who, correct))
			.collect();
		report(task, &reports);
		run_until(task, TaskPhase::Finished);
		assert!(evaluation_events().iter().any(|e| matches!(
			e,
			Event::MedianSettled { target: ScoreTarget::Baseline, accuracy, reports, .. }
				if *accuracy == Perbill::from_percent(11) && *reports == baseline_panel.len() as u32
		)));
	});
}

/// Attack: a participant resubmits the global model its round trained from, perturbed so
/// that no equality test catches it, and is paid for its accuracy over the genesis model as
/// if it had trained it. The model each later round trained from is scored too, by the first
/// panel of the round that fixed it (nobody else, and not the last round's model, which no
/// round trained from), and an update is paid only for what it adds to that model.
#[test]
fn a_perturbed_copy_of_the_trained_from_model_earns_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		let rule = ScoringRule::Median { threshold: Perbill::from_percent(5) };
		let task = scored_task_of(2, rule);
		let global = ScoreTarget::Global { round: 0 };
		let global_panel = Evaluation::baseline_panel(task, 0);
		let outsider = *EVALUATORS.iter().find(|e| !global_panel.contains(e)).unwrap();
		assert_noop!(commit_report(task, &global, outsider, 60), Error::<Test>::NotOnPanel);
		assert_noop!(
			commit_report(task, &ScoreTarget::Global { round: 1 }, global_panel[0], 60),
			Error::<Test>::NotTrainedFrom
		);
		let update_of = |round, participant| ScoreTarget::Update { round, participant };
		let panel_of = |target: &ScoreTargetOf<Test>| match target {
			ScoreTarget::Update { round, participant } => {
				panel(task, *round, DinTasks::update(task, *round, participant).unwrap().subgroup)
			},
			ScoreTarget::Global { round } => panel(task, *round, 0),
			ScoreTarget::Baseline => panel(task, 1, 0),
		};
		let scored = [
			(ScoreTarget::Baseline, 10),
			(global.clone(), 60),
			// 50 points over the genesis model round 0 trained from.
			(update_of(0, 10), 60),
			// A perturbed copy of round 0's global model, as accurate as it: nothing added.
			(update_of(1, 10), 60),
			// 10 points over round 0's global model.
			(update_of(1, 11), 70),
		];
		let reports: Vec<_> = scored
			.iter()
			.flat_map(|(target, correct)| {
				panel_of(target).into_iter().map(move |who| (target.clone(), who, *correct))
			})
			.collect();
		report(task, &reports);
		run_until(task, TaskPhase::Finished);
		assert!(evaluation_events().iter().any(|e| matches!(
			e,
			Event::MedianSettled { target: ScoreTarget::Global { round: 0 }, accuracy, .. }
				if *accuracy == Perbill::from_percent(60)
		)));
		let mut weights: Vec<(AccountId, u128)> = System::events()
			.into_iter()
			.filter_map(|r| match r.event {
				RuntimeEvent::Rewards(pallet_din_rewards::Event::ParticipantRewarded {
					who,
					weight,
					..
				}) => Some((who, weight)),
				_ => None,
			})
			.collect();
		// Paid in storage order.
		weights.sort();
		let points = |p: u32| Perbill::from_percent(p).deconstruct() as u128;
		assert_eq!(weights, vec![(10, points(50)), (11, points(10))]);
	});
}

/// Attack: one panel member reports a score alone (a friend's update at 100%, a rival's at
/// 0%) and, as the only report, its value would be the median. A median needs a majority of
/// the panel: the lone report settles nothing and earns nothing, while two reports of the
/// same panel settle the other target.
#[test]
fn one_median_report_does_not_settle() {
	ExtBuilder::default().build_and_execute(|| {
		let rule = ScoringRule::Median { threshold: Perbill::from_percent(5) };
		let task = scored_task(rule);
		let (alone, majority) = (update(10), update(11));
		let panel_of = |p: AccountId| panel(task, 0, DinTasks::update(task, 0, &p).unwrap().subgroup);
		let lone = panel_of(10)[0];
		let work_before = Work::<Test>::get(task, lone);
		// Two of the other target's panel, the lone reporter excluded (panels have 3 seats).
		let pair: Vec<AccountId> = panel_of(11).into_iter().filter(|e| *e != lone).take(2).collect();
		let mut reports = vec![(alone, lone, 100)];
		reports.extend(pair.into_iter().zip([60u32, 62]).map(|(who, c)| (majority.clone(), who, c)));
		report(task, &reports);
		run_until(task, TaskPhase::Finished);
		let events = evaluation_events();
		assert!(events.iter().any(|e| matches!(
			e,
			Event::MedianWithoutQuorum { target: ScoreTarget::Update { participant: 10, .. }, reports: 1, quorum: 2, .. }
		)));
		assert!(!events.iter().any(|e| matches!(
			e,
			Event::MedianSettled { target: ScoreTarget::Update { participant: 10, .. }, .. }
		)));
		assert!(events.iter().any(|e| matches!(
			e,
			Event::MedianSettled { target: ScoreTarget::Update { participant: 11, .. }, accuracy, reports: 2, .. }
				if *accuracy == Perbill::from_percent(60)
		)));
		assert_eq!(rewarded_work(lone), work_before, "a lone report earns nothing");
	});
}

/// Attack: the owner of a median-scored task releases the key at the end of Scoring, when
/// the panels have no time left to commit: every update would stay unscored with the key
/// counted as released, and the participants' part would go back to the owner. A key is
/// taken only while half of Scoring remains; later it is refused, so the task settles as
/// withheld, in the participants' favour.
#[test]
fn a_key_released_too_late_for_score_commits_counts_as_withheld() {
	ExtBuilder::default().build_and_execute(|| {
		let rule = ScoringRule::Median { threshold: Perbill::from_percent(5) };
		let mut spec = spec(1, rule);
		spec.phases.scoring = 10;
		let task = create(spec, &PARTICIPANTS);
		honest_round(task, models);
		assert_eq!(phase(task).0, TaskPhase::Scoring);
		let ends = pallet_din_tasks::Tasks::<Test>::get(task).unwrap().phase_ends;
		run_to(ends - 4);
		let release = || {
			Evaluation::release_test_key(
				RuntimeOrigin::signed(OWNER),
				task,
				BoundedVec::truncate_from(TEST_KEY.to_vec()),
			)
		};
		assert_noop!(release(), Error::<Test>::TestKeyTooLate);
		let before: Vec<Balance> = PARTICIPANTS.iter().map(|p| Balances::balance(p)).collect();
		run_until(task, TaskPhase::Finished);
		assert!(evaluation_events().iter().any(|e| matches!(e, Event::TestKeyWithheld { .. })));
		for (i, p) in PARTICIPANTS.iter().enumerate() {
			assert_eq!(Balances::balance(p) - before[i], 8_500 / 4);
		}
	});
}

/// Half of Scoring is the last moment a median-scored task's key is taken: released then,
/// the panels still have half of the phase to commit.
#[test]
fn a_key_released_at_half_of_scoring_is_taken() {
	ExtBuilder::default().build_and_execute(|| {
		let rule = ScoringRule::Median { threshold: Perbill::from_percent(5) };
		let mut spec = spec(1, rule);
		spec.phases.scoring = 10;
		let task = create(spec, &PARTICIPANTS);
		honest_round(task, models);
		let ends = pallet_din_tasks::Tasks::<Test>::get(task).unwrap().phase_ends;
		run_to(ends - 5);
		assert_ok!(Evaluation::release_test_key(
			RuntimeOrigin::signed(OWNER),
			task,
			BoundedVec::truncate_from(TEST_KEY.to_vec()),
		));
	});
}

// ----- withheld key -----

#[test]
fn a_withheld_key_settles_in_the_participants_favour() {
	ExtBuilder::default().build_and_execute(|| {
		register_vk();
		let task = create(spec(1, zk()), &PARTICIPANTS);
		honest_round(task, models);
		let before: Vec<Balance> = PARTICIPANTS.iter().map(|p| Balances::balance(p)).collect();
		run_until(task, TaskPhase::Finished);
		assert!(evaluation_events().iter().any(|e| matches!(e, Event::TestKeyWithheld { .. })));
		let s = pallet_din_rewards::Settlements::<Test>::get(task).unwrap();
		assert!(!s.scored);
		// Every participant had one accepted update: equal shares of the 8_500 budget.
		for (i, p) in PARTICIPANTS.iter().enumerate() {
			assert_eq!(Balances::balance(p) - before[i], 8_500 / 4);
		}
		assert_eq!(s.pool, s.participants + s.evaluators + s.burned + s.refund);
	});
}

/// Attack: the owner keeps the participants' share by releasing a key that opens nothing,
/// so that every update stays unscored while the key counts as released. The chain accepts
/// only the key whose hash the spec committed to; an owner who has no other key to give
/// has withheld it, and the task settles in the participants' favour.
#[test]
fn a_key_other_than_the_committed_one_is_refused_and_settles_as_withheld() {
	ExtBuilder::default().build_and_execute(|| {
		register_vk();
		let task = create(spec(1, zk()), &PARTICIPANTS);
		honest_round(task, models);
		assert_eq!(phase(task).0, TaskPhase::Scoring);
		let mut wrong = TEST_KEY;
		wrong[0] ^= 1;
		for key in [wrong.to_vec(), TEST_KEY[..31].to_vec(), vec![1]] {
			assert_noop!(
				Evaluation::release_test_key(
					RuntimeOrigin::signed(OWNER),
					task,
					BoundedVec::truncate_from(key)
				),
				Error::<Test>::TestKeyMismatch
			);
		}
		let before: Vec<Balance> = PARTICIPANTS.iter().map(|p| Balances::balance(p)).collect();
		run_until(task, TaskPhase::Finished);
		assert!(evaluation_events().iter().any(|e| matches!(e, Event::TestKeyWithheld { .. })));
		let s = pallet_din_rewards::Settlements::<Test>::get(task).unwrap();
		assert!(!s.scored);
		assert_eq!(s.participants, 8_500, "the whole participant budget is paid out");
		for (i, p) in PARTICIPANTS.iter().enumerate() {
			assert_eq!(Balances::balance(p) - before[i], 8_500 / 4);
		}
	});
}

/// Attack: the owner releases the committed key but sealed something else under it (or
/// withholds the sealed bytes), so no evaluator can open the test set, every update stays
/// unscored and the participants' part would go back to the owner. A majority of the last
/// round's evaluators disputes the set, and the task settles as if the key were withheld.
#[test]
fn a_released_key_that_does_not_open_the_test_set_pays_participants() {
	ExtBuilder::default().build_and_execute(|| {
		register_vk();
		let task = create(spec(1, zk()), &PARTICIPANTS);
		honest_round(task, models);
		let evaluators = round_evaluators(task, 0);
		assert!(evaluators.len() >= 2);
		assert_noop!(
			Evaluation::dispute_test_set(RuntimeOrigin::signed(evaluators[0]), task),
			Error::<Test>::TestKeyNotReleased
		);
		assert_ok!(Evaluation::release_test_key(
			RuntimeOrigin::signed(OWNER),
			task,
			BoundedVec::truncate_from(TEST_KEY.to_vec())
		));
		assert_noop!(
			Evaluation::dispute_test_set(RuntimeOrigin::signed(PARTICIPANTS[0]), task),
			Error::<Test>::NotRoundEvaluator
		);
		let majority = evaluators.len() / 2 + 1;
		for who in &evaluators[..majority] {
			assert_ok!(Evaluation::dispute_test_set(RuntimeOrigin::signed(*who), task));
		}
		assert_noop!(
			Evaluation::dispute_test_set(RuntimeOrigin::signed(evaluators[0]), task),
			Error::<Test>::AlreadyDisputed
		);
		let before: Vec<Balance> = PARTICIPANTS.iter().map(|p| Balances::balance(p)).collect();
		run_until(task, TaskPhase::Finished);
		assert!(evaluation_events().iter().any(|e| matches!(
			e,
			Event::TestSetDisputeUpheld { disputes, evaluators: n, .. }
				if *disputes as usize == majority && *n as usize == evaluators.len()
		)));
		let s = pallet_din_rewards::Settlements::<Test>::get(task).unwrap();
		assert!(!s.scored);
		assert_eq!(s.participants, 8_500, "the whole participant budget is paid out");
		for (i, p) in PARTICIPANTS.iter().enumerate() {
			assert_eq!(Balances::balance(p) - before[i], 8_500 / 4);
		}
		assert!(TestSetDisputes::<Test>::get(task).is_empty(), "pruned");
	});
}

/// Attack: a minority of evaluators (bribed by a participant who scored badly, say) claims
/// that an opening test set does not open, to have the task settled per update. Short of a
/// majority a dispute changes nothing: proven scores settle as usual.
#[test]
fn a_minority_dispute_does_not_unscore_a_task() {
	ExtBuilder::default().build_and_execute(|| {
		register_vk();
		let task = scored_task(zk());
		let evaluators = round_evaluators(task, 0);
		for who in &evaluators[..evaluators.len() / 2] {
			assert_ok!(Evaluation::dispute_test_set(RuntimeOrigin::signed(*who), task));
		}
		let who = scorer(task, 10);
		assert_ok!(Evaluation::submit_score(
			RuntimeOrigin::signed(who),
			task,
			update(10),
			fixtures::MODEL_A_CORRECT,
			fixtures::TOTAL,
			proof(&bound(task, &update(10), who))
		));
		run_until(task, TaskPhase::Finished);
		assert!(!evaluation_events()
			.iter()
			.any(|e| matches!(e, Event::TestSetDisputeUpheld { .. })));
		assert!(pallet_din_rewards::Settlements::<Test>::get(task).unwrap().scored);
	});
}

/// After the tasks pallet's retention, `on_idle` prunes the task's public record here
/// (subgroup results, global models, the released test key) before the task itself; the
/// settlement summary stays, and the owner's task deposit is released.
#[test]
fn an_ended_tasks_record_is_pruned_after_its_retention_and_its_settlement_stays() {
	use polkadot_sdk::frame_support::traits::{Get, Hooks};
	ExtBuilder::default().build_and_execute(|| {
		register_vk();
		let task = scored_task_of(2, zk());
		run_until(task, TaskPhase::Finished);
		let ended = System::block_number();
		let records = || {
			(
				SubgroupResults::<Test>::iter_prefix(task).count(),
				GlobalModels::<Test>::iter_prefix(task).count(),
				TestKeys::<Test>::contains_key(task),
			)
		};
		let (subgroups, globals, key) = records();
		assert!(subgroups > 1 && globals == 2 && key, "{:?}", records());

		// One entry at a time when a block leaves room for one only.
		let one = <() as crate::WeightInfo>::on_task_records_pruned(1);
		let slice = <Evaluation as RoundLifecycle>::prune_task_records(task, one);
		assert!(!slice.done && slice.weight.all_lte(one));
		assert_eq!(records().0 + records().1, subgroups + globals - 1);
		let nothing = <Evaluation as RoundLifecycle>::prune_task_records(task, Weight::zero());
		assert_eq!((nothing.weight, nothing.done), (Weight::zero(), false), "a budget too small");

		let retention = <<Test as pallet_din_tasks::Config>::RecordRetention as Get<u64>>::get();
		let idle_until = |n: u64| {
			while System::block_number() < n {
				run_to(System::block_number() + 1);
				DinTasks::on_idle(System::block_number(), Weight::MAX);
			}
		};
		idle_until(ended + retention - 1);
		assert!(records().2 && pallet_din_tasks::Tasks::<Test>::contains_key(task));
		idle_until(ended + retention);
		assert_eq!(records(), (0, 0, false));
		assert!(!pallet_din_tasks::Tasks::<Test>::contains_key(task));
		assert!(pallet_din_rewards::Settlements::<Test>::contains_key(task), "the summary stays");
		let deposit =
			Balances::balance_on_hold(&pallet_din_tasks::HoldReason::TaskDeposit.into(), &OWNER);
		assert_eq!(deposit, 0);
	});
}

/// A participant whose bytes do not open its commitment must not learn, while it can still
/// submit, whether its panel will check it: the sample's seed is drawn in the block that
/// ends Training, recorded until the round settles, and differs from round to round.
#[test]
fn the_commitment_sample_is_drawn_when_training_ends_and_kept_until_the_round_settles() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create(spec(2, zk()), &PARTICIPANTS);
		run_until(task, TaskPhase::Training);
		for p in PARTICIPANTS {
			submit(task, p, models(p));
		}
		assert_eq!(CommitmentSamples::<Test>::get(task), None, "unknown while Training is open");
		finish_phase(task);
		let (round, first) = CommitmentSamples::<Test>::get(task).expect("drawn");
		assert_eq!(round, 0);
		assert!(evaluation_events().contains(&Event::CommitmentSampleDrawn {
			task,
			round: 0,
			seed: first
		}));
		for s in 0..2 {
			for who in panel(task, 0, s) {
				commit_aggregate(task, who, s, honest_aggregate(s), &[]);
			}
		}
		finish_phase(task);
		assert_eq!(
			CommitmentSamples::<Test>::get(task),
			Some((0, first)),
			"kept through the votes"
		);
		Evaluation::do_try_state().expect("invariants hold");
		for s in 0..2 {
			for who in panel(task, 0, s) {
				reveal_aggregate(task, who, s, honest_aggregate(s), &[]);
			}
		}
		run_until(task, TaskPhase::Training);
		assert_eq!(phase(task).1, 1);
		assert_eq!(CommitmentSamples::<Test>::get(task), None, "dropped when the round settled");
		for p in PARTICIPANTS {
			submit(task, p, models(p));
		}
		finish_phase(task);
		let (round, second) = CommitmentSamples::<Test>::get(task).expect("drawn again");
		assert_eq!(round, 1);
		assert_ne!(first, second, "each round's sample is its own");
		Evaluation::do_try_state().expect("invariants hold");
	});
}

/// A block without fresh randomness records no seed: the panels check every commitment
/// that round rather than a sample someone could have known.
#[test]
fn without_fresh_randomness_every_commitment_is_checked() {
	ExtBuilder::default().build_and_execute(|| {
		let task = create(spec(1, zk()), &PARTICIPANTS);
		FRESH_RANDOMNESS.with(|fresh| fresh.set(false));
		train(task, models);
		FRESH_RANDOMNESS.with(|fresh| fresh.set(true));
		assert_eq!(CommitmentSamples::<Test>::get(task), None);
		let sample = crate::offchain::commitment_sample::<Test>(task, 0, 0, 20);
		assert_eq!(sample.positions().count(), 20);
	});
}
