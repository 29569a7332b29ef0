//! Unit tests of the evaluator daemon's pure parts: prover slots, the duty as both callers
//! run it, argument parsing.

use super::*;

#[test]
fn prover_slots_spread_over_the_panel_and_are_stable() {
	let accounts: Vec<AccountId32> = (0u8..30).map(|i| AccountId32([i; 32])).collect();
	let slots: BTreeSet<usize> = accounts.iter().map(|a| prover_slot(a, 0, 3)).collect();
	assert_eq!(slots, BTreeSet::from([0, 1, 2]));
	assert_eq!(prover_slot(&accounts[4], 2, 3), prover_slot(&accounts[4], 2, 3));
}

/// The same duty as the runtime's off-chain worker runs it (`aggregate_fetched` of
/// pallet-din-evaluation): on one thread, with the commitment of `din-zk-verifier` that
/// din-runtime's host function computes.
fn as_the_worker_runs_it(
	rule: &AggregationRule,
	schema: &Schema,
	submitted: &[Submitted<H256>],
	sample: &CommitmentSample,
) -> Result<SubgroupOutcome, AggregateError> {
	duty::aggregate_subgroup(
		&din_fl::Sequential,
		rule,
		schema,
		submitted,
		sample,
		None,
		|values: &[i32]| {
			H256(din_zk::commitment::to_bytes(&din_zk::commitment::model_commitment(values)))
		},
	)
}

#[test]
fn forged_swapped_and_missing_updates_are_invalid_to_the_daemon_as_to_the_worker() {
	let schema = din_fl::synthetic::schema(40);
	let updates = din_fl::synthetic::updates(&schema, 8, 21);
	let honest = |update: &Update| Submitted {
		bytes: Ok(update.encode().unwrap()),
		commitment: commitment_of(&update.values),
		author: update.author,
		num_samples: update.num_samples,
		stale: None,
	};
	let mut submitted: Vec<Submitted<H256>> = updates[..6].iter().map(honest).collect();
	// Positions 1, 3, 5, 7: a forged sample count, bytes swapped after the commitment,
	// bytes that are no update, an update that never arrived.
	let mut forged = honest(&updates[6]);
	forged.num_samples += 1;
	let mut swapped = honest(&updates[7]);
	swapped.commitment = commitment_of(&updates[0].values);
	let mut garbage = honest(&updates[6]);
	garbage.bytes.as_mut().unwrap().truncate(20);
	let missing = Submitted {
		bytes: Err(Rejection::Unavailable("not fetched within 6s".to_string())),
		commitment: H256::default(),
		author: din_fl::NO_AUTHOR,
		num_samples: 1,
		stale: None,
	};
	for (position, attack) in [(1, forged), (3, swapped), (5, garbage), (7, missing)] {
		submitted.insert(position, attack);
	}
	for rule in [
		AggregationRule::FedAvg,
		AggregationRule::Median,
		AggregationRule::TrimmedMean { beta: din_fl::Perbill::from_percent(20) },
		AggregationRule::Krum { f: 1 },
		AggregationRule::MultiKrum { f: 1, m: 3 },
		AggregationRule::CenteredClipping { tau: 1_000, iterations: 3 },
	] {
		// A drawn sample (eight of the ten, the same eight in both drivers), and every
		// commitment checked.
		let drawn = CommitmentSample::drawn(&[5; 32], 0, submitted.len());
		let all = CommitmentSample::all(submitted.len());
		let [_, (aggregate, rejected)] = [&drawn, &all].map(|sample| {
			let daemon = aggregate_fetched(&rule, &schema, &submitted, sample, None).unwrap();
			assert_eq!(daemon, as_the_worker_runs_it(&rule, &schema, &submitted, sample).unwrap());
			daemon
		});
		assert!(aggregate.is_some(), "{rule:?}: six valid updates");
		let positions: Vec<usize> = rejected.iter().map(|(index, _)| *index).collect();
		assert_eq!(positions, vec![1, 3, 5, 7], "{rule:?}");
	}
}

#[test]
fn proving_keys_parse_as_task_and_cid() {
	let cid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
	assert_eq!(parse_proving_key(&format!("3={cid}")), Ok((3, cid.to_string())));
	assert!(parse_proving_key(cid).is_err());
	assert!(parse_proving_key("x=bafy").is_err());
}

/// Attack: the owner declares a preprocessing map but commits (and seals) a test set it did
/// not preprocess that way, or a set other than the committed one. The daemon disputes both,
/// under median and zk scoring alike, and takes the honest set (as the worker does).
#[test]
fn an_opened_test_set_the_tasks_map_could_not_have_produced_is_disputed() {
	let spec = din_fl::ModelSpec::SoftmaxRegression { inputs: 2, classes: 2 };
	let map = din_fl::Preprocessing { shift: vec![0.0; 2], scale: vec![1.0; 2], clip: 2.0 };
	let model = din_fl::TaskModel { preprocessing: Some(map), ..spec.into() };
	let set = |features: &[f32]| TestSet::from_f32(2, features, vec![0, 1]).unwrap();
	let honest = set(&[1.5, -2.0, 0.25, 2.0]);
	let raw = set(&[1.5, -2.0, 0.25, 250.0]);
	for zk in [false, true] {
		let commit = |test_set: &TestSet| {
			if zk {
				let domain = din_zk::feature_domain(&model).unwrap();
				let c = din_zk::commitment::test_set_commitment_in(
					domain,
					&test_set.features,
					&test_set.labels,
					2,
					2,
				);
				H256(din_zk::commitment::to_bytes(&c.unwrap()))
			} else {
				H256(din_fl::sealed_test_set::median_test_set_commitment(test_set))
			}
		};
		assert_eq!(check_opened_test_set(&model, zk, &commit(&honest), &honest), Ok(()));
		// Under zk its feature outside the signed width cannot even be committed.
		let other = check_opened_test_set(&model, zk, &commit(&honest), &raw).unwrap_err();
		let expected =
			if zk { "does not fit 19 signed bits" } else { "does not open the committed" };
		assert!(other.contains(expected), "{other}");
		if !zk {
			// Committed as it is, the raw set still lies outside the map's bound.
			let why = check_opened_test_set(&model, zk, &commit(&raw), &raw).unwrap_err();
			assert!(why.contains("not preprocessed as the task declares"), "{why}");
		}
	}
}
