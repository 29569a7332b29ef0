//! Benchmarks of pallet-din-tasks (frame-benchmarking v2): every call at its worst case
//! (longest descriptor, fullest participant list) and the three kinds of `on_initialize`
//! transition — a plain phase change, a round start over `p` participants and a task end
//! over `p` participants. The worst case of a whole block is `on_initialize_idle` plus
//! `MaxDeadlinesPerBlock` times the heaviest transition at `p = MaxParticipants`.

use super::*;
use din_primitives::AggregationRule;
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::traits::{fungible::Mutate, Hooks},
	frame_system::RawOrigin,
	sp_core::H256,
};

const SEED: u32 = 0;

fn owner<T: Config>() -> T::AccountId {
	let who: T::AccountId = account("owner", 0, SEED);
	fund::<T>(&who, T::MinRewardPool::get().saturating_mul(1_000u32.into()));
	who
}

/// `amount` for `who`, natively (deposits) and in the asset benchmarked pools are in.
fn fund<T: Config>(who: &T::AccountId, amount: BalanceOf<T>) {
	T::Currency::set_balance(who, amount);
	T::BenchmarkHelper::fund(who, amount);
}

/// A valid spec at the bounds: an architecture descriptor of `a` bytes, the longest CIDs,
/// the most rounds, the largest subgroups, the shortest phases.
fn spec<T: Config>(a: u32) -> TaskSpecOf<T> {
	let longest_cid =
		|byte| BoundedVec::truncate_from(alloc::vec![byte; din_primitives::MAX_CID_LEN as usize]);
	let mut spec = TaskSpec::template(
		alloc::vec![7u8; a as usize],
		T::MinRewardPool::get(),
		T::MinPhaseLength::get(),
	);
	// The runtime's heaviest escrow path (an asset's, where it offers one).
	spec.reward.asset = T::BenchmarkHelper::pool_asset();
	spec.genesis.cid = longest_cid(1);
	spec.test_set.encrypted_cid = longest_cid(2);
	spec.test_set.proving_key_cid = longest_cid(4);
	if let Some(scoring) = T::Lifecycle::benchmark_scoring() {
		spec.scoring = scoring;
	}
	spec.rounds = T::MaxRounds::get();
	spec.subgroup_size = T::MaxSubgroupSize::get();
	spec.evaluators_per_subgroup = T::MaxEvaluatorsPerSubgroup::get();
	spec.aggregation = AggregationRule::MultiKrum { f: 0, m: 1 };
	spec.max_samples = T::MaxSamplesPerUpdate::get();
	// A privacy policy: its validation and the round start's `PrivacySpent` are part of
	// the worst case (the smallest noise and the longest δ the bounds allow).
	spec.privacy = Some(din_primitives::PrivacyPolicy {
		clip_norm_milli: 1_000,
		noise_multiplier_milli: 10_000,
		delta_exponent: din_primitives::privacy::MAX_DELTA_EXPONENT,
		epsilon_budget_milli: u32::MAX,
	});
	// Long enough to end early: the last update moves the deadline (submit_update's worst
	// case).
	spec.phases.training = T::MinPhaseLength::get().max(2u32.into()).min(T::MaxPhaseLength::get());
	spec
}

fn participant<T: Config>(i: u32) -> T::AccountId {
	let who: T::AccountId = account("participant", i, SEED);
	let bond = T::Staking::minimum_bond(Role::Participant).saturating_mul(10u32.into());
	T::Staking::bond_for_benchmarks(&who, Role::Participant, bond);
	who
}

/// A task with `p` joined participants, still in Registration.
fn task_with<T: Config>(p: u32) -> (TaskId, T::AccountId) {
	let owner = owner::<T>();
	let task = NextTaskId::<T>::get();
	Pallet::<T>::create_task(
		RawOrigin::Signed(owner.clone()).into(),
		spec::<T>(T::MaxArchitectureLen::get()),
	)
	.expect("valid spec");
	// Joined at block zero, before any randomness a round start uses.
	let now = frame_system::Pallet::<T>::block_number();
	frame_system::Pallet::<T>::set_block_number(Zero::zero());
	for i in 0..p {
		Pallet::<T>::join_task(RawOrigin::Signed(participant::<T>(i)).into(), task)
			.expect("bonded");
	}
	frame_system::Pallet::<T>::set_block_number(now);
	// The round start asks the lifecycle hook (the evaluation pallet's sortition) too.
	T::Lifecycle::prepare_for_benchmarks(task, subgroup_count(p.max(1), T::MaxSubgroupSize::get()));
	(task, owner)
}

/// Create a task in the state `b` describes (see [`TaskInspect::benchmark_task`]): a valid
/// spec with `b`'s scoring, Q and commitments, then its phase, subgroups and updates
/// written directly.
pub(crate) fn benchmark_task<T: Config>(b: din_primitives::BenchmarkTask<T::AccountId>) -> TaskId {
	let pool = T::MinRewardPool::get().saturating_mul(1_000u32.into());
	fund::<T>(&b.owner, pool.saturating_mul(2u32.into()));
	let mut spec = spec::<T>(1);
	spec.reward.amount = pool;
	spec.evaluators_per_subgroup = b.evaluators_per_subgroup;
	spec.scoring = b.scoring;
	spec.genesis.commitment = b.genesis_commitment;
	spec.test_set.commitment = b.test_set_commitment;
	spec.test_set.key_hash = b.test_key_hash;
	let task = NextTaskId::<T>::get();
	Pallet::<T>::create_task(RawOrigin::Signed(b.owner).into(), spec).expect("valid spec");
	let subgroups = b.subgroups.len() as u32;
	for (s, members) in b.subgroups.into_iter().enumerate() {
		for who in members.iter() {
			Assignments::<T>::insert(task, who, Assignment { round: b.round, subgroup: s as u32 });
		}
		Subgroups::<T>::insert(task, s as u32, SubgroupOf::<T>::truncate_from(members));
	}
	let now = frame_system::Pallet::<T>::block_number();
	Rounds::<T>::insert(
		task,
		b.round,
		RoundInfo { started_at: now, participants: 0, subgroups, updates: 0 },
	);
	for (round, who, u) in b.updates {
		let cid = BoundedVec::truncate_from(alloc::vec![3u8; din_primitives::MAX_CID_LEN as usize]);
		let update = UpdateInfo {
			subgroup: u.subgroup,
			cid,
			commitment: u.commitment,
			num_samples: u.num_samples,
			submitted_at: now,
			trained_from: u.trained_from,
		};
		Updates::<T>::insert((task, round), who, update);
	}
	benchmark_set_phase::<T>(task, b.phase, b.round);
	task
}

/// Put a benchmark task into `phase` of `round`.
pub(crate) fn benchmark_set_phase<T: Config>(task: TaskId, phase: TaskPhase, round: RoundIndex) {
	Tasks::<T>::mutate(task, |info| {
		if let Some(info) = info {
			info.phase = phase;
			info.round = round;
		}
	});
}

/// A secure-aggregation task in Training of round 0 with one subgroup of the largest secure
/// size, every member joined with a share key from before the round; returns the task and
/// the members in seat order.
fn secure_round<T: Config>() -> (TaskId, Vec<T::AccountId>) {
	let g = din_primitives::MAX_SECURE_SUBGROUP.min(T::MaxSubgroupSize::get());
	let mut spec = spec::<T>(T::MaxArchitectureLen::get());
	spec.aggregation = AggregationRule::SecureFedAvg;
	spec.privacy = None;
	spec.subgroup_size = g;
	spec.max_samples = (din_primitives::SECURE_WEIGHT_LIMIT - 1) / u64::from(g);
	spec.phases.training = T::MaxPhaseLength::get();
	let task = NextTaskId::<T>::get();
	Pallet::<T>::create_task(RawOrigin::Signed(owner::<T>()).into(), spec).expect("valid spec");
	let members: Vec<T::AccountId> = (0..g).map(participant::<T>).collect();
	for (i, who) in members.iter().enumerate() {
		Pallet::<T>::join_task(RawOrigin::Signed(who.clone()).into(), task).expect("bonded");
		ShareKeys::<T>::insert(task, who, ([i as u8 + 1; 32], BlockNumberFor::<T>::zero()));
		Assignments::<T>::insert(task, who, Assignment { round: 0, subgroup: 0 });
	}
	Subgroups::<T>::insert(task, 0, SubgroupOf::<T>::truncate_from(members.clone()));
	let now = frame_system::Pallet::<T>::block_number().max(1u32.into());
	frame_system::Pallet::<T>::set_block_number(now);
	Rounds::<T>::insert(
		task,
		0,
		RoundInfo { started_at: now, participants: g, subgroups: 1, updates: 0 },
	);
	let ends = now.saturating_add(T::MaxPhaseLength::get());
	Tasks::<T>::mutate(task, |info| {
		let info = info.as_mut().expect("exists");
		Deadlines::<T>::mutate(info.phase_ends, |d| d.retain(|t| *t != task));
		info.phase = TaskPhase::Training;
		info.round = 0;
		info.phase_ends = Pallet::<T>::schedule(task, ends);
	});
	(task, members)
}

/// `who`, member `member` of a secure round, advertised a round key with the most shares.
fn advertised<T: Config>(task: TaskId, who: &T::AccountId, member: u32, members: u32) {
	RoundKeys::<T>::insert(
		(task, 0),
		who,
		RoundKey {
			subgroup: 0,
			member,
			public: [7; 32],
			self_seed_commitment: [8; 32],
			sealed: BoundedVec::truncate_from(alloc::vec![
				[9u8; din_primitives::SEALED_SHARES_LEN];
				members as usize - 1
			]),
		},
	);
}

/// Run `on_initialize` at the task's current deadline.
fn reach_deadline<T: Config>(task: TaskId) {
	let at = Tasks::<T>::get(task).expect("exists").phase_ends;
	frame_system::Pallet::<T>::set_block_number(at);
	Pallet::<T>::on_initialize(at);
}

/// A cancelled task (the longest descriptor), queued for pruning.
fn ended_task<T: Config>() -> TaskId {
	let (task, owner) = task_with::<T>(0);
	Pallet::<T>::cancel_task(RawOrigin::Signed(owner).into(), task).expect("cancellable");
	task
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_task(a: Linear<1, { T::MaxArchitectureLen::get() }>) {
		let owner = owner::<T>();
		let spec = spec::<T>(a);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), spec);
		assert!(Tasks::<T>::contains_key(0));
	}

	#[benchmark]
	fn join_task() {
		let (task, _) = task_with::<T>(T::MaxParticipants::get() - 1);
		let who = participant::<T>(T::MaxParticipants::get());
		#[extrinsic_call]
		_(RawOrigin::Signed(who), task);
		assert_eq!(Participants::<T>::decode_len(task), Some(T::MaxParticipants::get() as usize));
	}

	#[benchmark]
	fn leave_task() {
		let (task, _) = task_with::<T>(T::MaxParticipants::get());
		let who = participant::<T>(0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), task);
		assert_eq!(
			Pallet::<T>::participant_count(task),
			T::MaxParticipants::get() - 1,
			"the entry stays until the round starts"
		);
	}

	#[benchmark]
	fn cancel_task(p: Linear<0, { T::MaxParticipants::get() }>) {
		let (task, owner) = task_with::<T>(p);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), task);
		assert_eq!(Tasks::<T>::get(task).expect("exists").phase, TaskPhase::Cancelled);
	}

	#[benchmark]
	fn extend_task() {
		let (task, owner) = task_with::<T>(1);
		reach_deadline::<T>(task);
		// One round short of the bound, so that one more fits.
		Tasks::<T>::mutate(task, |info| {
			let info = info.as_mut().expect("exists");
			info.spec.rounds = T::MaxRounds::get() - 1;
		});
		let info = Tasks::<T>::get(task).expect("exists");
		let top_up = info.spec.reward.amount;
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), task, 1, top_up);
		assert_eq!(Tasks::<T>::get(task).expect("exists").spec.rounds, info.spec.rounds + 1);
	}

	#[benchmark]
	fn end_training() {
		let (task, owner) = task_with::<T>(1);
		reach_deadline::<T>(task);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), task);
		assert_eq!(Tasks::<T>::get(task).expect("exists").spec.rounds, 1);
	}

	#[benchmark]
	fn submit_update() {
		let (task, _) = task_with::<T>(T::MaxParticipants::get());
		reach_deadline::<T>(task);
		let who = participant::<T>(0);
		let cid: Cid =
			BoundedVec::truncate_from(alloc::vec![3u8; din_primitives::MAX_CID_LEN as usize]);
		// The worst case: the round's last expected update, which closes Training early.
		Rounds::<T>::mutate(task, 0, |r| {
			if let Some(r) = r {
				r.updates = r.participants.saturating_sub(1);
			}
		});
		let deadline = Tasks::<T>::get(task).expect("exists").phase_ends;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), task, 0, cid, H256::repeat_byte(4), 1_000);
		assert!(Updates::<T>::contains_key((task, 0), &who));
		assert!(Tasks::<T>::get(task).expect("exists").phase_ends < deadline);
	}

	#[benchmark]
	fn submit_stale_update() {
		let (task, _) = task_with::<T>(T::MaxParticipants::get());
		Tasks::<T>::mutate(task, |info| {
			let info = info.as_mut().expect("exists");
			info.spec.rounds = din_primitives::MAX_STALENESS + 1;
			info.spec.pacing =
				Pacing::Asynchronous { buffer: 1, max_staleness: din_primitives::MAX_STALENESS };
		});
		reach_deadline::<T>(task);
		let who = participant::<T>(0);
		// The oldest model it may have trained from: every round since is checked for an
		// update of its own. The last round's Training, which round 0's subgroups and record
		// stand in for.
		let round = din_primitives::MAX_STALENESS;
		benchmark_set_phase::<T>(task, TaskPhase::Training, round);
		Assignments::<T>::mutate(task, &who, |a| a.as_mut().expect("assigned").round = round);
		Rounds::<T>::insert(task, round, Rounds::<T>::get(task, 0).expect("round 0 started"));
		let cid: Cid =
			BoundedVec::truncate_from(alloc::vec![3u8; din_primitives::MAX_CID_LEN as usize]);
		let deadline = Tasks::<T>::get(task).expect("exists").phase_ends;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), task, round, 0, cid, H256::repeat_byte(4), 1_000);
		let update = Updates::<T>::get((task, round), &who).expect("recorded");
		assert_eq!(update.trained_from, 0);
		// The worst case: the update fills the buffer, which closes Training early.
		assert!(Tasks::<T>::get(task).expect("exists").phase_ends < deadline);
	}

	#[benchmark]
	fn register_share_key() {
		// The membership check scans the fullest participant list.
		let (task, _) = task_with::<T>(T::MaxParticipants::get());
		let who = participant::<T>(T::MaxParticipants::get() - 1);
		Tasks::<T>::mutate(task, |info| {
			let info = info.as_mut().expect("exists");
			info.spec.aggregation = AggregationRule::SecureFedAvg;
		});
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), task, [5; 32]);
		assert!(ShareKeys::<T>::contains_key(task, &who));
	}

	#[benchmark]
	fn advertise_round_key() {
		let (task, members) = secure_round::<T>();
		let g = members.len() as u32;
		// The last seat: the eligibility scan reads every member's share key first.
		let who = members[g as usize - 1].clone();
		let sealed = BoundedVec::truncate_from(alloc::vec![
			[9u8; din_primitives::SEALED_SHARES_LEN];
			g as usize - 1
		]);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), task, 0, [7; 32], [8; 32], sealed);
		assert!(RoundKeys::<T>::contains_key((task, 0), &who));
	}

	#[benchmark]
	fn submit_masked_update() {
		let (task, members) = secure_round::<T>();
		let g = members.len() as u32;
		for (i, who) in members.iter().enumerate() {
			advertised::<T>(task, who, i as u32, g);
		}
		SecureRounds::<T>::insert(
			(task, 0),
			0,
			SecureProgress { eligible: g, advertised: u32::MAX >> (32 - g), ..Default::default() },
		);
		let who = members[0].clone();
		let cid: Cid =
			BoundedVec::truncate_from(alloc::vec![3u8; din_primitives::MAX_CID_LEN as usize]);
		#[block]
		{
			Pallet::<T>::submit_update(
				RawOrigin::Signed(who.clone()).into(),
				task,
				0,
				cid,
				H256::repeat_byte(4),
				1_000,
			)
			.expect("the upload step is open");
		}
		assert!(Updates::<T>::contains_key((task, 0), &who));
	}

	#[benchmark]
	fn hand_over_shares() {
		let (task, members) = secure_round::<T>();
		let g = members.len() as u32;
		let all = u32::MAX >> (32 - g);
		for (i, who) in members.iter().enumerate() {
			advertised::<T>(task, who, i as u32, g);
		}
		// The worst case: the last hand-over of the round, which ends Training early.
		SecureRounds::<T>::insert(
			(task, 0),
			0,
			SecureProgress { eligible: g, advertised: all, uploaded: all, handed: all & !1 },
		);
		let who = members[0].clone();
		let shares = BoundedVec::truncate_from(
			(0..g).map(|owner| HandedShare { owner, share: [6; 32] }).collect::<Vec<_>>(),
		);
		let deadline = Tasks::<T>::get(task).expect("exists").phase_ends;
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), task, 0, shares);
		assert!(Handovers::<T>::contains_key((task, 0), &who));
		assert!(Tasks::<T>::get(task).expect("exists").phase_ends < deadline);
	}

	#[benchmark]
	fn on_initialize_idle() {
		let now = frame_system::Pallet::<T>::block_number();
		#[block]
		{
			Pallet::<T>::on_initialize(now);
		}
	}

	#[benchmark]
	fn on_initialize_phase() {
		let (task, _) = task_with::<T>(1);
		reach_deadline::<T>(task);
		let at = Tasks::<T>::get(task).expect("exists").phase_ends;
		frame_system::Pallet::<T>::set_block_number(at);
		#[block]
		{
			Pallet::<T>::on_initialize(at);
		}
		assert_eq!(Tasks::<T>::get(task).expect("exists").phase, TaskPhase::AggregationCommit);
	}

	#[benchmark]
	fn on_initialize_round_start(
		p: Linear<1, { T::MaxParticipants::get() / 2 }>,
		l: Linear<0, { T::MaxParticipants::get() / 2 }>,
	) {
		let (task, _) = task_with::<T>(p + l);
		let at = Tasks::<T>::get(task).expect("exists").phase_ends;
		frame_system::Pallet::<T>::set_block_number(at);
		// `l` participants left once the shuffle's inputs froze: each is shuffled with an
		// empty seat, its lock released and its entry dropped.
		for i in p..p + l {
			Pallet::<T>::leave_task(RawOrigin::Signed(participant::<T>(i)).into(), task)
				.expect("joined");
		}
		#[block]
		{
			Pallet::<T>::on_initialize(at);
		}
		assert_eq!(Rounds::<T>::get(task, 0).expect("started").participants, p);
		assert_eq!(Participants::<T>::decode_len(task), Some(p as usize));
	}

	#[benchmark]
	fn on_initialize_finish(
		p: Linear<1, { T::MaxReleasesPerBlock::get().min(T::MaxParticipants::get()) }>,
	) {
		let (task, _) = task_with::<T>(p);
		// Start round 0 (snapshot and assignments to clear), then jump to the last phase of
		// the last round: walking `MaxRounds` rounds would only make the setup slow.
		reach_deadline::<T>(task);
		Tasks::<T>::mutate(task, |info| {
			let info = info.as_mut().expect("exists");
			info.round = info.spec.rounds - 1;
			info.phase = TaskPhase::Rewarding;
		});
		// The runtime's lifecycle settles the end of Rewarding in slices, holding the phase
		// a block each: run them, so that the measured block is the one the task finishes
		// in (each try of it is rolled back).
		let mut at = Tasks::<T>::get(task).expect("exists").phase_ends;
		for _ in 0..10_000 {
			// Each slice goes to the database first: a rolled-back try on top of uncommitted
			// removals sees different prefix-removal counts (`clear_prefix` walks the
			// overlay's removed keys again) than the measured block would. (The mock's
			// in-memory backend cannot commit, and its lifecycle removes no prefix.)
			#[cfg(not(test))]
			polkadot_sdk::frame_benchmarking::benchmarking::commit_db();
			frame_system::Pallet::<T>::set_block_number(at);
			let finishes = polkadot_sdk::frame_support::storage::with_transaction(|| {
				Pallet::<T>::on_initialize(at);
				let info = Tasks::<T>::get(task).expect("exists");
				if info.phase == TaskPhase::Finished {
					polkadot_sdk::sp_runtime::TransactionOutcome::Rollback(Ok::<_, DispatchError>(
						None,
					))
				} else {
					polkadot_sdk::sp_runtime::TransactionOutcome::Commit(Ok(Some(info.phase_ends)))
				}
			})
			.expect("no error");
			match finishes {
				None => break,
				Some(next) => at = next,
			}
		}
		#[block]
		{
			Pallet::<T>::on_initialize(at);
		}
		assert_eq!(Tasks::<T>::get(task).expect("exists").phase, TaskPhase::Finished);
		assert_eq!(Participants::<T>::decode_len(task), None, "every bond released");
	}

	/// `on_idle` with an ended task at the front of the prune queue whose retention has not
	/// passed: a look at the queue, the cost every pruning step pays too.
	#[benchmark]
	fn on_idle_nothing_due() {
		let task = ended_task::<T>();
		let (front, _) = PruneQueueBounds::<T>::get();
		let due = PruneQueue::<T>::get(front).expect("queued").due;
		let now = due.saturating_sub(polkadot_sdk::sp_runtime::traits::One::one());
		#[block]
		{
			Pallet::<T>::prune_within(now, Weight::MAX);
		}
		assert!(Tasks::<T>::contains_key(task));
	}

	/// A pruning step that removes `k` updates of a round of an ended task and the round's
	/// record (the lookup of the round included).
	#[benchmark]
	fn on_idle_prune_round(k: Linear<1, { T::MaxParticipants::get() }>) {
		let task = ended_task::<T>();
		let now = frame_system::Pallet::<T>::block_number();
		Rounds::<T>::insert(
			task,
			0,
			RoundInfo { started_at: now, participants: k, subgroups: 1, updates: k },
		);
		for i in 0..k {
			let cid =
				BoundedVec::truncate_from(alloc::vec![3u8; din_primitives::MAX_CID_LEN as usize]);
			let update = UpdateInfo {
				subgroup: 0,
				cid,
				commitment: H256::repeat_byte(5),
				num_samples: 1,
				submitted_at: now,
				trained_from: 0,
			};
			Updates::<T>::insert(
				(task, 0),
				account::<T::AccountId>("participant", i, SEED),
				update,
			);
		}
		// A step of limit `k` removes at most `k` updates, or fewer and the round's record:
		// measured as both, `k` updates and the record.
		let removed;
		#[block]
		{
			let round = Rounds::<T>::iter_key_prefix(task).next().expect("a round");
			removed = Pallet::<T>::prune_round(task, round, k + 1);
		}
		assert_eq!(removed, k);
		assert!(!Rounds::<T>::contains_key(task, 0));
		assert_eq!(Updates::<T>::iter_prefix((task, 0)).count(), 0);
	}

	/// The last pruning step of an ended task: its record removed and its deposit released.
	#[benchmark]
	fn on_idle_task_pruned() {
		let task = ended_task::<T>();
		let now = frame_system::Pallet::<T>::block_number();
		let mut entry = PruneEntry { task, due: now, lifecycle_done: true };
		#[block]
		{
			Pallet::<T>::prune_step(&mut entry, Weight::MAX);
		}
		assert!(!Tasks::<T>::contains_key(task));
		assert!(!TaskDeposits::<T>::contains_key(task));
	}

	impl_benchmark_test_suite!(
		Pallet,
		crate::mock::ExtBuilder::default().build(),
		crate::mock::Test
	);
}
