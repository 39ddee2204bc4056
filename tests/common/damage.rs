//! Damage as a disk or a hand-written `UPDATE` leaves it, for the tests of damaged data.

use customer_desk::store::Store;

/// Overwrites the stored document of customer `id` with a zstd header and garbage after it:
/// a document no reader understands.
pub fn damage_document(store: &Store, id: &str) {
    store
        .write_sql(|tx| {
            tx.execute(
                "UPDATE customer_docs SET doc = x'02400000002fb52ffd00deadbeef'
                 WHERE rid = (SELECT rid FROM customers WHERE id = ?1)",
                [id],
            )
        })
        .expect("damage");
}
