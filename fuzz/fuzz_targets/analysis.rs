#![no_main]

// The analyser is loaded before fuzzing, so its start-up is not charged to an input.
libfuzzer_sys::fuzz_target!(
    init: {
        tarjotin_core::fuzzing::warm_up();
    },
    |data: &[u8]| {
        tarjotin_core::fuzzing::analysis(data);
    }
);
