//! `din task status`: a task and its per-round progress, as text or JSON.

use din_chain::types::{SubgroupResult, TaskPhase};

use crate::common::{format_amount, ChainArgs};

fn phase_name(phase: &TaskPhase) -> String {
	format!("{phase:?}")
}

pub(super) async fn status(task: u32, json: bool, chain: ChainArgs) -> anyhow::Result<()> {
	let chain = chain.connect().await?;
	let info = crate::common::existing_task(&chain, task).await?;
	let participants = chain.participants(task).await?;
	let (head, _) = chain.finalized_head().await?;
	let last_round =
		if matches!(info.phase, TaskPhase::Registration) { None } else { Some(info.round) };
	let mut rounds = Vec::new();
	for round in 0..=last_round.unwrap_or(0) {
		if last_round.is_none() {
			break;
		}
		let mut submitted = 0;
		for p in &participants {
			if chain.update(task, round, p).await?.is_some() {
				submitted += 1;
			}
		}
		let mut subgroups = Vec::new();
		for subgroup in 0.. {
			let panel = chain.panel(task, round, subgroup).await?;
			if panel.is_empty() {
				break;
			}
			let result = match chain.subgroup_result(task, round, subgroup).await? {
				None => "open".to_string(),
				Some(SubgroupResult::Accepted(reveal)) => {
					format!("accepted ({} invalid)", reveal.invalid.0.len())
				},
				Some(SubgroupResult::Disputed) => "disputed".into(),
				Some(SubgroupResult::Empty) => "empty".into(),
			};
			subgroups.push(result);
		}
		let global = chain
			.global_model(task, round)
			.await?
			.map(|m| String::from_utf8_lossy(&m.cid.0).into_owned());
		rounds.push((round, submitted, subgroups, global));
	}
	let settlement = chain.settlement(task).await?;
	let deposit = chain.task_deposit(task).await?;
	if json {
		let rounds: Vec<_> = rounds
            .iter()
            .map(|(round, submitted, subgroups, global)| {
                serde_json::json!({ "round": round, "updates": submitted, "subgroups": subgroups, "global_model": global })
            })
            .collect();
		println!(
			"{}",
			serde_json::json!({
				"task": task,
				"owner": info.owner.to_string(),
				"phase": phase_name(&info.phase),
				"round": info.round,
				"rounds": info.spec.rounds,
				"phase_ends": info.phase_ends,
				"finalized": head,
				"remaining": info.remaining.to_string(),
				"deposit": deposit.map(|d| d.to_string()),
				"participants": participants.len(),
				"progress": rounds,
				"settlement": settlement.map(|s| serde_json::json!({
					"pool": s.pool.to_string(), "participants": s.participants.to_string(),
					"evaluators": s.evaluators.to_string(), "burned": s.burned.to_string(),
					"refund": s.refund.to_string(), "slashed": s.slashed, "scored": s.scored,
				})),
			})
		);
		return Ok(());
	}
	println!("task {task}  owner {}", info.owner);
	println!(
		"  phase {} (round {}/{}), ends at #{} (finalized #{head})",
		phase_name(&info.phase),
		info.round + 1,
		info.spec.rounds,
		info.phase_ends
	);
	println!("  pool left {}  participants {}", format_amount(info.remaining), participants.len());
	if let Some(deposit) = deposit {
		println!(
			"  storage deposit {} held until the ended task's records are pruned",
			format_amount(deposit)
		);
	}
	if !rounds.is_empty() {
		println!("  {:<6} {:<8} {:<40} global model", "round", "updates", "subgroups");
		for (round, submitted, subgroups, global) in rounds {
			println!(
				"  {:<6} {:<8} {:<40} {}",
				round,
				submitted,
				subgroups.join(", "),
				global.unwrap_or_else(|| "-".into())
			);
		}
	}
	if let Some(s) = settlement {
		println!(
            "  settled: pool {} → participants {}, evaluators {}, burned {}, refund {}; {} slashed below baseline",
            format_amount(s.pool),
            format_amount(s.participants),
            format_amount(s.evaluators),
            format_amount(s.burned),
            format_amount(s.refund),
            s.slashed
        );
	}
	Ok(())
}
