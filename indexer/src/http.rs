//! A blocking HTTP fetcher for the source syncs.

use std::time::Duration;

/// GETs URLs as text; non-2xx answers are errors.
pub struct Fetcher {
    agent: ureq::Agent,
}

impl Fetcher {
    pub fn new(timeout: Duration) -> Fetcher {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .user_agent(concat!("tarjotin-indexer/", env!("CARGO_PKG_VERSION")))
            .build();
        Fetcher {
            agent: config.into(),
        }
    }

    pub fn get(&self, url: &str) -> Result<String, ureq::Error> {
        tracing::info!(url, "fetching");
        self.agent
            .get(url)
            .header("Accept", "application/json")
            .call()?
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_string()
    }
}
