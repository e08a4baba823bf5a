#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    search_api::fuzzing::search_params(data);
});
