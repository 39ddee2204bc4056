//! Customer commands: each is one call of the [`CustomersApi`], whichever API the signed-in
//! user talks to.

use crate::api::CustomersApi;
use crate::ndata::ListParams;

use super::{CustomerCommand, CustomerMessage};

/// Carries out one customer command.
pub(super) async fn customer_call<A: CustomersApi>(
    api: &A,
    command: CustomerCommand,
) -> CustomerMessage {
    match command {
        CustomerCommand::List {
            request,
            params,
            fallback,
        } => {
            let started = std::time::Instant::now();
            let result = api.list(&params).await;
            // What a page costs the desk's store, for `RUST_LOG=customer_desk::service=debug`
            // (and the window's measurements, `tests/ui/perf.rs`).
            tracing::debug!(
                ms = started.elapsed().as_secs_f64() * 1000.0,
                total = result.as_ref().map_or(0, |r| r.total_count),
                "page of {}",
                params.to_query_string()
            );
            match fallback {
                Some(fallback) if result.as_ref().is_ok_and(|r| r.total_count == 0) => {
                    CustomerMessage::Page {
                        request,
                        result: api.list(&fallback).await,
                        fell_back: true,
                    }
                }
                _ => CustomerMessage::Page {
                    request,
                    result,
                    fell_back: false,
                },
            }
        }
        CustomerCommand::FindCard { serial } => {
            let params = ListParams::new()
                .with("CardSerialNumber", format!("eq:{}", serial.trim()))
                .with("$take", "1");
            let result = api
                .list(&params)
                .await
                .map(|r| r.items.and_then(|items| items.into_iter().next()));
            CustomerMessage::CardFound { serial, result }
        }
        CustomerCommand::Save { id: Some(id), body } => {
            let result = api.upsert(&id, &body).await;
            let created = result.as_ref().is_ok_and(|u| u.created);
            CustomerMessage::Saved {
                created,
                result: result.map(|u| u.customer),
            }
        }
        CustomerCommand::Save { id: None, body } => CustomerMessage::Saved {
            created: true,
            result: api.create(&body).await,
        },
        CustomerCommand::AdjustCredit { id, body } => {
            CustomerMessage::CreditAdjusted(api.adjust_credit(&id, &body).await)
        }
        CustomerCommand::Delete { id } => CustomerMessage::Deleted(api.delete(&id).await),
        CustomerCommand::Get { id } => {
            let result = api.get(&id).await;
            CustomerMessage::Fetched { id, result }
        }
    }
}
