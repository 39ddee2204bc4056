//! How `customer-doc-v2.zdict` (the zstd dictionary of stored documents, `store::doc`) was
//! made. Kept for the record: that dictionary must never change, since stored rows depend on
//! it. To run it, copy it to `examples/` and `cargo run --release --example make_doc_dictionary`.

use chrono::{TimeZone, Utc};
use customer_desk::demo::generate;

fn main() {
    // 10,000 documents from each of five seeds, each as of a different midnight (as demo loads
    // are), in the API's shape: what `store::customers::encode_doc` stores.
    let mut samples = Vec::new();
    for (seed, day) in [(1001u64, 1), (1002, 40), (1003, 95), (1004, 180), (1005, 300)] {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::days(day);
        for index in 0..10_000u64 {
            samples.push(serde_json::to_vec(&generate(seed, index, now)).unwrap());
        }
    }
    let dictionary = zstd::dict::from_samples(&samples, 8192).unwrap();
    std::fs::write("assets/customer-doc-v2.zdict", dictionary).unwrap();
}
