//! `din_fl::TaskModel::from_bytes`: a task's model spec (with its input preprocessing) is
//! published by its owner and read by every participant, evaluator and off-chain worker.
//! Parsing never panics, and a parsed spec is canonical (its bytes are the only encoding,
//! so its hash names it) and valid; a version 1 spec reads the same as a bare `ModelSpec`.
#![no_main]

use din_fl::spec::{ModelSpec, TaskModel};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
	if let Ok(model) = TaskModel::from_bytes(data) {
		assert_eq!(model.to_bytes().expect("a parsed spec encodes"), data);
		model.validate().expect("a parsed spec is valid");
		let _ = model.spec.schema().expect("a valid spec has a schema").value_count();
		let bare = ModelSpec::from_bytes(data);
		if model.preprocessing.is_none() && model.recipe.is_none() {
			assert_eq!(bare.as_ref(), Ok(&model.spec));
		} else {
			assert!(bare.is_err(), "a bare spec reader refuses version 2");
		}
		if let Some(map) = &model.preprocessing {
			let mut row = vec![1e30f32; map.shift.len()];
			map.apply_row(&mut row);
			assert!(row.iter().all(|x| x.abs() <= map.clip));
		}
	}
});
