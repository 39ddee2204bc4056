//! An import on a replica is local writes like any other: the sync engine pushes the new
//! customers and their credit (as operations with the import's ids), and importing the same
//! file again pushes nothing.

use customer_desk::model::Rights;
use customer_desk::transfer::{self, ImportRequest};

use crate::http_support::TestServer;
use crate::support::{Desk, server_customers};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_on_a_replica_reaches_the_server_once() {
    let server = TestServer::start(chrono::Utc::now()).await;
    let user = server.add_user(Rights::admin());
    let desk = Desk::attach(&server.base_url, &user).await;
    desk.sync().await;
    let file = desk.dir.path().join("moving in.csv");
    std::fs::write(
        &file,
        "ExternalId;FirstName;LastName;Credit.Amount\nM1;Mária;Veselá;12,50\nM2;Ondrej;Smutný;0\n",
    )
    .unwrap();
    let import = |desk: &Desk| {
        transfer::import_file(
            &desk.api,
            &desk.actor,
            &file,
            ImportRequest::default(),
            |_, _| true,
        )
        .unwrap()
        .report
    };
    let report = import(&desk);
    assert_eq!((report.created, report.refused), (2, 0));
    let pushed = desk.sync().await;
    assert_eq!(pushed.pending, 0);
    assert_eq!(pushed.parked, 0);

    let on_server = server_customers(&server);
    assert_eq!(on_server.len(), 2);
    let maria = on_server
        .iter()
        .find(|c| c.external_id.as_deref() == Some("M1"))
        .unwrap();
    assert_eq!(maria.credit.amount.to_string(), "12.50");
    let ledger = &maria.credit_transactions;
    assert_eq!(ledger.len(), 1, "{ledger:?}");
    assert_eq!(ledger[0].note.as_deref(), Some("Import moving in.csv"));
    assert!(
        ledger[0]
            .operation_id
            .as_deref()
            .is_some_and(|o| o.starts_with("import-"))
    );

    let again = import(&desk);
    assert_eq!(again.unchanged, 2);
    let second = desk.sync().await;
    assert_eq!((second.pushed, second.pending), (0, 0));
    assert_eq!(server_customers(&server), on_server);
}
