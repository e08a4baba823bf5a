//! Reader and lookup for weighted finite-state transducers in the KFST binary format.
//!
//! Written from the format facts in `data/analysis/README.md` (and checked against the shipped
//! `fi-parser.kfst`), not from any existing runtime:
//!
//! - a 17-byte big-endian header: magic `KFST`, version `u16` (0), symbol count `u16`, transition
//!   count `u32`, final-state count `u32`, weighted flag `u8`;
//! - the symbols as NUL-terminated UTF-8 strings;
//! - one compressed block (an XZ container in the shipped file; a bare `.lzma` stream is accepted
//!   too) holding the transitions (`from u32`, `to u32`, `input u16`, `output u16`, `weight f64` if
//!   weighted) and then the final states (`state u32`, `weight f64` if weighted), all big-endian.
//!
//! Two symbols are special: `@_EPSILON_SYMBOL_@` consumes or emits nothing, and
//! `@_IDENTITY_SYMBOL_@` matches any input character that is not itself a symbol of the alphabet
//! and copies it to the output. Other multi-character symbols (tags) never match a word character
//! on the input side. The start state is 0.
//!
//! In memory the transitions are kept in compact parallel arrays sorted by (state, input symbol)
//! with per-state offsets, so a lookup step is a binary search within one state's transitions.
//! [`Transducer::lookup`] is a best-first (lowest weight first) search with loop-free epsilon
//! handling, a k-shortest-paths bound on how often each (state, position) pair is expanded, and a
//! hard cap on expansions, so unknown words that fan out through the guesser stay cheap.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::io::Write;
use std::sync::OnceLock;

/// The Finnish analyser (Pykko, MIT; lexicon from Kotus Nykysuomen sanalista, CC BY 4.0).
static FINNISH_KFST: &[u8] = include_bytes!("../../../data/analysis/fi-parser.kfst");

const MAGIC: &[u8; 4] = b"KFST";
const HEADER_LEN: usize = 17;
const EPSILON: &str = "@_EPSILON_SYMBOL_@";
const IDENTITY: &str = "@_IDENTITY_SYMBOL_@";
const XZ_MAGIC: &[u8; 6] = &[0xFD, b'7', b'z', b'X', b'Z', 0];
/// Output tag for an identity copy in the search arena (the low bits hold the character).
const EMIT_CHAR: u32 = 1 << 31;
const EMIT_NONE: u32 = u32::MAX;

/// Why a KFST file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum KfstError {
    /// The file is shorter than its header or symbol table says.
    #[error("truncated KFST data: {0}")]
    Truncated(&'static str),
    /// The file does not start with `KFST`.
    #[error("not a KFST file (bad magic)")]
    BadMagic,
    /// A format version this reader does not know.
    #[error("unsupported KFST version {0}")]
    UnsupportedVersion(u16),
    /// A symbol is not valid UTF-8.
    #[error("symbol {0} is not valid UTF-8")]
    BadSymbol(usize),
    /// The compressed block could not be decompressed.
    #[error("cannot decompress the transition block: {0}")]
    Decompress(String),
    /// The decompressed block does not have the size the header announces.
    #[error("transition block has {actual} bytes, header implies {expected}")]
    BlockSize {
        /// Bytes the header implies.
        expected: u64,
        /// Bytes actually decompressed (or at least this many).
        actual: u64,
    },
    /// Structurally invalid content (symbol or state ids out of range, bad weights).
    #[error("corrupt KFST data: {0}")]
    Corrupt(String),
}

/// A loaded, immutable transducer. Cheap to share between threads (`&'static` via
/// [`finnish_transducer`]).
pub struct Transducer {
    symbols: Vec<String>,
    /// Single-character symbols, by character.
    char_symbols: HashMap<char, u16>,
    epsilon: Option<u16>,
    identity: Option<u16>,
    /// `offsets[s]..offsets[s + 1]` are the transitions leaving state `s`.
    offsets: Vec<u32>,
    inputs: Vec<u16>,
    outputs: Vec<u16>,
    targets: Vec<u32>,
    weights: Vec<f32>,
    /// Final weight per state; `INFINITY` when the state is not final.
    finals: Vec<f32>,
}

impl std::fmt::Debug for Transducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transducer")
            .field("symbols", &self.symbols.len())
            .field("states", &self.num_states())
            .field("transitions", &self.num_transitions())
            .finish_non_exhaustive()
    }
}

/// Limits for one lookup.
#[derive(Debug, Clone, Copy)]
pub struct LookupOptions {
    /// Return at most this many distinct outputs.
    pub max_results: usize,
    /// Stop after this many search-node expansions (bounds time on pathological input).
    pub max_expansions: usize,
    /// Drop analyses whose weight exceeds the best one found by more than this.
    pub max_weight_above_best: Option<f64>,
}

impl Default for LookupOptions {
    fn default() -> Self {
        LookupOptions {
            max_results: 10,
            max_expansions: 50_000,
            max_weight_above_best: None,
        }
    }
}

/// Big-endian reader over a byte slice that reports truncation instead of panicking.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], KfstError> {
        let end = self.pos.checked_add(n).ok_or(KfstError::Truncated(what))?;
        let s = self
            .data
            .get(self.pos..end)
            .ok_or(KfstError::Truncated(what))?;
        self.pos = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], KfstError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }
    fn u8(&mut self, what: &'static str) -> Result<u8, KfstError> {
        Ok(self.array::<1>(what)?[0])
    }
    fn u16(&mut self, what: &'static str) -> Result<u16, KfstError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, KfstError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }
}

/// Streaming sink for the decompressed block: parses fixed-size records as bytes arrive, so the
/// ~68 MB decompressed block is never held in memory at once, and refuses data beyond what the
/// header announced (a corrupt header cannot make us decompress a bomb).
struct RecordSink {
    weighted: bool,
    n_transitions: u64,
    n_finals: u64,
    pending: Vec<u8>,
    received: u64,
    overflow: bool,
    from: Vec<u32>,
    to: Vec<u32>,
    input: Vec<u16>,
    output: Vec<u16>,
    weight: Vec<f32>,
    finals: Vec<(u32, f32)>,
}

impl RecordSink {
    fn transition_len(&self) -> usize {
        if self.weighted { 20 } else { 12 }
    }
    fn final_len(&self) -> usize {
        if self.weighted { 12 } else { 4 }
    }
    fn expected_bytes(&self) -> u64 {
        self.n_transitions * self.transition_len() as u64 + self.n_finals * self.final_len() as u64
    }

    /// Parses as many whole records from `buf` as possible; returns the bytes consumed.
    fn parse(&mut self, buf: &[u8]) -> usize {
        let mut used = 0;
        loop {
            let done_t = self.from.len() as u64;
            if done_t < self.n_transitions {
                let len = self.transition_len();
                let Some(r) = buf.get(used..used + len) else {
                    return used;
                };
                self.from.push(be_u32(r, 0));
                self.to.push(be_u32(r, 4));
                self.input.push(be_u16(r, 8));
                self.output.push(be_u16(r, 10));
                self.weight.push(if self.weighted {
                    be_f64(r, 12) as f32
                } else {
                    0.0
                });
                used += len;
            } else if (self.finals.len() as u64) < self.n_finals {
                let len = self.final_len();
                let Some(r) = buf.get(used..used + len) else {
                    return used;
                };
                let w = if self.weighted {
                    be_f64(r, 4) as f32
                } else {
                    0.0
                };
                self.finals.push((be_u32(r, 0), w));
                used += len;
            } else {
                return used;
            }
        }
    }
}

fn be_u32(r: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    if let Some(s) = r.get(at..at + 4) {
        a.copy_from_slice(s);
    }
    u32::from_be_bytes(a)
}
fn be_u16(r: &[u8], at: usize) -> u16 {
    let mut a = [0u8; 2];
    if let Some(s) = r.get(at..at + 2) {
        a.copy_from_slice(s);
    }
    u16::from_be_bytes(a)
}
fn be_f64(r: &[u8], at: usize) -> f64 {
    let mut a = [0u8; 8];
    if let Some(s) = r.get(at..at + 8) {
        a.copy_from_slice(s);
    }
    f64::from_be_bytes(a)
}

impl Write for RecordSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.received += buf.len() as u64;
        if self.received > self.expected_bytes() {
            self.overflow = true;
            return Err(std::io::Error::other(
                "decompressed block larger than announced",
            ));
        }
        if self.pending.is_empty() {
            let used = self.parse(buf);
            self.pending.extend_from_slice(&buf[used.min(buf.len())..]);
        } else {
            self.pending.extend_from_slice(buf);
            let pending = std::mem::take(&mut self.pending);
            let used = self.parse(&pending);
            self.pending = pending;
            self.pending.drain(..used.min(self.pending.len()));
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Hasher for the per-lookup visit counts: keys are small packed integers, SipHash is overkill.
#[derive(Default, Clone, Copy)]
struct PairHash;

impl std::hash::BuildHasher for PairHash {
    type Hasher = PairHasher;
    fn build_hasher(&self) -> PairHasher {
        PairHasher(0)
    }
}

struct PairHasher(u64);

impl std::hash::Hasher for PairHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        // Fibonacci hashing; hashbrown uses the top bits, which the multiply mixes well.
        self.0 = (self.0 ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A search node in the lookup arena.
#[derive(Clone, Copy)]
struct Node {
    state: u32,
    /// Index into the word's characters.
    pos: u32,
    parent: u32,
    /// Symbol id, `EMIT_CHAR | char`, or `EMIT_NONE`.
    emit: u32,
}

/// Heap entry: lowest weight first; on ties deeper positions first, then insertion order.
struct Entry {
    weight: f64,
    pos: u32,
    seq: u32,
    node: u32,
    /// A completed path (final weight added) rather than a node to expand.
    done: bool,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: "greater" means "pop first".
        other
            .weight
            .total_cmp(&self.weight)
            .then(self.done.cmp(&other.done))
            .then(self.pos.cmp(&other.pos))
            .then(other.seq.cmp(&self.seq))
    }
}

impl Transducer {
    /// Parses a KFST file. Truncated or corrupt input gives an error, never a panic.
    pub fn from_bytes(data: &[u8]) -> Result<Transducer, KfstError> {
        let mut cur = Cursor { data, pos: 0 };
        if data.len() < HEADER_LEN {
            return Err(KfstError::Truncated("header"));
        }
        if cur.take(4, "magic")? != MAGIC {
            return Err(KfstError::BadMagic);
        }
        let version = cur.u16("version")?;
        if version != 0 {
            return Err(KfstError::UnsupportedVersion(version));
        }
        let n_symbols = cur.u16("symbol count")? as usize;
        let n_transitions = cur.u32("transition count")?;
        let n_finals = cur.u32("final count")?;
        let weighted = match cur.u8("weighted flag")? {
            0 => false,
            1 => true,
            other => return Err(KfstError::Corrupt(format!("weighted flag {other}"))),
        };

        let mut symbols = Vec::with_capacity(n_symbols);
        for i in 0..n_symbols {
            let rest = data.get(cur.pos..).ok_or(KfstError::Truncated("symbols"))?;
            let len = rest
                .iter()
                .position(|&b| b == 0)
                .ok_or(KfstError::Truncated("symbols"))?;
            let bytes = cur.take(len + 1, "symbols")?;
            let s = std::str::from_utf8(&bytes[..len]).map_err(|_| KfstError::BadSymbol(i))?;
            symbols.push(s.to_owned());
        }

        let block = data.get(cur.pos..).ok_or(KfstError::Truncated("block"))?;
        if block.is_empty() {
            return Err(KfstError::Truncated("transition block"));
        }
        // Pre-allocate for what a plausible file needs, but never trust a corrupt count blindly:
        // the compressed block bounds how much real data there can be.
        let cap = (n_transitions as usize).min(block.len().saturating_mul(64));
        let mut sink = RecordSink {
            weighted,
            n_transitions: u64::from(n_transitions),
            n_finals: u64::from(n_finals),
            pending: Vec::new(),
            received: 0,
            overflow: false,
            from: Vec::with_capacity(cap),
            to: Vec::with_capacity(cap),
            input: Vec::with_capacity(cap),
            output: Vec::with_capacity(cap),
            weight: Vec::with_capacity(cap),
            finals: Vec::with_capacity((n_finals as usize).min(1 << 16)),
        };
        let mut reader = block;
        let result = if block.starts_with(XZ_MAGIC) {
            lzma_rs::xz_decompress(&mut reader, &mut sink)
        } else {
            lzma_rs::lzma_decompress(&mut reader, &mut sink)
        };
        let expected = sink.expected_bytes();
        if sink.overflow {
            return Err(KfstError::BlockSize {
                expected,
                actual: sink.received,
            });
        }
        result.map_err(|e| KfstError::Decompress(format!("{e:?}")))?;
        if sink.received != expected || !sink.pending.is_empty() {
            return Err(KfstError::BlockSize {
                expected,
                actual: sink.received,
            });
        }
        Self::build(symbols, sink)
    }

    fn build(symbols: Vec<String>, sink: RecordSink) -> Result<Transducer, KfstError> {
        let n_sym = symbols.len();
        let n_t = sink.from.len();
        if n_t >= u32::MAX as usize {
            return Err(KfstError::Corrupt("too many transitions".into()));
        }
        // Every state other than 0 needs an incoming transition or a final entry to matter;
        // ids far beyond that are corruption (and would make us allocate huge offset tables).
        let max_plausible = n_t as u64 + sink.finals.len() as u64 + 1;
        let mut max_state = 0u32;
        for (i, ((&f, &t), (&a, &b))) in sink
            .from
            .iter()
            .zip(&sink.to)
            .zip(sink.input.iter().zip(&sink.output))
            .enumerate()
        {
            if usize::from(a) >= n_sym || usize::from(b) >= n_sym {
                return Err(KfstError::Corrupt(format!(
                    "transition {i} uses an unknown symbol"
                )));
            }
            max_state = max_state.max(f).max(t);
        }
        for &(s, _) in &sink.finals {
            max_state = max_state.max(s);
        }
        if u64::from(max_state) >= max_plausible {
            return Err(KfstError::Corrupt(format!(
                "state id {max_state} out of range"
            )));
        }
        for &w in sink.weight.iter().chain(sink.finals.iter().map(|(_, w)| w)) {
            if !w.is_finite() || w < 0.0 {
                return Err(KfstError::Corrupt(format!("weight {w} not supported")));
            }
        }
        let n_states = max_state as usize + 1;

        // Counting sort by source state (the shipped file is already sorted, but do not rely
        // on it), then order each state's transitions by (input, weight).
        let mut offsets = vec![0u32; n_states + 1];
        for &f in &sink.from {
            offsets[f as usize + 1] += 1;
        }
        for s in 0..n_states {
            offsets[s + 1] += offsets[s];
        }
        let mut order = vec![0u32; n_t];
        let mut fill: Vec<u32> = offsets[..n_states].to_vec();
        for (i, &f) in sink.from.iter().enumerate() {
            let slot = &mut fill[f as usize];
            order[*slot as usize] = i as u32;
            *slot += 1;
        }
        for s in 0..n_states {
            let range = offsets[s] as usize..offsets[s + 1] as usize;
            order[range].sort_by(|&x, &y| {
                let (x, y) = (x as usize, y as usize);
                sink.input[x]
                    .cmp(&sink.input[y])
                    .then(sink.weight[x].total_cmp(&sink.weight[y]))
            });
        }
        let inputs = order.iter().map(|&i| sink.input[i as usize]).collect();
        let outputs = order.iter().map(|&i| sink.output[i as usize]).collect();
        let targets = order.iter().map(|&i| sink.to[i as usize]).collect();
        let weights = order.iter().map(|&i| sink.weight[i as usize]).collect();
        drop(sink.from);

        let mut finals = vec![f32::INFINITY; n_states];
        for &(s, w) in &sink.finals {
            let slot = &mut finals[s as usize];
            *slot = slot.min(w);
        }

        let mut char_symbols = HashMap::new();
        let mut epsilon = None;
        let mut identity = None;
        for (i, s) in symbols.iter().enumerate() {
            let id = i as u16;
            if s == EPSILON {
                epsilon = Some(id);
            } else if s == IDENTITY {
                identity = Some(id);
            } else {
                let mut chars = s.chars();
                if let (Some(c), None) = (chars.next(), chars.next()) {
                    char_symbols.entry(c).or_insert(id);
                }
            }
        }
        Ok(Transducer {
            symbols,
            char_symbols,
            epsilon,
            identity,
            offsets,
            inputs,
            outputs,
            targets,
            weights,
            finals,
        })
    }

    /// Number of states.
    pub fn num_states(&self) -> usize {
        self.finals.len()
    }

    /// Number of transitions.
    pub fn num_transitions(&self) -> usize {
        self.inputs.len()
    }

    /// The symbol table.
    pub fn symbols(&self) -> &[String] {
        &self.symbols
    }

    /// Transitions of `state` whose input symbol is `sym`, as an index range.
    fn arcs(&self, state: u32, sym: u16) -> std::ops::Range<usize> {
        let s = state as usize;
        let (Some(&lo), Some(&hi)) = (self.offsets.get(s), self.offsets.get(s + 1)) else {
            return 0..0;
        };
        let (lo, hi) = (lo as usize, hi as usize);
        let Some(ins) = self.inputs.get(lo..hi) else {
            return 0..0;
        };
        let a = ins.partition_point(|&x| x < sym);
        let b = a + ins[a..].partition_point(|&x| x <= sym);
        lo + a..lo + b
    }

    /// All analyses of `word`, lowest weight first, at most `max_results` distinct outputs.
    pub fn lookup(&self, word: &str, max_results: usize) -> Vec<(String, f64)> {
        self.lookup_with(
            word,
            &LookupOptions {
                max_results,
                ..LookupOptions::default()
            },
        )
    }

    /// [`Transducer::lookup`] with explicit limits.
    pub fn lookup_with(&self, word: &str, opts: &LookupOptions) -> Vec<(String, f64)> {
        let mut results: Vec<(String, f64)> = Vec::new();
        if opts.max_results == 0 || self.finals.is_empty() {
            return results;
        }
        let chars: Vec<char> = word.chars().collect();
        if chars.len() >= (u32::MAX >> 1) as usize {
            return results;
        }
        // Per character: the matching symbol, or None when the identity symbol applies.
        let char_syms: Vec<Option<u16>> = chars
            .iter()
            .map(|c| self.char_symbols.get(c).copied())
            .collect();
        let len = chars.len() as u32;
        // k-shortest-paths bound: a (state, position) pair needs to be expanded at most about
        // as many times as results are wanted (some slack for paths that give equal outputs).
        let per_pair = (opts.max_results * 2 + 2).min(u16::MAX as usize) as u16;

        let mut arena: Vec<Node> = Vec::with_capacity(256);
        let mut heap: BinaryHeap<Entry> = BinaryHeap::with_capacity(256);
        let mut visits: HashMap<u64, u16, PairHash> = HashMap::default();
        let mut seen: HashSet<String> = HashSet::new();
        let mut seq = 0u32;
        let mut best: Option<f64> = None;
        let mut expansions = 0usize;

        arena.push(Node {
            state: 0,
            pos: 0,
            parent: u32::MAX,
            emit: EMIT_NONE,
        });
        heap.push(Entry {
            weight: 0.0,
            pos: 0,
            seq,
            node: 0,
            done: false,
        });

        while let Some(entry) = heap.pop() {
            if let (Some(b), Some(beam)) = (best, opts.max_weight_above_best)
                && entry.weight > b + beam
            {
                break;
            }
            if entry.done {
                let out = self.path_output(&arena, entry.node);
                if seen.insert(out.clone()) {
                    best.get_or_insert(entry.weight);
                    results.push((out, entry.weight));
                    if results.len() >= opts.max_results {
                        break;
                    }
                }
                continue;
            }
            expansions += 1;
            if expansions > opts.max_expansions {
                break;
            }
            let Some(&node) = arena.get(entry.node as usize) else {
                continue;
            };
            let key = (u64::from(node.state) << 32) | u64::from(node.pos);
            let count = visits.entry(key).or_insert(0);
            if *count >= per_pair {
                continue;
            }
            *count += 1;

            if node.pos == len
                && let Some(&fw) = self.finals.get(node.state as usize)
                && fw.is_finite()
            {
                seq = seq.wrapping_add(1);
                heap.push(Entry {
                    weight: entry.weight + f64::from(fw),
                    pos: node.pos,
                    seq,
                    node: entry.node,
                    done: true,
                });
            }

            let mut push = |arena: &mut Vec<Node>, t: usize, pos: u32, emit: u32| {
                let (Some(&to), Some(&w)) = (self.targets.get(t), self.weights.get(t)) else {
                    return;
                };
                if arena.len() >= u32::MAX as usize - 1 {
                    return;
                }
                let idx = arena.len() as u32;
                arena.push(Node {
                    state: to,
                    pos,
                    parent: entry.node,
                    emit,
                });
                seq = seq.wrapping_add(1);
                heap.push(Entry {
                    weight: entry.weight + f64::from(w),
                    pos,
                    seq,
                    node: idx,
                    done: false,
                });
            };

            // Epsilon-input transitions: stay at this position, skip states already on the
            // current epsilon chain (no loops).
            if let Some(eps) = self.epsilon {
                for t in self.arcs(node.state, eps) {
                    let Some(&to) = self.targets.get(t) else {
                        continue;
                    };
                    if self.on_epsilon_chain(&arena, entry.node, to) {
                        continue;
                    }
                    let out = self.outputs.get(t).copied().unwrap_or(eps);
                    let emit = if Some(out) == self.epsilon || Some(out) == self.identity {
                        EMIT_NONE
                    } else {
                        u32::from(out)
                    };
                    push(&mut arena, t, node.pos, emit);
                }
            }

            if node.pos < len {
                let i = node.pos as usize;
                let (c, sym) = match (chars.get(i), char_syms.get(i)) {
                    (Some(&c), Some(&s)) => (c, s),
                    _ => continue,
                };
                let matched = match sym {
                    Some(s) => Some(s),
                    None => self.identity,
                };
                if let Some(m) = matched {
                    for t in self.arcs(node.state, m) {
                        let out = self.outputs.get(t).copied().unwrap_or(m);
                        let emit = if Some(out) == self.identity {
                            EMIT_CHAR | u32::from(c)
                        } else if Some(out) == self.epsilon {
                            EMIT_NONE
                        } else {
                            u32::from(out)
                        };
                        push(&mut arena, t, node.pos + 1, emit);
                    }
                }
            }
        }
        results
    }

    /// True if `state` already occurs on the path ending at `node` at the same input position.
    fn on_epsilon_chain(&self, arena: &[Node], node: u32, state: u32) -> bool {
        let Some(start) = arena.get(node as usize) else {
            return true;
        };
        let pos = start.pos;
        let mut cur = node;
        while let Some(n) = arena.get(cur as usize) {
            if n.pos != pos {
                return false;
            }
            if n.state == state {
                return true;
            }
            cur = n.parent;
        }
        false
    }

    fn path_output(&self, arena: &[Node], node: u32) -> String {
        let mut emits = Vec::new();
        let mut cur = node;
        while let Some(n) = arena.get(cur as usize) {
            if n.emit != EMIT_NONE {
                emits.push(n.emit);
            }
            cur = n.parent;
        }
        let mut out = String::new();
        for &e in emits.iter().rev() {
            if e & EMIT_CHAR != 0 {
                if let Some(c) = char::from_u32(e & !EMIT_CHAR) {
                    out.push(c);
                }
            } else if let Some(s) = self.symbols.get(e as usize) {
                out.push_str(s);
            }
        }
        out
    }
}

/// The embedded Finnish analyser, loaded once on first use. `None` if it cannot be parsed; the
/// error is logged once.
///
/// Loading takes ~1.4 s in a release build on a quiet 2-core machine (about 1.25 s of it is
/// pure-Rust LZMA decompression of the 68 MB transition block), ~4 s in tests at opt-level 1.
/// Servers should call this from a background thread at startup so the first query does not
/// pay for it.
pub fn finnish_transducer() -> Option<&'static Transducer> {
    static T: OnceLock<Option<Transducer>> = OnceLock::new();
    T.get_or_init(|| match Transducer::from_bytes(FINNISH_KFST) {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::error!(error = %e, "cannot load the Finnish analyser; analysis degrades");
            None
        }
    })
    .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fi() -> &'static Transducer {
        finnish_transducer().expect("embedded analyser loads")
    }

    /// A tiny weighted KFST built by hand: `ab` -> `X` (1.0) and `ab` -> `ab` via identity
    /// copy of unknown chars.
    fn tiny(weighted: bool, compress_xz: bool) -> Vec<u8> {
        let symbols = [EPSILON, IDENTITY, "a", "b", "X", "+Tag"];
        // transitions: (from, to, in, out, w)
        let trans: [(u32, u32, u16, u16, f64); 6] = [
            (0, 1, 2, 2, 0.0), // a:a
            (1, 2, 3, 3, 0.5), // b:b
            (0, 3, 2, 4, 1.0), // a:X
            (3, 2, 3, 0, 0.0), // b:eps
            (0, 4, 1, 1, 2.0), // ?:? identity
            (4, 4, 0, 5, 0.0), // eps:+Tag loop (must not loop forever)
        ];
        let finals: [(u32, f64); 2] = [(2, 0.25), (4, 0.0)];
        let mut block = Vec::new();
        for (f, t, i, o, w) in trans {
            block.extend_from_slice(&f.to_be_bytes());
            block.extend_from_slice(&t.to_be_bytes());
            block.extend_from_slice(&i.to_be_bytes());
            block.extend_from_slice(&o.to_be_bytes());
            if weighted {
                block.extend_from_slice(&w.to_be_bytes());
            }
        }
        for (s, w) in finals {
            block.extend_from_slice(&s.to_be_bytes());
            if weighted {
                block.extend_from_slice(&w.to_be_bytes());
            }
        }
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&0u16.to_be_bytes());
        out.extend_from_slice(&(symbols.len() as u16).to_be_bytes());
        out.extend_from_slice(&(trans.len() as u32).to_be_bytes());
        out.extend_from_slice(&(finals.len() as u32).to_be_bytes());
        out.push(u8::from(weighted));
        for s in symbols {
            out.extend_from_slice(s.as_bytes());
            out.push(0);
        }
        let mut compressed = Vec::new();
        if compress_xz {
            lzma_rs::xz_compress(&mut &block[..], &mut compressed).unwrap();
        } else {
            lzma_rs::lzma_compress(&mut &block[..], &mut compressed).unwrap();
        }
        out.extend_from_slice(&compressed);
        out
    }

    #[test]
    fn tiny_transducer_semantics() {
        for (weighted, xz) in [(true, true), (true, false), (false, true)] {
            let t = Transducer::from_bytes(&tiny(weighted, xz)).unwrap();
            let r = t.lookup("ab", 10);
            if weighted {
                assert_eq!(r, vec![("ab".to_string(), 0.75), ("X".to_string(), 1.25)]);
            } else {
                assert_eq!(r.len(), 2);
            }
            // `q` is not in the alphabet: identity copies it, then the epsilon loop adds one tag
            // (loop-free: the state is already on the epsilon chain).
            let q = t.lookup("q", 10);
            assert_eq!(q.first().map(|x| x.0.as_str()), Some("q"));
            assert!(q.iter().all(|(o, _)| o == "q" || o == "q+Tag"), "{q:?}");
            // `a` is in the alphabet, so identity must not match it; no full path for `a`.
            assert!(t.lookup("a", 10).is_empty());
            // Multi-char symbols never match input characters.
            assert!(t.lookup("+Tag", 10).is_empty());
            assert!(t.lookup("", 10).is_empty());
        }
    }

    #[test]
    fn corrupt_and_truncated_input_is_an_error() {
        let good = tiny(true, true);
        for cut in 0..good.len() {
            assert!(
                Transducer::from_bytes(&good[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        assert!(matches!(
            Transducer::from_bytes(b"NOPE\0\0\0\0\0\0\0\0\0\0\0\0\0"),
            Err(KfstError::BadMagic)
        ));
        // Flip bytes in the header counts and in the block: error or a valid small transducer,
        // never a panic.
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0xA5;
            let _ = Transducer::from_bytes(&bad);
        }
        // Truncating the real file's compressed block must fail cleanly.
        let cut = &FINNISH_KFST[..FINNISH_KFST.len() / 50];
        assert!(Transducer::from_bytes(cut).is_err());
    }

    #[test]
    fn real_file_shape() {
        let t = fi();
        assert_eq!(t.symbols().len(), 455);
        assert_eq!(t.num_transitions(), 3_407_004);
        assert_eq!(t.num_states(), 474_067);
    }

    #[test]
    fn real_lookups() {
        let t = fi();
        let r = t.lookup("Turussa", 5);
        let first = &r[0];
        assert!(first.0.starts_with("Lexicon\tTurku\tproper"), "{r:?}");
        assert_eq!(first.1, 0.0);
        assert!(r.windows(2).all(|w| w[0].1 <= w[1].1));
        let r = t.lookup("xyzqw", 5);
        assert!(!r.is_empty());
        assert!(
            r.iter().all(|(o, w)| o.starts_with("Guesser") && *w >= 3.0),
            "{r:?}"
        );
    }
}
