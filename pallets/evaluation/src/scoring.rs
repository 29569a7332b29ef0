//! Scoring, after the last round: the test-set key, the two scoring rules, and the
//! settlement handed to the rewards pallet.
//!
//! The rules differ only in how a target's score comes to exist, so they share the window
//! check ([`Pallet::scoring_terms`]: Scoring or Rewarding, key released) and the scorer
//! check ([`Pallet::authorize_scorer`]: a panel member of the update, or a last-round
//! evaluator for the baseline). Under `ZkAccuracy` the first Groth16 proof that verifies
//! against the task's registered verifying key settles the score at once; under `Median`
//! panel members commit in Scoring and reveal in Rewarding, and the median of at least
//! [`median_quorum`] reveals is taken at the end of Rewarding. Either way the end
//! of Rewarding builds one [`TaskOutcome`] for [`Config::Rewards`] and prunes the task's
//! working records, so a settled task costs no more storage than its public record.

use super::*;

impl<T: Config> Pallet<T> {
	/// Store a Groth16 verifying key under its hash, once, if it decodes for the evaluation
	/// circuit; returns the hash and the key's length.
	pub(crate) fn store_verifying_key(
		vk: BoundedVec<u8, T::MaxVerifyingKeyLen>,
	) -> Result<(H256, u32), DispatchError> {
		let hash = H256(blake2_256(&vk));
		ensure!(!VerifyingKeys::<T>::contains_key(hash), Error::<T>::VerifyingKeyExists);
		ensure!(T::Verifier::valid_key(&vk), Error::<T>::MalformedVerifyingKey);
		let len = vk.len() as u32;
		VerifyingKeys::<T>::insert(hash, vk);
		Ok((hash, len))
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
		ensure!(TestKeys::<T>::contains_key(task), Error::<T>::TestKeyNotReleased);
		Ok(terms)
	}

	/// Check that `who` may score `target` and return the commitment of the scored model.
	/// The baseline's panel is the last round's first; a global model's, the first panel of
	/// the round that fixed it (which computed it); an update's, its subgroup's.
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
		let key = VerifyingKeys::<T>::get(vk).ok_or(Error::<T>::UnknownVerifyingKey)?;
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

	/// At the end of Rewarding: settle medians, hand the outcome to the rewards pallet,
	/// prune the task's working records. Returns the weight used: the benchmark at the task's
	/// scored-target count, plus what the rewards pallet reports for its settlement.
	pub(crate) fn settle_scores(task: TaskId) -> Weight {
		let weight = T::WeightInfo::on_scoring_end(ScoredTargets::<T>::get(task));
		let Some(terms) = T::Tasks::terms(task) else { return weight };
		// The key could only be released in Scoring, so this is the answer of its end; a key
		// the last round's majority could not open counts as withheld.
		let released = Self::test_key_usable(task) && !Self::test_set_disputed(task, terms.round);
		if !released {
			Self::deposit_event(Event::TestKeyWithheld { task });
		}
		let mut baseline = None;
		let mut globals: Vec<(RoundIndex, Perbill)> = Vec::new();
		let mut scores: Vec<(T::AccountId, RoundIndex, Perbill)> = Vec::new();
		let mut record = |target: ScoreTargetOf<T>, accuracy: Perbill| match target {
			ScoreTarget::Baseline => baseline = Some(accuracy),
			ScoreTarget::Global { round } => globals.push((round, accuracy)),
			ScoreTarget::Update { round, participant } => {
				scores.push((participant, round, accuracy))
			},
		};
		if released {
			match terms.scoring {
				ScoringRule::ZkAccuracy { .. } => {
					for (target, score) in ProvenScores::<T>::iter_prefix(task) {
						record(target, Perbill::from_rational(score.correct, score.total));
					}
				},
				ScoringRule::Median { threshold } => {
					let quorum = median_quorum(terms.evaluators_per_subgroup);
					for (target, reports) in Reports::<T>::iter_prefix(task) {
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
								target,
								reports: values.len() as u32,
								quorum,
							});
							continue;
						}
						let Some(m) = median(&values) else { continue };
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
						record(target, m);
					}
				},
			}
		}
		globals.sort_by_key(|(round, _)| *round);
		scores.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
		let mut accepted: Vec<(T::AccountId, u32)> =
			AcceptedUpdates::<T>::iter_prefix(task).collect();
		accepted.sort_by(|a, b| a.0.cmp(&b.0));
		let mut work: Vec<(T::AccountId, u32)> = Work::<T>::iter_prefix(task).collect();
		work.sort_by(|a, b| a.0.cmp(&b.0));
		Self::deposit_event(Event::TaskScored {
			task,
			scores: scores.len() as u32,
			accepted: accepted.len() as u32,
			evaluators: work.len() as u32,
			test_key_released: released,
		});
		let settled = T::Rewards::settle(
			task,
			TaskOutcome { test_key_released: released, baseline, globals, scores, accepted, work },
		);
		Self::prune(task);
		weight.saturating_add(settled)
	}

	/// Remove the task's working records once it is settled. Subgroup results, global
	/// models and the test key stay as the task's public record.
	fn prune(task: TaskId) {
		let scores = T::MaxScores::get();
		let _ = ProvenScores::<T>::clear_prefix(task, scores, None);
		let _ = Reports::<T>::clear_prefix(task, scores, None);
		let _ = AcceptedUpdates::<T>::clear_prefix(task, T::MaxParticipants::get(), None);
		let _ = Work::<T>::clear_prefix(task, T::MaxEvaluators::get(), None);
		let rounds = T::MaxRounds::get();
		let _ =
			Panels::<T>::clear_prefix(task, rounds.saturating_mul(T::MaxSubgroups::get()), None);
		let _ = RoundEvaluators::<T>::clear_prefix(task, rounds, None);
		ScoredTargets::<T>::remove(task);
		TestSetDisputes::<T>::remove(task);
		SettlementCursor::<T>::remove(task);
	}

	/// Every task's scored-target count matches its proven scores and reports.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub(crate) fn try_state_scores() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		for (task, count) in ScoredTargets::<T>::iter() {
			let proven = ProvenScores::<T>::iter_prefix(task).count();
			let reported = Reports::<T>::iter_prefix(task).count();
			ensure!(count as usize == proven + reported, "scored-target count is off");
		}
		Ok(())
	}
}
