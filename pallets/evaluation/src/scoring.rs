//! Scoring, after the last round: the test-set key, the two scoring rules, and the
//! settlement handed to the rewards pallet, one slice per block.
//!
//! The rules differ only in how a target's score comes to exist, so they share the window
//! check ([`Pallet::scoring_terms`]: Scoring or Rewarding, key released) and the scorer
//! check ([`Pallet::authorize_scorer`]: a panel member of the update, or a last-round
//! evaluator for the baseline). Under `ZkAccuracy` the first Groth16 proof that verifies
//! against the task's registered verifying key settles the score at once; under `Median`
//! panel members commit in Scoring and reveal in Rewarding, and the median of at least
//! [`median_quorum`] reveals is taken at the end of Rewarding. Either way the end of
//! Rewarding is held (the tasks pallet's phase hold) while [`ScoreSettlements`] walks the
//! task's records under [`Config::SettlementSliceWeight`] per block: the reference scores
//! first (the genesis model's and each global model's, which every update is measured
//! against), then each update's score, accepted updates and work, handed to
//! [`Config::Rewards`] one [`Credit`] at a time; then the rewards pallet pays out in slices;
//! then the task's working records are pruned in slices, so a settled task costs no more
//! storage than its public record, and no block carries more than a slice of it.

use super::*;

impl<T: Config> Pallet<T> {
	/// Store a Groth16 verifying key under its hash, once, if it decodes for the evaluation
	/// circuit, with its prepared form, holding the deposit for both from `who`; returns the
	/// hash, the key's length and the deposit.
	pub(crate) fn register_key(
		who: &T::AccountId,
		vk: BoundedVec<u8, T::MaxVerifyingKeyLen>,
	) -> Result<(H256, u32, T::Balance), DispatchError> {
		let hash = H256(blake2_256(&vk));
		ensure!(!VerifyingKeys::<T>::contains_key(hash), Error::<T>::VerifyingKeyExists);
		let prepared = Self::prepare_verifying_key(&vk)?;
		let len = vk.len() as u32;
		let deposit = Self::verifying_key_deposit(vk.len().saturating_add(prepared.len()));
		T::Currency::hold(&HoldReason::VerifyingKeyDeposit.into(), who, deposit)
			.map_err(|_| Error::<T>::InsufficientBalanceForDeposit)?;
		VerifyingKeys::<T>::insert(hash, vk);
		PreparedVerifyingKeys::<T>::insert(hash, prepared);
		VerifyingKeyRegistrations::<T>::insert(
			hash,
			KeyRegistration { registrant: who.clone(), deposit, live_tasks: 0 },
		);
		Ok((hash, len, deposit))
	}

	/// The deposit for a verifying key that keeps `bytes` bytes in state.
	pub fn verifying_key_deposit(bytes: usize) -> T::Balance {
		let bytes: T::Balance = (bytes as u32).into();
		T::VerifyingKeyDepositBase::get()
			.saturating_add(T::VerifyingKeyDepositPerByte::get().saturating_mul(bytes))
	}

	/// Remove the verifying key `hash` that `who` registered and no live task names, and
	/// release its deposit; returns the deposit.
	pub(crate) fn unregister_key(
		who: &T::AccountId,
		hash: H256,
	) -> Result<T::Balance, DispatchError> {
		let registration =
			VerifyingKeyRegistrations::<T>::get(hash).ok_or(Error::<T>::UnknownVerifyingKey)?;
		ensure!(&registration.registrant == who, Error::<T>::NotKeyRegistrant);
		ensure!(registration.live_tasks == 0, Error::<T>::VerifyingKeyInUse);
		T::Currency::release(
			&HoldReason::VerifyingKeyDeposit.into(),
			who,
			registration.deposit,
			Precision::BestEffort,
		)?;
		VerifyingKeyRegistrations::<T>::remove(hash);
		VerifyingKeys::<T>::remove(hash);
		PreparedVerifyingKeys::<T>::remove(hash);
		Ok(registration.deposit)
	}

	/// Bind a task being created to its verifying key: the key must be registered, and is
	/// counted as in use until the task ends.
	pub(crate) fn bind_verifying_key(scoring: &ScoringRule) -> DispatchResult {
		if let ScoringRule::ZkAccuracy { vk } = scoring {
			ensure!(PreparedVerifyingKeys::<T>::contains_key(vk), Error::<T>::UnknownVerifyingKey);
			VerifyingKeyRegistrations::<T>::mutate(vk, |registration| {
				if let Some(registration) = registration {
					registration.live_tasks.saturating_inc();
				}
			});
		}
		Ok(())
	}

	/// Release an ended task's hold on its verifying key.
	pub(crate) fn unbind_verifying_key(task: TaskId) {
		if let Some(ScoringRule::ZkAccuracy { vk }) = T::Tasks::terms(task).map(|t| t.scoring) {
			VerifyingKeyRegistrations::<T>::mutate(vk, |registration| {
				if let Some(registration) = registration {
					registration.live_tasks.saturating_dec();
				}
			});
		}
	}

	/// The prepared form of `vk`, within its bound.
	pub(crate) fn prepare_verifying_key(
		vk: &[u8],
	) -> Result<BoundedVec<u8, T::MaxPreparedVerifyingKeyLen>, Error<T>> {
		let prepared = T::Verifier::prepare_key(vk).ok_or(Error::<T>::MalformedVerifyingKey)?;
		prepared.try_into().map_err(|_| Error::<T>::PreparedKeyTooLong)
	}

	/// Store the test-set key `who` releases for `task`: only its owner, only in Scoring
	/// (under the median rule, while half of it remains for the score commits), once, and
	/// only the key whose hash the spec committed to — a key that opens nothing would
	/// otherwise leave every score unprovable.
	pub(crate) fn store_test_key(
		task: TaskId,
		who: &T::AccountId,
		key: BoundedVec<u8, T::MaxTestKeyLen>,
	) -> DispatchResult {
		let terms = T::Tasks::terms(task).ok_or(Error::<T>::UnknownTask)?;
		ensure!(terms.owner == *who, Error::<T>::NotOwner);
		ensure!(terms.phase == TaskPhase::Scoring, Error::<T>::NotScoring);
		let now = frame_system::Pallet::<T>::block_number();
		if matches!(terms.scoring, ScoringRule::Median { .. }) {
			let left = terms.phase_ends.saturating_sub(now.unique_saturated_into());
			ensure!(left.saturating_mul(2) >= terms.phase_length, Error::<T>::TestKeyTooLate);
		}
		ensure!(!key.is_empty(), Error::<T>::EmptyTestKey);
		ensure!(
			H256(din_fl::sealed_test_set::test_key_hash(&key)) == terms.test_key_hash,
			Error::<T>::TestKeyMismatch
		);
		ensure!(!TestKeys::<T>::contains_key(task), Error::<T>::TestKeyAlreadyReleased);
		TestKeys::<T>::insert(task, TestKey { key, released_at: now });
		Ok(())
	}

	/// Settle `target` of a `ZkAccuracy` task at `correct / total` if `proof` verifies and
	/// `who` may score it; the first valid proof wins, replays are refused.
	pub(crate) fn settle_proven_score(
		task: TaskId,
		target: &ScoreTargetOf<T>,
		correct: u32,
		total: u32,
		proof: &[u8],
		who: &T::AccountId,
	) -> DispatchResult {
		let terms = Self::scoring_terms(task)?;
		let ScoringRule::ZkAccuracy { vk } = terms.scoring else {
			return Err(Error::<T>::NotZkScoring.into());
		};
		ensure!(total > 0 && correct <= total, Error::<T>::InvalidCount);
		ensure!(!ProvenScores::<T>::contains_key(task, target), Error::<T>::ScoreAlreadySettled);
		let model = Self::authorize_scorer(task, &terms, target, who)?;
		ensure!(ScoredTargets::<T>::get(task) < T::MaxScores::get(), Error::<T>::TooManyScores);
		let binding = score_binding(task, target, who);
		Self::verify_score(vk, &model, &terms, correct, total, &binding, proof)?;
		Self::record_proven_score(task, terms.round, target, correct, total, who);
		Ok(())
	}

	/// The terms of a task that takes scores now: in Scoring or Rewarding, key released.
	pub(crate) fn scoring_terms(
		task: TaskId,
	) -> Result<TaskTerms<T::AccountId, T::Balance>, DispatchError> {
		let terms = T::Tasks::terms(task).ok_or(Error::<T>::UnknownTask)?;
		ensure!(
			matches!(terms.phase, TaskPhase::Scoring | TaskPhase::Rewarding),
			Error::<T>::NotScoringWindow
		);
		ensure!(!ScoreSettlements::<T>::contains_key(task), Error::<T>::ScoringClosed);
		ensure!(TestKeys::<T>::contains_key(task), Error::<T>::TestKeyNotReleased);
		Ok(terms)
	}

	/// Check that `who` may score `target` and return the commitment of the scored model.
	/// The baseline's panel is the last round's first; a global model's, the first panel of
	/// the round that fixed it (which computed it); an update's, its subgroup's. In a
	/// secure-aggregation task an update's scored model is its subgroup's aggregate.
	pub(crate) fn authorize_scorer(
		task: TaskId,
		terms: &TaskTerms<T::AccountId, T::Balance>,
		target: &ScoreTargetOf<T>,
		who: &T::AccountId,
	) -> Result<Commitment, DispatchError> {
		match target {
			ScoreTarget::Baseline => {
				ensure!(
					Self::baseline_panel(task, terms.round).contains(who),
					Error::<T>::NotOnPanel
				);
				Ok(terms.genesis_commitment)
			},
			ScoreTarget::Global { round } => {
				ensure!(*round < terms.round, Error::<T>::NotTrainedFrom);
				let model =
					GlobalModels::<T>::get(task, round).ok_or(Error::<T>::NotTrainedFrom)?;
				ensure!(Self::baseline_panel(task, *round).contains(who), Error::<T>::NotOnPanel);
				Ok(model.commitment)
			},
			ScoreTarget::Update { round, participant } => {
				let update =
					T::Tasks::update(task, *round, participant).ok_or(Error::<T>::UnknownUpdate)?;
				ensure!(
					Self::is_accepted(task, *round, update.subgroup, participant),
					Error::<T>::UpdateNotAccepted
				);
				ensure!(
					Panels::<T>::get(task, (*round, update.subgroup)).contains(who),
					Error::<T>::NotOnPanel
				);
				if terms.secure_aggregation {
					// A masked update says nothing on its own: its member is scored by the
					// aggregate of its subgroup, which the panel's majority unmasked.
					return match SubgroupResults::<T>::get(task, (*round, update.subgroup)) {
						Some(SubgroupResult::Accepted(reveal)) => Ok(reveal.commitment),
						_ => Err(Error::<T>::UpdateNotAccepted.into()),
					};
				}
				Ok(update.commitment)
			},
		}
	}

	/// Check `proof` of `correct / total` for the model committed to by `model` under the
	/// registered verifying key `vk`, made for `binding` (the task, target and prover).
	pub(crate) fn verify_score(
		vk: H256,
		model: &Commitment,
		terms: &TaskTerms<T::AccountId, T::Balance>,
		correct: u32,
		total: u32,
		binding: &[u8; 32],
		proof: &[u8],
	) -> DispatchResult {
		let key = PreparedVerifyingKeys::<T>::get(vk).ok_or(Error::<T>::UnknownVerifyingKey)?;
		let inputs =
			evaluation_public_inputs(model, &terms.test_set_commitment, correct, total, binding);
		ensure!(T::Verifier::verify(&key, &inputs, proof), Error::<T>::InvalidProof);
		Ok(())
	}

	/// Settle `target` at `correct / total`, proven by `prover`, who earns the work.
	pub(crate) fn record_proven_score(
		task: TaskId,
		round: RoundIndex,
		target: &ScoreTargetOf<T>,
		correct: u32,
		total: u32,
		prover: &T::AccountId,
	) {
		ProvenScores::<T>::insert(
			task,
			target,
			ProvenScore { correct, total, prover: prover.clone() },
		);
		ScoredTargets::<T>::mutate(task, |n| n.saturating_inc());
		Self::credit_work(task, round, prover);
	}

	/// Record the score commit of `who` on `target` of a median-scored task, once, in
	/// Scoring; the first commit on a target counts it against `MaxScores`.
	pub(crate) fn record_score_commit(
		task: TaskId,
		target: &ScoreTargetOf<T>,
		who: &T::AccountId,
		hash: H256,
	) -> DispatchResult {
		let terms = Self::scoring_terms(task)?;
		ensure!(matches!(terms.scoring, ScoringRule::Median { .. }), Error::<T>::NotMedianScoring);
		ensure!(terms.phase == TaskPhase::Scoring, Error::<T>::NotScoring);
		ensure!(hash != H256::zero(), Error::<T>::ZeroHash);
		Self::authorize_scorer(task, &terms, target, who)?;
		let first =
			Reports::<T>::try_mutate(task, target, |reports| -> Result<bool, DispatchError> {
				ensure!(!reports.iter().any(|(a, _)| a == who), Error::<T>::AlreadyCommitted);
				let first = reports.is_empty();
				if first {
					ensure!(
						ScoredTargets::<T>::get(task) < T::MaxScores::get(),
						Error::<T>::TooManyScores
					);
				}
				// A panel has at most `MaxPanelSize` members and each commits once.
				reports
					.try_push((who.clone(), Vote::Committed(hash)))
					.map_err(|_| Error::<T>::NotOnPanel)?;
				Ok(first)
			})?;
		if first {
			ScoredTargets::<T>::mutate(task, |n| n.saturating_inc());
		}
		Ok(())
	}

	/// Open the score commit of `who` on `target` to `correct / total`, in Rewarding, once.
	/// Returns the accuracy.
	pub(crate) fn record_score_reveal(
		task: TaskId,
		target: &ScoreTargetOf<T>,
		who: &T::AccountId,
		correct: u32,
		total: u32,
		salt: &[u8; 32],
	) -> Result<Perbill, DispatchError> {
		let terms = T::Tasks::terms(task).ok_or(Error::<T>::UnknownTask)?;
		ensure!(terms.phase == TaskPhase::Rewarding, Error::<T>::NotRewarding);
		ensure!(!ScoreSettlements::<T>::contains_key(task), Error::<T>::ScoringClosed);
		ensure!(total > 0 && correct <= total, Error::<T>::InvalidCount);
		let accuracy = Perbill::from_rational(correct, total);
		Reports::<T>::try_mutate(task, target, |reports| {
			let vote = reports
				.iter_mut()
				.find_map(|(a, vote)| (a == who).then_some(vote))
				.ok_or(Error::<T>::NotCommitted)?;
			let Vote::Committed(hash) = vote else {
				return Err(Error::<T>::AlreadyRevealed.into());
			};
			ensure!(
				*hash == score_commit_hash(task, target, who, correct, total, salt),
				Error::<T>::RevealMismatch
			);
			*vote = Vote::Revealed(accuracy);
			Ok(accuracy)
		})
	}

	/// Record that `who`, an evaluator of the task's last round, found that the released key
	/// opens no committed test set.
	pub(crate) fn record_dispute(task: TaskId, who: &T::AccountId) -> DispatchResult {
		let terms = Self::scoring_terms(task)?;
		ensure!(Self::is_round_evaluator(task, terms.round, who), Error::<T>::NotRoundEvaluator);
		TestSetDisputes::<T>::try_mutate(task, |disputes| {
			ensure!(!disputes.contains(who), Error::<T>::AlreadyDisputed);
			// Every disputer holds a seat of the last round, and a round has at most
			// `MaxEvaluators` distinct evaluators.
			disputes.try_push(who.clone()).map_err(|_| Error::<T>::NotRoundEvaluator.into())
		})
	}

	/// Whether a strict majority of the last round's evaluators disputed the test set.
	fn test_set_disputed(task: TaskId, round: RoundIndex) -> bool {
		let disputes = TestSetDisputes::<T>::get(task).len() as u32;
		let evaluators = RoundEvaluators::<T>::get(task, round).len() as u32;
		let upheld = disputes > 0 && disputes.saturating_mul(2) > evaluators;
		if upheld {
			Self::deposit_event(Event::TestSetDisputeUpheld { task, disputes, evaluators });
		}
		upheld
	}

	/// Whether scores can exist for `task`: the key is released and, for `ZkAccuracy`, the
	/// verifying key is registered.
	fn test_key_usable(task: TaskId) -> bool {
		let Some(terms) = T::Tasks::terms(task) else { return false };
		let vk_ready = match terms.scoring {
			ScoringRule::ZkAccuracy { vk } => VerifyingKeys::<T>::contains_key(vk),
			ScoringRule::Median { .. } => true,
		};
		vk_ready && TestKeys::<T>::contains_key(task)
	}

	/// One block's share of the settlement at the end of Rewarding, under `budget`: a slice
	/// of records (opening the settlement first), or of the rewards pallet's payout, or of
	/// the pruning. `done` once the last record is pruned; the tasks pallet holds the phase
	/// until then. Returns the benchmarked weight at the counts processed.
	pub(crate) fn settle_scores(task: TaskId) -> WorkSlice {
		Self::settle_scores_within(task, T::SettlementSliceWeight::get())
	}

	/// [`Self::settle_scores`] under `budget`.
	pub(crate) fn settle_scores_within(task: TaskId, budget: Weight) -> WorkSlice {
		match ScoreSettlements::<T>::get(task) {
			Some(ScoreSettlement::PayingOut) => {
				let paid = T::Rewards::pay_out(task, budget);
				if paid.done {
					ScoreSettlements::<T>::insert(task, ScoreSettlement::Pruning);
				}
				// What this dispatch adds to the payout: no more than the last pruning slice.
				WorkSlice::more(paid.weight.saturating_add(T::WeightInfo::on_scores_finalized()))
			},
			Some(ScoreSettlement::Pruning) => {
				let (removed, done) = Self::prune_scores(task, Self::prunable_within(budget));
				let weight = if done {
					T::WeightInfo::on_scores_finalized()
				} else {
					T::WeightInfo::on_scores_pruned(removed.max(1))
				};
				WorkSlice { weight, done }
			},
			stage => {
				let opening = if stage.is_none() {
					T::WeightInfo::on_scores_opened()
				} else {
					Weight::zero()
				};
				let limit = Self::records_within(budget.saturating_sub(opening));
				let processed = Self::settle_records(task, stage, limit);
				WorkSlice::more(opening.saturating_add(T::WeightInfo::on_score_slice(processed)))
			},
		}
	}

	/// The most records a slice settles within `budget`, at least one.
	fn records_within(budget: Weight) -> u32 {
		slice_within(T::MaxScores::get(), budget, T::WeightInfo::on_score_slice)
	}

	/// The most entries a pruning slice removes within `budget`, at least one.
	fn prunable_within(budget: Weight) -> u32 {
		slice_within(Self::prunable_entries(), budget, T::WeightInfo::on_scores_pruned)
	}

	/// The most panels and round-evaluator lists a task can leave behind.
	pub(crate) fn prunable_entries() -> u32 {
		let rounds = T::MaxRounds::get();
		rounds.saturating_mul(T::MaxSubgroups::get()).saturating_add(rounds)
	}

	/// Decide whether the task's scores count (its key was released, usable and not
	/// disputed), and start with the reference scores.
	fn open_score_settlement(task: TaskId, round: RoundIndex) -> ScoreSettlementOf<T> {
		// The key could only be released in Scoring, so this is the answer of its end; a key
		// the last round's majority could not open counts as withheld.
		let released = Self::test_key_usable(task) && !Self::test_set_disputed(task, round);
		if !released {
			Self::deposit_event(Event::TestKeyWithheld { task });
		}
		ScoreSettlement::References {
			released,
			next: 0,
			baseline: None,
			globals: BoundedVec::new(),
		}
	}

	/// Settle up to `limit` of `task`'s records from `stage` (`None`: open the settlement):
	/// the reference scores, then (with the rewards pallet's settlement opened on them) each
	/// update's score, participant's accepted updates and evaluator's work, handed over one
	/// by one. Returns the records settled.
	pub(crate) fn settle_records(
		task: TaskId,
		stage: Option<ScoreSettlementOf<T>>,
		limit: u32,
	) -> u32 {
		let Some(terms) = T::Tasks::terms(task) else { return 0 };
		let mut stage = stage.unwrap_or_else(|| Self::open_score_settlement(task, terms.round));
		let mut processed = 0u32;
		loop {
			match &mut stage {
				ScoreSettlement::References { released, next, baseline, globals } => {
					// The genesis model, then the global model of every round but the last
					// (which no round trained from).
					if *next > terms.round {
						let basis = ScoreBasis {
							test_key_released: *released,
							baseline: *baseline,
							globals: globals.to_vec(),
						};
						T::Rewards::open(task, basis);
						stage = ScoreSettlement::Credits {
							released: *released,
							scores: 0,
							accepted: 0,
							evaluators: 0,
						};
						continue;
					}
					if processed >= limit {
						break;
					}
					let target = match next.checked_sub(1) {
						None => ScoreTarget::Baseline,
						Some(round) => ScoreTarget::Global { round },
					};
					*next += 1;
					processed += 1;
					match (Self::take_score(task, &terms, &target, *released), target) {
						(Some(accuracy), ScoreTarget::Baseline) => *baseline = Some(accuracy),
						(Some(accuracy), ScoreTarget::Global { round }) => {
							// One per round, and a task has at most `MaxRounds`.
							let _ = globals.try_push((round, accuracy));
						},
						_ => {},
					}
				},
				ScoreSettlement::Credits { released, scores, accepted, evaluators } => {
					let want = limit.saturating_sub(processed);
					if want == 0 {
						break;
					}
					let targets: Vec<ScoreTargetOf<T>> = ProvenScores::<T>::iter_key_prefix(task)
						.chain(Reports::<T>::iter_key_prefix(task))
						.take(want as usize)
						.collect();
					for target in targets.iter() {
						let accuracy = Self::take_score(task, &terms, target, *released);
						if let (Some(accuracy), ScoreTarget::Update { round, participant }) =
							(accuracy, target)
						{
							let who = participant.clone();
							// A stale update is paid over the model it trained from.
							let trained_from = T::Tasks::update(task, *round, &who)
								.map_or(*round, |update| update.trained_from);
							T::Rewards::credit(
								task,
								Credit::Score { who, round: *round, trained_from, accuracy },
							);
							*scores += 1;
						}
					}
					processed += targets.len() as u32;
					if targets.len() as u32 == want {
						break;
					}
					let want = limit.saturating_sub(processed);
					let updates: Vec<(T::AccountId, u32)> =
						AcceptedUpdates::<T>::drain_prefix(task).take(want as usize).collect();
					processed += updates.len() as u32;
					*accepted += updates.len() as u32;
					for (who, updates) in updates.iter() {
						let credit = Credit::Accepted { who: who.clone(), updates: *updates };
						T::Rewards::credit(task, credit);
					}
					if updates.len() as u32 == want {
						break;
					}
					let want = limit.saturating_sub(processed);
					let work: Vec<(T::AccountId, u32)> =
						Work::<T>::drain_prefix(task).take(want as usize).collect();
					processed += work.len() as u32;
					*evaluators += work.len() as u32;
					for (who, units) in work.iter() {
						T::Rewards::credit(task, Credit::Work { who: who.clone(), units: *units });
					}
					if work.len() as u32 == want {
						break;
					}
					Self::deposit_event(Event::TaskScored {
						task,
						scores: *scores,
						accepted: *accepted,
						evaluators: *evaluators,
						test_key_released: *released,
					});
					stage = ScoreSettlement::PayingOut;
					break;
				},
				ScoreSettlement::PayingOut | ScoreSettlement::Pruning => break,
			}
		}
		ScoreSettlements::<T>::insert(task, stage);
		processed
	}

	/// Remove the score of `target` and return its settled accuracy if the task's scores
	/// count: a proven score's, or the median of the reveals when a quorum revealed (whose
	/// reveals within the threshold earn work).
	fn take_score(
		task: TaskId,
		terms: &TaskTerms<T::AccountId, T::Balance>,
		target: &ScoreTargetOf<T>,
		released: bool,
	) -> Option<Perbill> {
		if let Some(score) = ProvenScores::<T>::take(task, target) {
			return released.then(|| Perbill::from_rational(score.correct, score.total));
		}
		let reports = Reports::<T>::take(task, target);
		let ScoringRule::Median { threshold } = terms.scoring else { return None };
		if !released || reports.is_empty() {
			return None;
		}
		let quorum = median_quorum(terms.evaluators_per_subgroup);
		let revealed: Vec<(&T::AccountId, Perbill)> = reports
			.iter()
			.filter_map(|(who, vote)| match vote {
				Vote::Revealed(a) => Some((who, *a)),
				Vote::Committed(_) => None,
			})
			.collect();
		let values: Vec<Perbill> = revealed.iter().map(|(_, a)| *a).collect();
		if (values.len() as u32) < quorum {
			Self::deposit_event(Event::MedianWithoutQuorum {
				task,
				target: target.clone(),
				reports: values.len() as u32,
				quorum,
			});
			return None;
		}
		let m = median(&values)?;
		for (who, a) in revealed {
			if within(a, m, threshold) {
				Self::credit_work(task, terms.round, who);
			}
		}
		Self::deposit_event(Event::MedianSettled {
			task,
			target: target.clone(),
			accuracy: m,
			reports: values.len() as u32,
		});
		Some(m)
	}

	/// Remove up to `limit` of the task's panels and round-evaluator lists; once a call finds
	/// none left, its last working records. That last call is the one the task's end shares
	/// its block with, so it removes nothing else. Subgroup results, global models and the
	/// test key stay as the task's public record. Returns the entries removed and whether it
	/// is done.
	pub(crate) fn prune_scores(task: TaskId, limit: u32) -> (u32, bool) {
		let panels = Panels::<T>::clear_prefix(task, limit, None);
		let mut removed = panels.unique;
		if panels.maybe_cursor.is_some() || removed >= limit {
			return (removed, false);
		}
		let seats = RoundEvaluators::<T>::clear_prefix(task, limit - removed, None);
		removed += seats.unique;
		if seats.maybe_cursor.is_some() || removed > 0 {
			return (removed, false);
		}
		ScoredTargets::<T>::remove(task);
		TestSetDisputes::<T>::remove(task);
		SettlementCursor::<T>::remove(task);
		ScoreSettlements::<T>::remove(task);
		(removed, true)
	}

	/// Remove up to `limit` entries of an ended task's public record (its subgroup results,
	/// then its global models), and its test key once none is left; returns the entries
	/// removed and whether it is done. Draining sees the removals of earlier calls in the
	/// same block, so the tasks pallet may call it again in one `on_idle`.
	pub(crate) fn prune_public_record(task: TaskId, limit: u32) -> (u32, bool) {
		let limit = limit as usize;
		let mut removed = SubgroupResults::<T>::drain_prefix(task).take(limit).count();
		if removed < limit {
			removed += GlobalModels::<T>::drain_prefix(task).take(limit - removed).count();
		}
		if removed < limit {
			TestKeys::<T>::remove(task);
			return (removed as u32, true);
		}
		(removed as u32, false)
	}

	/// Every task's scored-target count matches its proven scores and reports, until its
	/// settlement starts draining them.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub(crate) fn try_state_scores() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		for (task, count) in ScoredTargets::<T>::iter() {
			if ScoreSettlements::<T>::contains_key(task) {
				continue;
			}
			let proven = ProvenScores::<T>::iter_prefix(task).count();
			let reported = Reports::<T>::iter_prefix(task).count();
			ensure!(count as usize == proven + reported, "scored-target count is off");
		}
		Ok(())
	}

	/// Every registered verifying key has its prepared form, and nothing else has one;
	/// every registration is of a registered key.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub(crate) fn try_state_verifying_keys() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError>
	{
		ensure!(
			VerifyingKeyRegistrations::<T>::iter_keys().all(VerifyingKeys::<T>::contains_key),
			"a verifying key registration has no key"
		);
		ensure!(
			VerifyingKeys::<T>::iter_keys().all(PreparedVerifyingKeys::<T>::contains_key),
			"a registered verifying key has no prepared form"
		);
		ensure!(
			PreparedVerifyingKeys::<T>::iter_keys().all(VerifyingKeys::<T>::contains_key),
			"a prepared verifying key is not registered"
		);
		Ok(())
	}
}
