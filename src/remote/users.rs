//! The `/api/users` routes **[ours]** as a client: a shop server's users, for the desk's
//! *Users* view.

use reqwest::Method;

use super::{RemoteClient, read_answer, to_value};
use crate::api::{ApiError, NewUser, UserChange, UserSummary, UsersApi};

impl UsersApi for RemoteClient {
    async fn list_users(&self) -> Result<Vec<UserSummary>, ApiError> {
        let url = self.url(&["api", "users"])?;
        read_answer(self.call(Method::GET, url, None).await?)
    }

    async fn create_user(&self, user: &NewUser) -> Result<UserSummary, ApiError> {
        let url = self.url(&["api", "users"])?;
        read_answer(self.call(Method::POST, url, Some(&to_value(user)?)).await?)
    }

    async fn change_user(
        &self,
        user_name: &str,
        change: &UserChange,
    ) -> Result<UserSummary, ApiError> {
        let url = self.url(&["api", "users", user_name])?;
        read_answer(
            self.call(Method::PUT, url, Some(&to_value(change)?))
                .await?,
        )
    }

    async fn delete_user(&self, user_name: &str) -> Result<UserSummary, ApiError> {
        let url = self.url(&["api", "users", user_name])?;
        read_answer(self.call(Method::DELETE, url, None).await?)
    }
}
