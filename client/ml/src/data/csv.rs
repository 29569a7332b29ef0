//! Numeric CSV: feature columns plus one integer label column.
//!
//! Read with the `csv` crate (RFC 4180 quoting, any one-byte delimiter), then checked cell
//! by cell: DIN datasets are numeric tables, and a malformed cell, a missing value or a
//! ragged row should stop the participant with the line and column at fault rather than
//! be guessed around. Blank lines are skipped; `\r\n` line ends are accepted. Line
//! numbers in errors are 1-based and count every line of the input, header and blank lines
//! included, so they match what an editor shows; column numbers are 1-based too.

use std::path::Path;
use std::str::FromStr;

use super::Dataset;
use crate::error::{MlError, Result};

/// Which column holds the label.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum LabelColumn {
	/// The first column (MNIST-in-CSV style).
	First,
	/// The last column (scikit-learn's digits.csv style).
	#[default]
	Last,
	/// The column with this 0-based index.
	Index(usize),
	/// The column whose header cell is this name (the file needs a header).
	Name(String),
}

impl FromStr for LabelColumn {
	type Err = String;

	/// `first`, `last`, a 1-based column number (as errors count columns), or a header
	/// name.
	fn from_str(s: &str) -> std::result::Result<Self, String> {
		match s {
			"" => Err("the label column needs a name, a number, `first` or `last`".into()),
			"first" => Ok(Self::First),
			"last" => Ok(Self::Last),
			_ => match s.parse::<usize>() {
				Ok(0) => Err("column numbers start at 1".into()),
				Ok(number) => Ok(Self::Index(number - 1)),
				Err(_) => Ok(Self::Name(s.to_string())),
			},
		}
	}
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

impl FromStr for Header {
	type Err = String;

	fn from_str(s: &str) -> std::result::Result<Self, String> {
		match s {
			"auto" => Ok(Self::Auto),
			"yes" | "present" => Ok(Self::Present),
			"no" | "absent" => Ok(Self::Absent),
			_ => Err(format!("`{s}`: expected auto, yes or no")),
		}
	}
}

/// How to read a CSV file.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvOptions {
	/// Column of the label.
	pub label_column: LabelColumn,
	/// Header handling.
	pub header: Header,
	/// Cell separator: one ASCII character.
	pub delimiter: char,
	/// Every feature is divided by this (16.0 for the 0..16 digits pixels, 255.0 for
	/// 8-bit images), so models see features of order one.
	pub feature_divisor: f32,
	/// Number of classes; `None` takes the largest label + 1. A label at or above a
	/// given count is an error. A participant passes its task's count, so that a shard
	/// lacking some class still has the task's schema.
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
	let delimiter = u8::try_from(options.delimiter)
		.ok()
		.filter(|d| d.is_ascii() && !matches!(d, b'"' | b'\n' | b'\r'))
		.ok_or_else(|| {
			MlError::InvalidConfig(format!(
				"CSV delimiter must be one ASCII character other than a quote or a line end, got {:?}",
				options.delimiter
			))
		})?;
	let mut reader = csv::ReaderBuilder::new()
		.delimiter(delimiter)
		.has_headers(false)
		// Row widths are checked below, with the line at fault named.
		.flexible(true)
		.trim(csv::Trim::All)
		.from_reader(text.as_bytes());
	// Lines from byte offsets: the reader's own line count leaves out blank lines, and a
	// record's offset is where the reader started looking for it, before the blank lines
	// it skipped.
	let bytes = text.as_bytes();
	let line_ends: Vec<usize> =
		bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i).collect();
	let line_at = |position: Option<&csv::Position>| {
		let mut byte = position.map_or(0, |p| p.byte() as usize);
		while bytes.get(byte).is_some_and(|b| b.is_ascii_whitespace()) {
			byte += 1;
		}
		line_ends.partition_point(|end| *end < byte) + 1
	};
	let line_of = |record: &csv::StringRecord| line_at(record.position());
	let mut records = reader
		.records()
		.map(|record| {
			record.map_err(|e| MlError::Csv {
				line: line_at(e.position()),
				message: format!("unreadable CSV: {e}"),
			})
		})
		// A line of blanks only reads as one empty cell: skipped, as empty lines are.
		.filter(|record| !matches!(record, Ok(r) if r.len() == 1 && r[0].is_empty()));

	let mut first = records.next().transpose()?;
	let mut header = None;
	if let Some(record) = &first {
		let is_header = match options.header {
			Header::Present => true,
			Header::Absent => false,
			Header::Auto => record.iter().any(|cell| cell.parse::<f64>().is_err()),
		};
		if is_header {
			header = first.take();
		}
	}
	let find_label = |width: usize, line: usize| -> Result<usize> {
		let error = |message: String| MlError::Csv { line, message };
		match &options.label_column {
			LabelColumn::First => Ok(0),
			LabelColumn::Last => Ok(width - 1),
			LabelColumn::Index(index) if *index < width => Ok(*index),
			LabelColumn::Index(index) => Err(error(format!(
				"label column {} does not exist; the line has {width} columns",
				index + 1
			))),
			LabelColumn::Name(name) => {
				let Some(header) = &header else {
					return Err(error(format!(
						"the label column is named `{name}`, but the file has no header"
					)));
				};
				header.iter().position(|cell| cell == name).ok_or_else(|| MlError::Csv {
					line: line_of(header),
					message: format!("the header has no column named `{name}`"),
				})
			},
		}
	};

	// (line of the first row that set the width, the width)
	let mut columns = header.as_ref().map(|h| (line_of(h), h.len()));
	let mut label_at = None;
	let mut features = Vec::new();
	let mut labels = Vec::new();
	for record in first.into_iter().map(Ok).chain(records) {
		let record = record?;
		let number = line_of(&record);
		let error = |message: String| MlError::Csv { line: number, message };
		match columns {
			None => {
				if record.len() < 2 {
					return Err(error(format!(
						"{} column(s); need at least one feature column and a label column",
						record.len()
					)));
				}
				columns = Some((number, record.len()));
			},
			Some((first_line, expected)) if record.len() != expected => {
				return Err(error(format!(
					"{} columns, but line {first_line} has {expected}",
					record.len()
				)));
			},
			Some(_) => {},
		}
		let label_index = match label_at {
			Some(index) => index,
			None => *label_at.insert(find_label(record.len(), number)?),
		};
		for (column, cell) in record.iter().enumerate() {
			if cell.is_empty() {
				return Err(error(format!("column {}: missing value", column + 1)));
			}
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
	fn a_named_label_column_quoted_cells_and_another_delimiter_are_read() {
		let opts = CsvOptions {
			label_column: "species".parse().unwrap(),
			delimiter: ';',
			num_classes: Some(3),
			..options()
		};
		let text = "\"species\";\"sepal length\";width\n1;\"5.1\";3.5\n\n0; 4.9 ;3\r\n";
		let data = parse_csv(text, &opts).unwrap();
		assert_eq!(data.len(), 2);
		assert_eq!(data.sample(0), Some((&[5.1, 3.5][..], 1)));
		assert_eq!(data.sample(1), Some((&[4.9, 3.0][..], 0)));
		assert_eq!(data.num_classes(), 3, "the task's classes, though class 2 is absent");
		assert_eq!("2".parse::<LabelColumn>(), Ok(LabelColumn::Index(1)));
		assert_eq!("last".parse::<LabelColumn>(), Ok(LabelColumn::Last));
		assert!("0".parse::<LabelColumn>().is_err());
	}

	#[test]
	fn missing_values_and_unknown_label_names_name_their_line() {
		let (line, message) = csv_error("a,b,label\n1,2,0\n1,,1\n", &options());
		assert_eq!(line, 3);
		assert!(message.contains("column 2: missing value"), "{message}");

		let named = CsvOptions { label_column: LabelColumn::Name("y".into()), ..options() };
		let (line, message) = csv_error("a,b,label\n1,2,0\n", &named);
		assert_eq!(line, 1);
		assert!(message.contains("no column named `y`"), "{message}");
		let (line, message) = csv_error("1,2,0\n", &named);
		assert_eq!(line, 1);
		assert!(message.contains("no header"), "{message}");

		let odd = CsvOptions { delimiter: '\u{e9}', ..options() };
		assert!(matches!(parse_csv("1,0", &odd), Err(MlError::InvalidConfig(_))));
	}

	#[test]
	fn empty_inputs_and_bad_options_are_rejected() {
		assert!(matches!(parse_csv("", &options()), Err(MlError::InvalidDataset(_))));
		assert!(matches!(parse_csv("a,b\n", &options()), Err(MlError::InvalidDataset(_))));
		let zero = CsvOptions { feature_divisor: 0.0, ..options() };
		assert!(matches!(parse_csv("1,0", &zero), Err(MlError::InvalidConfig(_))));
	}
}
