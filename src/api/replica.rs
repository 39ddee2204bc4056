//! The API's rules for a store that is a replica of a shop server (the sync engine): every
//! local write also records what must be pushed, in the same transaction, and money that
//! the server has not confirmed cannot be spent.

use rust_decimal::Decimal;

use super::{ApiError, LocalApi};
use crate::model::Actor;
use crate::store::replica::{self, OutboxKind};
use crate::store::{Snapshot, Tx};

/// A new operation id for a credit adjustment made on a replica: 128 random bits, so two
/// desks never make the same one.
pub(super) fn new_operation_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

impl LocalApi {
    /// Whether writes to this store must be recorded for the server (it is a replica).
    pub(super) fn replica_outbox(&self, snapshot: &Snapshot<'_>) -> Result<bool, ApiError> {
        Ok(replica::is_attached(snapshot)?)
    }

    /// Records the local writes `kinds` of customer `id` for the sync engine to push.
    pub(super) fn record_local(
        &self,
        tx: &Tx<'_>,
        actor: &Actor,
        id: &str,
        kinds: &[OutboxKind],
    ) -> Result<(), ApiError> {
        let now = self.clock().now().timestamp_micros();
        for kind in kinds {
            replica::enqueue(tx, id, kind, &actor.user_name, now)?;
        }
        Ok(())
    }

    /// On a replica, a credit change `delta` that spends may spend only what the server has
    /// confirmed, less what this desk already spends and the server has not confirmed yet:
    /// two desks offline could otherwise spend the same credit twice.
    pub(super) fn check_spendable(
        &self,
        snapshot: &Snapshot<'_>,
        id: &str,
        delta: Decimal,
    ) -> Result<(), ApiError> {
        if !delta.is_sign_negative() {
            return Ok(());
        }
        let confirmed = replica::shadow(snapshot, id)?.map_or(Decimal::ZERO, |s| s.credit.amount);
        let pending = replica::pending_spending(snapshot, id)?;
        let spendable = confirmed + pending;
        if spendable + delta < Decimal::ZERO {
            let waiting = if pending.is_zero() {
                String::new()
            } else {
                format!("; {:.2} already spent here waits for the server", -pending)
            };
            return Err(ApiError::invalid(
                "Amount",
                format!(
                    "only {:.2} confirmed by the server can be spent{waiting}",
                    spendable.max(Decimal::ZERO)
                ),
            ));
        }
        Ok(())
    }

    /// A customer with credit adjustments still to push is not deleted here: the money must
    /// reach the server first.
    pub(super) fn check_no_pending_credit(
        &self,
        snapshot: &Snapshot<'_>,
        id: &str,
    ) -> Result<(), ApiError> {
        let pending = replica::outbox_of(snapshot, id)?
            .iter()
            .any(|e| matches!(e.kind, OutboxKind::Credit { .. }));
        if pending {
            return Err(ApiError::invalid(
                "Id",
                "this customer's credit adjustments have not reached the server yet; delete after they have",
            ));
        }
        Ok(())
    }
}
