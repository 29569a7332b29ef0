//! Numeric CSV: feature columns plus one integer label column.
//!
//! The parser is deliberately small (no quoting, no missing values): DIN datasets are
//! numeric tables, and a malformed cell should stop the participant with the line and
//! column at fault rather than be guessed around. Blank lines are skipped; `\r\n` line
//! ends are accepted. Line numbers in errors are 1-based and count every line of the
//! input, header and blank lines included, so they match what an editor shows.

use std::path::Path;

use super::Dataset;
use crate::error::{MlError, Result};

/// Which column holds the label.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LabelColumn {
	/// The first column (MNIST-in-CSV style).
	First,
	/// The last column (scikit-learn's digits.csv style).
	#[default]
	Last,
	/// The column with this 0-based index.
	Index(usize),
}

/// Whether the first non-blank line is a header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Header {
	/// A header if any of its cells is not a number.
	#[default]
	Auto,
	/// Always skip the first non-blank line.
	Present,
	/// Every line is data.
	Absent,
}

/// How to read a CSV file.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvOptions {
	/// Column of the label.
	pub label_column: LabelColumn,
	/// Header handling.
	pub header: Header,
	/// Cell separator.
	pub delimiter: char,
	/// Every feature is divided by this (16.0 for the 0..16 digits pixels, 255.0 for
	/// 8-bit images), so models see features of order one.
	pub feature_divisor: f32,
	/// Number of classes; `None` takes the largest label + 1. A label at or above a
	/// given count is an error.
	pub num_classes: Option<usize>,
}

impl Default for CsvOptions {
	fn default() -> Self {
		Self {
			label_column: LabelColumn::Last,
			header: Header::Auto,
			delimiter: ',',
			feature_divisor: 1.0,
			num_classes: None,
		}
	}
}

/// Reads a CSV file (see [`parse_csv`]).
pub fn load_csv(path: impl AsRef<Path>, options: &CsvOptions) -> Result<Dataset> {
	let path = path.as_ref();
	let text = std::fs::read_to_string(path)
		.map_err(|source| MlError::Io { path: path.to_path_buf(), source })?;
	parse_csv(&text, options)
}

/// Parses CSV text into a dataset.
pub fn parse_csv(text: &str, options: &CsvOptions) -> Result<Dataset> {
	if !(options.feature_divisor.is_finite() && options.feature_divisor != 0.0) {
		return Err(MlError::InvalidConfig(format!(
			"CSV feature divisor must be finite and non-zero, got {}",
			options.feature_divisor
		)));
	}
	let mut lines = text
		.lines()
		.enumerate()
		.map(|(index, line)| (index + 1, line.trim_end_matches('\r')))
		.filter(|(_, line)| !line.trim().is_empty())
		.peekable();

	let mut columns = None;
	if let Some((number, first)) = lines.peek().copied() {
		let cells: Vec<&str> = first.split(options.delimiter).collect();
		let is_header = match options.header {
			Header::Present => true,
			Header::Absent => false,
			Header::Auto => cells.iter().any(|cell| cell.trim().parse::<f64>().is_err()),
		};
		if is_header {
			columns = Some((number, cells.len()));
			lines.next();
		}
	}

	let mut features = Vec::new();
	let mut labels = Vec::new();
	for (number, line) in lines {
		let error = |message: String| MlError::Csv { line: number, message };
		let cells: Vec<&str> = line.split(options.delimiter).map(str::trim).collect();
		match columns {
			None => {
				if cells.len() < 2 {
					return Err(error(format!(
						"{} column(s); need at least one feature column and a label column",
						cells.len()
					)));
				}
				columns = Some((number, cells.len()));
			},
			Some((first_line, expected)) if cells.len() != expected => {
				return Err(error(format!(
					"{} columns, but line {first_line} has {expected}",
					cells.len()
				)));
			},
			Some(_) => {},
		}
		let label_index = match options.label_column {
			LabelColumn::First => 0,
			LabelColumn::Last => cells.len() - 1,
			LabelColumn::Index(index) if index < cells.len() => index,
			LabelColumn::Index(index) => {
				return Err(error(format!(
					"label column {index} does not exist; the line has {} columns",
					cells.len()
				)));
			},
		};
		for (column, cell) in cells.iter().enumerate() {
			if column == label_index {
				labels.push(
					parse_label(cell)
						.map_err(|message| error(format!("column {}: {message}", column + 1)))?,
				);
				continue;
			}
			let value: f32 = cell
				.parse()
				.map_err(|_| error(format!("column {}: {cell:?} is not a number", column + 1)))?;
			if !value.is_finite() {
				return Err(error(format!("column {}: {cell:?} is not finite", column + 1)));
			}
			features.push(value / options.feature_divisor);
		}
		if let Some(classes) = options.num_classes {
			if let Some(label) = labels.last().filter(|label| **label as usize >= classes) {
				return Err(error(format!(
					"label {label} is not below the number of classes {classes}"
				)));
			}
		}
	}
	let Some((_, width)) = columns else {
		return Err(MlError::InvalidDataset("the CSV input has no lines".into()));
	};
	if labels.is_empty() {
		return Err(MlError::InvalidDataset("the CSV input has a header but no samples".into()));
	}
	let num_classes = match options.num_classes {
		Some(classes) => classes,
		None => labels.iter().copied().max().map_or(0, |max| max as usize + 1),
	};
	Dataset::new(features, labels, width - 1, num_classes)
}

/// A label cell: a non-negative integer, written `3` or `3.0`.
fn parse_label(cell: &str) -> std::result::Result<u32, String> {
	if let Ok(label) = cell.parse::<u32>() {
		return Ok(label);
	}
	match cell.parse::<f64>() {
		// Tools like pandas write integer labels as floats.
		Ok(value) if value.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&value) => {
			Ok(value as u32)
		},
		_ => Err(format!("label {cell:?} is not a non-negative integer")),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn options() -> CsvOptions {
		CsvOptions::default()
	}

	#[test]
	fn parses_with_and_without_header() {
		let with = parse_csv("a,b,label\n1,2,0\n3,4,2\n", &options()).unwrap();
		let without = parse_csv("1,2,0\r\n\n3,4,2.0\r\n", &options()).unwrap();
		assert_eq!(with, without);
		assert_eq!(with.len(), 2);
		assert_eq!(with.num_features(), 2);
		assert_eq!(with.num_classes(), 3);
		assert_eq!(with.sample(1), Some((&[3.0, 4.0][..], 2)));
	}

	#[test]
	fn label_column_divisor_and_class_count_are_honoured() {
		let opts = CsvOptions {
			label_column: LabelColumn::First,
			header: Header::Absent,
			feature_divisor: 16.0,
			num_classes: Some(10),
			..options()
		};
		let data = parse_csv("7;16;8", &CsvOptions { delimiter: ';', ..opts }).unwrap();
		assert_eq!(data.sample(0), Some((&[1.0, 0.5][..], 7)));
		assert_eq!(data.num_classes(), 10);
		let middle = CsvOptions { label_column: LabelColumn::Index(1), ..options() };
		assert_eq!(parse_csv("1,4,2", &middle).unwrap().sample(0), Some((&[1.0, 2.0][..], 4)));
	}

	fn csv_error(text: &str, opts: &CsvOptions) -> (usize, String) {
		match parse_csv(text, opts) {
			Err(MlError::Csv { line, message }) => (line, message),
			other => panic!("expected a CSV error, got {other:?}"),
		}
	}

	#[test]
	fn malformed_lines_are_reported_with_their_number() {
		let (line, message) = csv_error("x,y,label\n1,2,0\n\n1,2\n", &options());
		assert_eq!(line, 4);
		assert!(message.contains("2 columns, but line 1 has 3"), "{message}");

		let (line, message) = csv_error("1,2,0\n1,oops,1\n", &options());
		assert_eq!(line, 2);
		assert!(message.contains("column 2") && message.contains("oops"), "{message}");

		let (line, message) = csv_error("1,2,0\n1,2,-1\n", &options());
		assert_eq!(line, 2);
		assert!(message.contains("non-negative integer"), "{message}");

		let (line, message) = csv_error("1,2,0.5\n", &options());
		assert_eq!(line, 1);
		assert!(message.contains("non-negative integer"), "{message}");

		let (line, _) = csv_error("1,NaN,0\n", &CsvOptions { header: Header::Absent, ..options() });
		assert_eq!(line, 1);

		let ten = CsvOptions { num_classes: Some(10), ..options() };
		let (line, message) = csv_error("1,2,3\n1,2,10\n", &ten);
		assert_eq!(line, 2);
		assert!(message.contains("number of classes 10"), "{message}");

		let (line, _) = csv_error("5\n", &options());
		assert_eq!(line, 1);

		let far = CsvOptions { label_column: LabelColumn::Index(5), ..options() };
		assert_eq!(csv_error("1,2,3\n", &far).0, 1);
	}

	#[test]
	fn empty_inputs_and_bad_options_are_rejected() {
		assert!(matches!(parse_csv("", &options()), Err(MlError::InvalidDataset(_))));
		assert!(matches!(parse_csv("a,b\n", &options()), Err(MlError::InvalidDataset(_))));
		let zero = CsvOptions { feature_divisor: 0.0, ..options() };
		assert!(matches!(parse_csv("1,0", &zero), Err(MlError::InvalidConfig(_))));
	}
}
