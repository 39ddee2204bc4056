//! Managing users as a signed-in user with every right: the `/api/users` routes of the
//! contract (section 5), and the desk's *Users* view on this computer's store. The command
//! line manages users through [`crate::api::Auth`] without a signed-in user (whoever runs it
//! owns the files); both come to the same rules in `users.rs`.

use std::future::Future;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::users::{NewUserRecord, add_user, check_password, hash_password};
use super::{ApiError, LocalApi, LocalSession};
use crate::model::{Actor, FieldError, Right, Rights, time};
use crate::store::users::{self as stored, UserListing};
use crate::store::{Snapshot, sessions};

/// A user as `GET /api/users` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    pub user_name: String,
    pub name: String,
    /// The contract's names of the user's rights (`admin` stands for all of them).
    pub rights: Vec<String>,
    #[serde(with = "time::opt", default)]
    pub last_sign_in_time: Option<DateTime<Utc>>,
}

impl UserSummary {
    /// The rights this program knows, as a set.
    pub fn rights_set(&self) -> Rights {
        Rights::from_names_lenient(&self.rights)
    }

    fn of(listing: &UserListing) -> Self {
        Self {
            user_name: listing.user.user_name.clone(),
            name: listing.user.display_name.clone(),
            rights: listing.user.rights.names(),
            last_sign_in_time: listing
                .last_sign_in
                .and_then(DateTime::<Utc>::from_timestamp_micros),
        }
    }
}

/// The body of `POST /api/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewUser {
    pub user_name: String,
    /// The name shown for the user; their user name when left out or blank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub password: String,
    #[serde(default)]
    pub rights: Vec<String>,
}

/// The body of `PUT /api/users/{userName}`: what is given changes, the rest stays.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights: Option<Vec<String>>,
}

/// User management as a signed-in user sees it, on this computer's store or at a shop
/// server: the desk's *Users* view holds one of these and cannot tell which.
pub trait UsersApi: Send + Sync {
    /// `GET /api/users`.
    fn list_users(&self) -> impl Future<Output = Result<Vec<UserSummary>, ApiError>> + Send;
    /// `POST /api/users`.
    fn create_user(
        &self,
        user: &NewUser,
    ) -> impl Future<Output = Result<UserSummary, ApiError>> + Send;
    /// `PUT /api/users/{userName}`.
    fn change_user(
        &self,
        user_name: &str,
        change: &UserChange,
    ) -> impl Future<Output = Result<UserSummary, ApiError>> + Send;
    /// `DELETE /api/users/{userName}`: the removed user.
    fn delete_user(
        &self,
        user_name: &str,
    ) -> impl Future<Output = Result<UserSummary, ApiError>> + Send;
}

/// Every route of section 5 needs `admin`.
fn require_admin(actor: &Actor) -> Result<(), ApiError> {
    if actor.rights.has(Right::Admin) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(Right::Admin.as_str().into()))
    }
}

/// Reads a list of rights strictly: a right this program does not know is refused, not
/// dropped, so that a typo does not silently grant less than was asked.
fn parse_rights(names: &[String]) -> Result<Rights, ApiError> {
    names.iter().try_fold(Rights::NONE, |rights, name| {
        name.parse::<Right>()
            .map(|right| rights.with(right))
            .map_err(|why| ApiError::invalid("Rights", why))
    })
}

/// A name shown for a user: the user name when blank; at most 100 characters.
fn display_name(name: Option<&str>, user_name: &str) -> Result<String, ApiError> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let name = name.unwrap_or(user_name);
    if name.chars().count() > 100 {
        return Err(ApiError::invalid("Name", "use at most 100 characters"));
    }
    Ok(name.to_owned())
}

fn no_such_user(user_name: &str) -> ApiError {
    ApiError::NoSuchUser(user_name.to_owned())
}

/// Refuses to leave the store without a user holding every right: nobody could manage the
/// users any more, and the owner's account is the one that can.
fn keep_an_admin(snapshot: &Snapshot<'_>, leaving: &str) -> Result<(), ApiError> {
    let others = stored::list_users(snapshot)?
        .into_iter()
        .filter(|u| u.rights.has(Right::Admin))
        .any(|u| !u.user_name.eq_ignore_ascii_case(leaving));
    if others {
        Ok(())
    } else {
        Err(ApiError::Validation(vec![FieldError::coded(
            "UserName",
            format!(
                "{leaving} is the last user with every right: give another user every right first"
            ),
            "LastAdmin",
        )]))
    }
}

impl LocalApi {
    /// `GET /api/users`: every user, by name.
    pub fn users(&self, actor: &Actor) -> Result<Vec<UserSummary>, ApiError> {
        require_admin(actor)?;
        let listings = self.store().read(stored::list_user_listings)?;
        Ok(listings.iter().map(UserSummary::of).collect())
    }

    /// `POST /api/users`: adds a user whose name is free.
    pub fn create_user(&self, actor: &Actor, user: &NewUser) -> Result<UserSummary, ApiError> {
        require_admin(actor)?;
        let rights = parse_rights(&user.rights)?;
        let name = display_name(user.name.as_deref(), user.user_name.trim())?;
        let record = add_user(
            self,
            &NewUserRecord {
                user_name: &user.user_name,
                display_name: Some(&name),
                password: &user.password,
                rights,
            },
        )?;
        Ok(UserSummary::of(&UserListing {
            user: record,
            last_sign_in: None,
        }))
    }

    /// `PUT /api/users/{userName}`: changes what `change` gives, in one transaction. A new
    /// password signs the user out everywhere; new rights apply to their next request.
    pub fn change_user(
        &self,
        actor: &Actor,
        user_name: &str,
        change: &UserChange,
    ) -> Result<UserSummary, ApiError> {
        require_admin(actor)?;
        let before = self
            .store()
            .read(|s| stored::find_user_listing(s, user_name))?
            .ok_or_else(|| no_such_user(user_name))?;
        let rights = match &change.rights {
            Some(names) => parse_rights(names)?,
            None => before.user.rights,
        };
        let name = match &change.name {
            Some(name) => Some(display_name(Some(name), &before.user.user_name)?),
            None => None,
        };
        // argon2 takes a while: the hash is made before the transaction, not inside it.
        let hash = match &change.password {
            Some(password) => {
                check_password(password, rights)?;
                Some(hash_password(password)?)
            }
            None => None,
        };
        let id = before.user.id.clone();
        self.store().write(|tx| {
            if before.user.rights.has(Right::Admin) && !rights.has(Right::Admin) {
                keep_an_admin(tx, &before.user.user_name)?;
            }
            if rights != before.user.rights {
                stored::set_rights(tx, &before.user.user_name, rights)?;
            }
            if let Some(name) = &name {
                stored::set_display_name(tx, &id, name)?;
            }
            if let Some(hash) = &hash {
                stored::set_password_hash(tx, &id, hash)?;
                sessions::delete_user_tokens(tx, &id)?;
            }
            Ok::<_, ApiError>(())
        })?;
        let after = self
            .store()
            .read(|s| stored::find_user_listing(s, &before.user.user_name))?
            .ok_or_else(|| no_such_user(user_name))?;
        Ok(UserSummary::of(&after))
    }

    /// `DELETE /api/users/{userName}`: removes the user and ends their sessions; the last
    /// user with every right stays.
    pub fn delete_user(&self, actor: &Actor, user_name: &str) -> Result<UserSummary, ApiError> {
        require_admin(actor)?;
        self.store().write(|tx| {
            let listing =
                stored::find_user_listing(tx, user_name)?.ok_or_else(|| no_such_user(user_name))?;
            if listing.user.rights.has(Right::Admin) {
                keep_an_admin(tx, &listing.user.user_name)?;
            }
            stored::remove_user(tx, &listing.user.user_name)?;
            Ok(UserSummary::of(&listing))
        })
    }
}

impl UsersApi for LocalSession {
    async fn list_users(&self) -> Result<Vec<UserSummary>, ApiError> {
        self.run(|api, actor| api.users(actor)).await
    }

    async fn create_user(&self, user: &NewUser) -> Result<UserSummary, ApiError> {
        let user = user.clone();
        self.run(move |api, actor| api.create_user(actor, &user))
            .await
    }

    async fn change_user(
        &self,
        user_name: &str,
        change: &UserChange,
    ) -> Result<UserSummary, ApiError> {
        let (user_name, change) = (user_name.to_owned(), change.clone());
        self.run(move |api, actor| api.change_user(actor, &user_name, &change))
            .await
    }

    async fn delete_user(&self, user_name: &str) -> Result<UserSummary, ApiError> {
        let user_name = user_name.to_owned();
        self.run(move |api, actor| api.delete_user(actor, &user_name))
            .await
    }
}
