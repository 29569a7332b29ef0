//! A task's events as JSON: the one description `din task watch --json-lines` prints and
//! `din dashboard` serves, so that both report a task in the same names and numbers.
//!
//! Amounts are decimal strings in the smallest unit of their asset (a payout in the pool's
//! asset, a slash in the native token); accounts are SS58 strings; rounds are 0-based.

use din_chain::din;
use din_chain::types::ScoreTarget;
use serde_json::{json, Value};

/// One event of one task: its name and fields.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TaskEvent {
	pub task: u32,
	pub name: &'static str,
	pub fields: Value,
}

impl TaskEvent {
	/// The event as one JSON object: `{"block", "event", …fields}`.
	pub fn record(&self, block: u64) -> Value {
		let mut record = json!({ "block": block, "event": self.name });
		if let (Some(record), Value::Object(fields)) = (record.as_object_mut(), &self.fields) {
			record.extend(fields.clone());
		}
		record
	}
}

/// `event` described, if it belongs to a task and says something about its progress
/// (panel draws and per-update bookkeeping do not: they are in the task's storage).
pub(crate) fn describe(event: &din::Event) -> Option<TaskEvent> {
	use din::{
		evaluation::Event as Ev, rewards::Event as Rw, staking::Event as St, tasks::Event as Tk,
		Event,
	};
	let (task, name, fields) = match event {
		Event::Tasks(Tk::PhaseChanged { task, round, phase, ends }) => (
			*task,
			"PhaseChanged",
			json!({ "round": round, "phase": format!("{phase:?}"), "ends": ends }),
		),
		Event::Tasks(Tk::PhaseClosedEarly { task, round, phase, ends }) => (
			*task,
			"PhaseClosedEarly",
			json!({ "round": round, "phase": format!("{phase:?}"), "ends": ends }),
		),
		Event::Tasks(Tk::TaskExtended { task, rounds, top_up }) => {
			(*task, "TaskExtended", json!({ "rounds": rounds, "top_up": top_up.to_string() }))
		},
		Event::Tasks(Tk::TrainingEndsAfterRound { task, round }) => {
			(*task, "TrainingEndsAfterRound", json!({ "round": round }))
		},
		Event::Tasks(Tk::PrivacySpent { task, round, epsilon }) => {
			(*task, "PrivacySpent", json!({ "round": round, "epsilon": *epsilon as f64 / 1_000.0 }))
		},
		Event::Tasks(Tk::RoundStarted { task, round, .. }) => {
			(*task, "RoundStarted", json!({ "round": round }))
		},
		// A fresh update is bookkeeping; a stale one is an asynchronous task's straggler
		// contributing.
		Event::Tasks(Tk::UpdateSubmitted { task, round, who, trained_from, .. })
			if trained_from < round =>
		{
			(
				*task,
				"StaleUpdateSubmitted",
				json!({ "round": round, "who": who.to_string(), "trained_from": trained_from }),
			)
		},
		Event::Tasks(Tk::ParticipantJoined { task, who, .. }) => {
			(*task, "ParticipantJoined", json!({ "who": who.to_string() }))
		},
		Event::Tasks(Tk::TaskFinished { task, refund, .. }) => {
			(*task, "TaskFinished", json!({ "refund": refund.to_string() }))
		},
		Event::Tasks(Tk::TaskCancelled { task, .. }) => (*task, "TaskCancelled", json!({})),
		Event::Tasks(Tk::TaskExpired { task, deferrals, .. }) => {
			(*task, "TaskExpired", json!({ "deferrals": deferrals }))
		},
		Event::Evaluation(Ev::SubgroupAccepted {
			task,
			round,
			subgroup,
			votes,
			panel,
			accepted,
			invalid,
			..
		}) => (
			*task,
			"SubgroupAccepted",
			json!({
				"round": round, "subgroup": subgroup, "accepted": accepted,
				"invalid": invalid, "votes": votes, "panel": panel,
			}),
		),
		Event::Evaluation(Ev::SubgroupDisputed { task, round, subgroup, .. }) => {
			(*task, "SubgroupDisputed", json!({ "round": round, "subgroup": subgroup }))
		},
		Event::Evaluation(Ev::GlobalModelFixed { task, round, cid, votes, voters, .. }) => (
			*task,
			"GlobalModelFixed",
			json!({
				"round": round, "cid": String::from_utf8_lossy(&cid.0), "votes": votes,
				"voters": voters,
			}),
		),
		Event::Evaluation(Ev::GlobalDisputed { task, round, .. }) => {
			(*task, "GlobalDisputed", json!({ "round": round }))
		},
		Event::Evaluation(Ev::GlobalModelKept { task, round, votes, voters }) => {
			(*task, "GlobalModelKept", json!({ "round": round, "votes": votes, "voters": voters }))
		},
		Event::Evaluation(Ev::TestKeyReleased { task }) => (*task, "TestKeyReleased", json!({})),
		Event::Evaluation(Ev::TestKeyWithheld { task }) => (*task, "TestKeyWithheld", json!({})),
		Event::Evaluation(Ev::TestSetDisputed { task, who }) => {
			(*task, "TestSetDisputed", json!({ "who": who.to_string() }))
		},
		Event::Evaluation(Ev::TestSetDisputeUpheld { task, disputes, evaluators }) => (
			*task,
			"TestSetDisputeUpheld",
			json!({ "disputes": disputes, "evaluators": evaluators }),
		),
		Event::Evaluation(Ev::ScoreProven { task, target, correct, total, prover, .. }) => (
			*task,
			"ScoreProven",
			json!({
				"target": target_name(target), "correct": correct, "total": total,
				"prover": prover.to_string(),
			}),
		),
		Event::Evaluation(Ev::MedianSettled { task, target, accuracy, reports }) => (
			*task,
			"MedianSettled",
			json!({
				"target": target_name(target), "accuracy": f64::from(accuracy.0) / 1e7,
				"reports": reports,
			}),
		),
		Event::Evaluation(Ev::MedianWithoutQuorum { task, target, reports, quorum }) => (
			*task,
			"MedianWithoutQuorum",
			json!({ "target": target_name(target), "reports": reports, "quorum": quorum }),
		),
		Event::Rewards(Rw::ParticipantRewarded { task, who, amount, .. }) => (
			*task,
			"ParticipantRewarded",
			json!({ "who": who.to_string(), "amount": amount.to_string() }),
		),
		Event::Rewards(Rw::EvaluatorRewarded { task, who, amount, work }) => (
			*task,
			"EvaluatorRewarded",
			json!({ "who": who.to_string(), "amount": amount.to_string(), "work": work }),
		),
		Event::Rewards(Rw::TaskSettled { task, settlement: s }) => (
			*task,
			"TaskSettled",
			json!({
				"settlement": settlement_json(s),
				"accounting_holds": s.pool == s.participants + s.evaluators + s.burned + s.refund,
			}),
		),
		Event::Staking(St::Slashed { who, role, task, round, reason, amount, .. }) => (
			*task,
			"Slashed",
			json!({
				"who": who.to_string(), "role": format!("{role:?}"), "round": round,
				"offence": format!("{:?}", reason.offence), "amount": amount.to_string(),
			}),
		),
		_ => return None,
	};
	Some(TaskEvent { task, name, fields })
}

/// How a task's pool was split, amounts as decimal strings.
pub(crate) fn settlement_json(s: &din_chain::types::Settlement<u128>) -> Value {
	json!({
		"pool": s.pool.to_string(), "participants": s.participants.to_string(),
		"evaluators": s.evaluators.to_string(), "burned": s.burned.to_string(),
		"refund": s.refund.to_string(), "slashed": s.slashed, "scored": s.scored,
	})
}

/// A score target as the CLI and the dashboard name it: `baseline`, `global@R`, or
/// `SS58@R` for a participant's update of round R.
pub(crate) fn target_name(target: &ScoreTarget) -> String {
	match target {
		ScoreTarget::Baseline => "baseline".into(),
		ScoreTarget::Update { round, participant } => format!("{participant}@{round}"),
		ScoreTarget::Global { round } => format!("global@{round}"),
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use din_chain::AccountId32;

	#[test]
	fn a_record_is_the_block_the_name_and_the_fields_in_one_object() {
		let event = TaskEvent {
			task: 3,
			name: "PhaseChanged",
			fields: json!({ "round": 0, "phase": "Training", "ends": 44 }),
		};
		assert_eq!(
			event.record(41),
			json!({ "block": 41, "event": "PhaseChanged", "round": 0, "phase": "Training", "ends": 44 })
		);
	}

	#[test]
	fn a_settlement_says_whether_its_accounting_holds() {
		let settled = |refund: u128| {
			din::Event::Rewards(din::rewards::Event::TaskSettled {
				task: 7,
				settlement: din_chain::types::Settlement {
					pool: 100,
					participants: 60,
					evaluators: 20,
					burned: 10,
					refund,
					slashed: 1,
					scored: true,
				},
			})
		};
		let holds = describe(&settled(10)).expect("a task event");
		assert_eq!((holds.task, holds.name), (7, "TaskSettled"));
		assert_eq!(holds.fields["accounting_holds"], json!(true));
		assert_eq!(holds.fields["settlement"]["pool"], json!("100"));
		let broken = describe(&settled(11)).expect("a task event");
		assert_eq!(broken.fields["accounting_holds"], json!(false));
	}

	#[test]
	fn score_targets_name_the_round_and_the_participant() {
		let who = AccountId32([1; 32]);
		assert_eq!(target_name(&ScoreTarget::Baseline), "baseline");
		assert_eq!(target_name(&ScoreTarget::Global { round: 2 }), "global@2");
		assert_eq!(
			target_name(&ScoreTarget::Update { round: 1, participant: who.clone() }),
			format!("{who}@1")
		);
	}
}
