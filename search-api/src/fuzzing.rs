//! Fuzz harness for the query-string parser (the `search_params` target of `fuzz/`), replayed on
//! stable by `tests/fuzz_corpus.rs`. Not part of the supported API.

use crate::params::Params;

/// Parses arbitrary bytes as a raw query string and validates it as `/v1/search` and
/// `/v1/suggest` would: it must never panic, and every refusal is a client error (4xx).
pub fn search_params(data: &[u8]) {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let params = match Params::parse(Some(query)) {
        Ok(p) => p,
        Err(e) => {
            assert!(e.code.status().is_client_error(), "{e}");
            return;
        }
    };
    for result in [
        params.search_request().map(|_| ()),
        params.suggest_limit().map(|_| ()),
        params.q().map(|_| ()),
        params.lang().map(|_| ()),
    ] {
        if let Err(e) = result {
            assert!(e.code.status().is_client_error(), "{e}");
        }
    }
}
