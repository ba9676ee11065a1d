//! Datasets: JSONL / CSV files with a field mapping, the six benchmark files, prompt templates and
//! a built-in synthetic arithmetic task.

pub mod load;
pub mod synthetic;
pub mod template;

pub use load::{benchmark, load_csv, load_jsonl, FieldMap};
pub use synthetic::{synthetic_split, synthetic_task, SyntheticConfig};
pub use template::PromptTemplate;

use serde::{Deserialize, Serialize};

/// One problem with its reference answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// Stable id (row index when the file has none).
    pub id: String,
    /// The question, before any prompt template.
    pub prompt: String,
    /// Reference final answer.
    pub answer: String,
    /// A worked solution, when the dataset has one (used for SFT).
    pub solution: Option<String>,
}

/// A named list of examples.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Where it came from.
    pub name: String,
    /// The examples.
    pub examples: Vec<Example>,
}

impl Dataset {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.examples.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.examples.is_empty()
    }

    /// The first `n` examples.
    pub fn take(&self, n: usize) -> Dataset {
        Dataset {
            name: self.name.clone(),
            examples: self.examples.iter().take(n).cloned().collect(),
        }
    }

    /// A seeded permutation of the examples.
    pub fn shuffled(&self, seed: u64) -> Dataset {
        let order = crate::train::shuffle_order(self.len(), seed);
        Dataset {
            name: self.name.clone(),
            examples: order
                .into_iter()
                .map(|i| self.examples[i].clone())
                .collect(),
        }
    }

    /// Shuffles with `seed`, then splits off `n_test` examples: `(train, test)`.
    pub fn split(&self, n_test: usize, seed: u64) -> (Dataset, Dataset) {
        let s = self.shuffled(seed);
        let k = n_test.min(s.len());
        let test = Dataset {
            name: format!("{}[test]", self.name),
            examples: s.examples[..k].to_vec(),
        };
        let train = Dataset {
            name: format!("{}[train]", self.name),
            examples: s.examples[k..].to_vec(),
        };
        (train, test)
    }
}
