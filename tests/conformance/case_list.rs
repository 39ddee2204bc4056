// The list of conformance cases, shared by every implementation's test file, which defines
// `async fn make_harness()`. Add a case to `cases.rs` and here.
conformance_cases!(make_harness;
    create_then_get_round_trips,
);
