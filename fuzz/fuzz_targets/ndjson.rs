#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tarjotin_core::fuzzing::ndjson(data);
});
