//! Interim Finnish analyser with no lexicon (replaced by the transducer-backed one).

/// One reading of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub lemma: String,
    pub parts: Vec<String>,
    pub pos: String,
    pub proper: bool,
    pub guessed: bool,
}

/// All readings of a word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WordAnalysis {
    pub readings: Vec<Reading>,
}

/// Finnish word analyser.
#[derive(Debug, Default)]
pub struct FinnishAnalyzer;

impl FinnishAnalyzer {
    pub fn analyze(&self, _word: &str) -> WordAnalysis {
        WordAnalysis::default()
    }
}

pub fn analyzer() -> &'static FinnishAnalyzer {
    static A: FinnishAnalyzer = FinnishAnalyzer;
    &A
}
