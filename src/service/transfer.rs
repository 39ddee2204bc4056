//! Imports and exports of files for the window, on the service's blocking pool, with
//! progress reports that the window may drop when it lags behind.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Outbox, TransferCommand, TransferMessage};
use crate::api::LocalSession;
use crate::transfer;

/// Carries out one transfer command and sends its answer.
pub(super) async fn transfer(session: LocalSession, command: TransferCommand, outbox: Outbox) {
    let progress_out = outbox.clone();
    let answer = tokio::task::spawn_blocking(move || run(&session, command, &progress_out)).await;
    match answer {
        Ok(message) => outbox.send(message).await,
        Err(err) => tracing::error!("the transfer task failed: {err}"),
    }
}

fn run(session: &LocalSession, command: TransferCommand, outbox: &Outbox) -> TransferMessage {
    let (api, actor) = (session.api(), session.actor());
    match command {
        TransferCommand::Preview {
            path,
            mut request,
            cancel,
        } => {
            request.dry_run = true;
            let result =
                transfer::import_file(api, actor, &path, request, reporter(outbox, &cancel));
            TransferMessage::Previewed { path, result }
        }
        TransferCommand::Import {
            path,
            request,
            cancel,
        } => {
            let result =
                transfer::import_file(api, actor, &path, request, reporter(outbox, &cancel));
            TransferMessage::Imported { path, result }
        }
        TransferCommand::Export {
            path,
            params,
            format,
            cancel,
        } => {
            let result = transfer::export_file(
                api,
                actor,
                &params,
                &path,
                Some(format),
                reporter(outbox, &cancel),
            );
            TransferMessage::Exported { path, result }
        }
    }
}

/// A progress callback: offers a report to the window each time another percent is done,
/// and answers false (stop) once `cancel` is set.
fn reporter<'a>(
    outbox: &'a Outbox,
    cancel: &'a Arc<AtomicBool>,
) -> impl FnMut(u64, u64) -> bool + 'a {
    let mut last_percent = u64::MAX;
    move |done, total| {
        let percent = done.saturating_mul(100) / total.max(1);
        if percent != last_percent {
            last_percent = percent;
            outbox.offer(TransferMessage::Progress { done, total });
        }
        !cancel.load(Ordering::Relaxed)
    }
}
