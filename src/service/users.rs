//! Users commands: each is one call of the [`UsersApi`], whichever API the signed-in user
//! talks to; the API refuses them to a user without every right.

use crate::api::UsersApi;

use super::{UsersCommand, UsersMessage};

/// Carries out one users command.
pub(super) async fn users_call<A: UsersApi>(api: &A, command: UsersCommand) -> UsersMessage {
    match command {
        UsersCommand::List => UsersMessage::Listed(api.list_users().await),
        UsersCommand::Create(user) => UsersMessage::Saved {
            created: true,
            result: api.create_user(&user).await,
        },
        UsersCommand::Change { user_name, change } => UsersMessage::Saved {
            created: false,
            result: api.change_user(&user_name, &change).await,
        },
        UsersCommand::Delete { user_name } => {
            UsersMessage::Deleted(api.delete_user(&user_name).await)
        }
    }
}
